"""Recorded histories of every path of every shipped diagram replay against today's code;
a deliberately changed workflow must not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from bpmn.engine import definition_sha256
from core.codec import data_converter, parse_keys
from runtime.worker import workflow_runner
from store.definitions import DIAGRAMS, SHIPPED, executable_bundle
from tests.conftest import TEST_KEY
from workflows.loan_process import LoanProcessWorkflow
from workflows.types import LoadDefinitionResult, LoanProcessInput

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "fixtures" / "histories")
                   .glob("*.json"))
CONVERTER = data_converter(*parse_keys(TEST_KEY))
# Histories recorded by earlier versions, kept to show that those runs still replay.
OLDER = ("plain-definition_", "previous-table_")


def load(path: Path) -> WorkflowHistory:
    doc = json.loads(path.read_text())
    return WorkflowHistory.from_json(doc["workflow_id"], doc["history"])


def replayer(*workflows: type) -> Replayer:
    return Replayer(workflows=list(workflows), data_converter=CONVERTER,
                    workflow_runner=workflow_runner())


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_recorded_history_replays(path: Path) -> None:
    result = await replayer(LoanProcessWorkflow).replay_workflow(load(path))
    assert result.replay_failure is None


async def pinned_sha(path: Path) -> str:
    start = load(path).events[0].workflow_execution_started_event_attributes
    [inp] = await CONVERTER.decode(start.input.payloads, [LoanProcessInput])
    assert isinstance(inp, LoanProcessInput)
    return inp.definition.sha256


async def test_every_shipped_diagram_version_has_recorded_histories() -> None:
    recorded = {await pinned_sha(p) for p in HISTORIES}
    for bpmn_file, dmn_files in SHIPPED.values():
        _, _, sha = executable_bundle((DIAGRAMS / bpmn_file).read_bytes(),
                                      [(DIAGRAMS / d).read_bytes() for d in dmn_files])
        assert sha in recorded, f"{bpmn_file} changed: run `python -m tools.record_histories`"


async def loaded_definition(path: Path) -> LoadDefinitionResult:
    """What the run's load_definition local activity returned, from its marker."""
    for event in load(path).events:
        details = event.marker_recorded_event_attributes.details
        if "data" not in details or "result" not in details:
            continue
        [meta] = await CONVERTER.decode(list(details["data"].payloads), [dict])
        if meta.get("activity_type") == "load_definition":
            [loaded] = await CONVERTER.decode(list(details["result"].payloads),
                                              [LoadDefinitionResult])
            assert isinstance(loaded, LoadDefinitionResult)
            return loaded
    raise AssertionError(f"{path.name}: no load_definition marker")


async def test_histories_keep_the_definition_compressed_and_older_plain_ones_still_replay(
) -> None:
    """Runs keep the diagram they ran in their history. Since it is kept compressed, a
    history holds a fifth of the text; the histories recorded before that (plain text)
    are kept, and replay above like the others."""
    kinds: dict[str, list[int]] = {"packed": [], "plain": []}
    for path in HISTORIES:
        loaded = await loaded_definition(path)
        bpmn_xml, dmn_xml = loaded.documents()
        assert definition_sha256(bpmn_xml, dmn_xml) == await pinned_sha(path), path.name
        if loaded.packed:
            assert not loaded.bpmn_xml and not loaded.dmn_xml
            kinds["packed"].append(len(loaded.packed))
        else:
            assert path.stem.startswith(OLDER), \
                f"{path.name} keeps its definition uncompressed: record it again"
            kinds["plain"].append(len(bpmn_xml) + sum(map(len, dmn_xml)))
    assert kinds["packed"] and kinds["plain"]
    assert max(kinds["packed"]) * 4 < min(kinds["plain"])


@workflow.defn(name="LoanProcessWorkflow")
class ChangedLoanProcessWorkflow(LoanProcessWorkflow):
    """Someone 'just' added a pause before loading the diagram."""

    @workflow.run
    async def run(self, inp: LoanProcessInput):  # type: ignore[override]
        await workflow.sleep(1)
        return await super().run(inp)


async def test_changed_workflow_fails_replay() -> None:
    changed = Replayer(workflows=[ChangedLoanProcessWorkflow], data_converter=CONVERTER,
                       workflow_runner=UnsandboxedWorkflowRunner())
    result = await changed.replay_workflow(
        load(HISTORIES[0]), raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, workflow.NondeterminismError)
