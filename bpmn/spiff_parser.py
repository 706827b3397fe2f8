"""SpiffWorkflow's Camunda parser, taught what loanflow reads from a diagram.

Service and send tasks become `ExternalServiceTask`s (run by the workflow as activities,
never inside the engine); every element keeps its loanflow:* attributes on its spec;
standard multi-instance and data stores are accepted where the Camunda parser would
refuse the whole file."""

from __future__ import annotations

from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.specs.data_spec import BpmnDataStoreSpecification
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser

from bpmn.xml import BPMN_NS, LOANFLOW_NS

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _extensions(node: etree._Element) -> dict[str, str]:
    """loanflow:* attributes, plus the Camunda/Spiff ways of naming a service."""
    out = {
        etree.QName(k).localname: v
        for k, v in node.attrib.items()
        if isinstance(k, str) and k.startswith(f"{{{LOANFLOW_NS}}}")
    }
    for attr in ("topic", "class", "delegateExpression", "expression", "type"):
        value = node.get(f"{{{CAMUNDA_NS}}}{attr}")
        if value and "activity" not in out:
            out["external"] = value
    spiff_op = node.find(f".//{{{SPIFF_NS}}}serviceTaskOperator")
    if spiff_op is not None and spiff_op.get("id"):
        out.setdefault("external", str(spiff_op.get("id")))
    return out


class _StandardLoopMixin:
    """Standard BPMN multi-instance (loopDataInputRef / inputDataItem) where the Camunda
    parser only knows camunda:collection and would refuse the element."""

    node: etree._Element

    def _add_multiinstance_task(self, loop_characteristics: etree._Element) -> None:
        camunda = loop_characteristics.get(f"{{{CAMUNDA_NS}}}collection") is not None
        standard = loop_characteristics.find(f"{{{BPMN_NS}}}loopDataInputRef") is not None
        if standard and not camunda:
            TaskParser._add_multiinstance_task(self, loop_characteristics)
        else:
            super()._add_multiinstance_task(loop_characteristics)  # type: ignore[misc]


class ExternalServiceTask(ServiceTask):  # type: ignore[misc]
    """A service task run by the workflow as an activity, not inside the engine."""

    def __init__(self, wf_spec: Any, bpmn_id: str, extensions: dict[str, str], **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = True
        self.loanflow = extensions

    def _run_hook(self, my_task: Any) -> bool:
        return True


class ServiceTaskParser(_StandardLoopMixin, CamundaTaskParser):  # type: ignore[misc]
    def create_task(self) -> ExternalServiceTask:
        return ExternalServiceTask(
            self.spec, self.bpmn_id, extensions=_extensions(self.node), **self.bpmn_attributes
        )


class _TaggedParserMixin(_StandardLoopMixin):
    """Keeps loanflow:* attributes of every element on its spec."""

    node: etree._Element

    def create_task(self) -> Any:
        task = super().create_task()  # type: ignore[misc]
        task.loanflow = _extensions(self.node)
        return task


def _tagged(parser_cls: type) -> type:
    return type(f"Tagged{parser_cls.__name__}", (_TaggedParserMixin, parser_cls), {})


class LoanflowParser(CamundaParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES = {
        **{
            tag: (_tagged(p), s)
            for tag, (p, s) in CamundaParser.OVERRIDE_PARSER_CLASSES.items()
        },
        f"{{{BPMN_NS}}}serviceTask": (ServiceTaskParser, ExternalServiceTask),
        f"{{{BPMN_NS}}}sendTask": (ServiceTaskParser, ExternalServiceTask),
    }

    def _add_data_stores(self, bpmn: etree._Element) -> None:
        """A data store is an outside system: loanflow reaches those through service
        tasks, so associations with one document the diagram and move no data. Spiff
        would refuse the whole file for want of an implementation class."""
        for node in bpmn.iter(f"{{{BPMN_NS}}}dataStore"):
            store_id = node.get("id")
            if store_id:
                self.data_stores[store_id] = _DocumentedDataStore(
                    store_id, node.get("name") or store_id
                )


class _DocumentedDataStore(BpmnDataStoreSpecification):  # type: ignore[misc]
    def get(self, my_task: Any, **kwargs: Any) -> None:
        return None

    def set(self, my_task: Any, **kwargs: Any) -> None:
        return None
