"""Every diagram plain SpiffWorkflow 3.2.0 runs to completion also runs to completion
through loanflow: deployed through the definitions store (strict=False: written
elsewhere), run by LoanProcessWorkflow on a real Temporal dev server with empty process
data, foreign service tasks on a test `external_service` activity, script tasks in the
restricted interpreter, and every user task completed through the `complete_task` Update.

The set is read from the corpus index (tests/fixtures/corpus/INDEX.csv: `runs_bpmn` or
`runs_spiff` == "yes"), so a file added there with a "yes" is run here too. The few files
that loanflow refuses on purpose are listed in REFUSED_BY_DESIGN with the element and the
reason the refusal must name."""

from __future__ import annotations

import asyncio
import csv
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lxml import etree
from sqlmodel import Session
from temporalio import activity
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.process import ProcessActivities
from bpmn.registry import lane_role
from core.settings import Settings
from core.temporal import converter_for
from runtime.worker import build_worker
from store.db import engine_for, init_db
from store.definitions import InvalidDefinition, deploy
from tests.conftest import make_settings
from workflows.types import (
    AssignTaskInput,
    AssignTaskResult,
    CompleteTaskInput,
    CompleteTaskResult,
    DefinitionRef,
    LoanProcessInput,
    LoanProcessResult,
    ProcessStatus,
    ServiceTaskInput,
    ServiceTaskResult,
)

# Async tests share the module's event loop, where the module's worker runs.
on_module_loop = pytest.mark.asyncio(loop_scope="module")

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "spiffworkflow-tests/tests/SpiffWorkflow/bpmn/data/"
NESTED = SPIFF + "Test-Workflows/"
TENANTS = ("camunda-bpm-examples/multi-tenancy/tenant-identifier-shared-definitions/src/main/"
           "resources/processes/default/")


def _index() -> list[dict[str, str]]:
    with (CORPUS / "INDEX.csv").open(newline="", encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if "yes" in (r["runs_bpmn"], r["runs_spiff"])]


RUNS = _index()
DIAGRAMS = sorted(r["file"] for r in RUNS if r["kind"] == "bpmn")
DECISION_TABLES = sorted(r["file"] for r in RUNS if r["kind"] == "dmn")

# Called processes that live in another file of the same folder, as plain Spiff was given
# them (its parser loads every file of the set).
CALLS: dict[str, list[str]] = {
    TENANTS + "mainProcess.bpmn": [TENANTS + "subProcess.bpmn"],
    NESTED + "CallActivity-Escalation-Test.bpmn20.xml":
        [NESTED + "CallActivity-Escalation-Test-Sub.bpmn20.xml"],
    NESTED + "Nested-Sub-level1.bpmn20.xml": [NESTED + "Nested-Sub-level2.bpmn20.xml"],
    NESTED + "Nested-Subprocesses.bpmn20.xml":
        [NESTED + "Nested-Sub-level1.bpmn20.xml", NESTED + "Nested-Sub-level2.bpmn20.xml"],
    SPIFF + "call_activity_end_event.bpmn": [SPIFF + "call_activity_call_activity.bpmn"],
    SPIFF + "io_spec_parent.bpmn": [SPIFF + "io_spec.bpmn"],
    SPIFF + "resetworkflowA-toplevel.bpmn": [SPIFF + "resetworkflowA-sublevel.bpmn"],
    SPIFF + "resetworkflowB-toplevel.bpmn": [SPIFF + "resetworkflowB-sublevel.bpmn"],
}

# What plain Spiff runs and loanflow refuses at deploy on purpose: (element named by the
# refusal, words of the reason).
REFUSED_BY_DESIGN: dict[str, tuple[str, str]] = {
    # Spiff keeps the last of two elements with one id; loanflow refuses the ambiguity.
    "ours-hostile/bpmn-duplicate-ids.bpmn": ("Task_1", "more than one element"),
    # Plain Spiff executes __import__('os') in a condition and open() in a script.
    "ours-hostile/exec-condition-dunder-import.bpmn": ("F1", "'__import__' is not allowed"),
    "ours-hostile/exec-script-reads-local-file.bpmn": ("Task_1", "'Import' is not allowed"),
    # Plain Spiff only survives these through lxml's defaults; loanflow refuses DTDs and
    # XInclude outright.
    "ours-hostile/xml-external-dtd-ssrf.bpmn": ("document", "DTD"),
    "ours-hostile/xml-xinclude.bpmn": ("document", "XInclude"),
    # Scripts that define Python functions: the restricted interpreter runs statements
    # over data, never diagram-defined functions.
    SPIFF + "ScriptTest.bpmn": ("Activity_0kky4xd", "'FunctionDef' is not allowed"),
    SPIFF + "random_fact.bpmn": ("Task_Get_Fact_From_API", "'FunctionDef' is not allowed"),
    # The first executable process (the one a deployment runs) is broken; plain Spiff
    # refuses it too and "runs" only a secondary process of the file.
    NESTED + "Parallel-Many-Threads-At-Same-Point-Nested.bpmn20.xml":
        ("sid-C3644051-AF3B-45A7-A56D-E3FECD1F0F73", "calledElement"),
    NESTED + "Parallel-Multiple-Splits.bpmn20.xml":
        ("sid-E2D0CBCD-5C99-49FA-A29E-D4B70CFEC942", "without condition"),
}

# Waits a whole day at its timer start event: run on the time-skipping test server.
LONG_TIMERS = {"spiff-example-cli/bpmn/tutorial/timer_start.bpmn"}

# Decision tables run in a one-task diagram with empty data. Given the same, plain Spiff
# completes four: these two, and collect_hit / bool_decision only because their inputs
# `type` and `input` resolve to Python builtins, which loanflow's evaluator does not
# expose. The other twenty need input data (plain Spiff fails too, with NameError or
# KeyError): the run must fail as a DiagramError naming the task and the missing input.
TABLES_COMPLETING_EMPTY = {
    SPIFF + "call_activity_nested/level2c.dmn",
    "spiffworkflow-tests/tests/SpiffWorkflow/dmn/data/input_dash.dmn",
}
TABLES_REFUSED_BY_DESIGN = {
    # A FEEL range: no Python evaluator reads it; refused at deploy, not at run time.
    "camunda-bpm-examples/dmn-engine/dmn-engine-java-main-method/src/main/resources/org/"
    "camunda/bpm/example/dish-decision.dmn11.xml": ("UnaryTests_0c60gjz", "does not parse"),
}


def test_the_corpus_set_is_what_the_index_says():
    assert len(DIAGRAMS) >= 100 and len(DECISION_TABLES) >= 20
    for name in [*DIAGRAMS, *DECISION_TABLES, *(f for fs in CALLS.values() for f in fs)]:
        assert (CORPUS / name).is_file(), name
    assert set(REFUSED_BY_DESIGN) | LONG_TIMERS <= set(DIAGRAMS)


# --- the worker, shared by the module -------------------------------------------------


@dataclass
class CorpusEnv:
    settings: Settings
    client: Client
    db_url: str = ""
    time_skipping: WorkflowEnvironment | None = None


@activity.defn(name="external_service")
def external_service(inp: ServiceTaskInput) -> ServiceTaskResult:
    return ServiceTaskResult({})


def _activities(env: CorpusEnv) -> list[Any]:
    process = ProcessActivities(lambda: Session(engine_for(env.db_url)))
    return [process.load_definition, process.assign_task, process.close_task,
            process.record_decision, process.record_decisions, process.finish_application,
            external_service]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def corpus_env(
    temporal_address: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[CorpusEnv]:
    base = tmp_path_factory.mktemp("corpus")
    settings = make_settings(base, f"sqlite:///{base / 'unused.db'}", temporal_address)
    client = await Client.connect(temporal_address, data_converter=converter_for(settings))
    env = CorpusEnv(settings, client)
    async with build_worker(client, settings, _activities(env)):
        yield env


@pytest.fixture
def db(corpus_env: CorpusEnv, tmp_path: Path) -> Iterator[str]:
    """A fresh SQLite database per test; the module's worker reads and writes it."""
    url = f"sqlite:///{tmp_path / 'loanflow.db'}"
    init_db(url)
    corpus_env.db_url = url
    yield url
    engine_for(url).dispose()


# --- deploying and driving ------------------------------------------------------------


def bundle(main: bytes, called: list[bytes]) -> bytes:
    """One document holding the diagram and the processes it calls from other files.

    A definition is stored as one BPMN document, so the called processes (and the
    escalations, errors, messages and signals they use) are appended to it; ids the
    called file shares with the caller (both have a StartEvent_1) get a suffix there."""
    root = etree.fromstring(main)
    taken = {i for el in root.iter() if isinstance(el.tag, str) and (i := el.get("id"))}
    for raw in called:
        for el in list(etree.fromstring(raw)):
            if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS:
                continue
            kind = etree.QName(el).localname
            if kind == "collaboration" or el.get("id") in taken:
                continue
            if kind == "process":
                _suffix_clashing_ids(el, taken)
            taken |= {i for e in el.iter() if isinstance(e.tag, str) and (i := e.get("id"))}
            root.append(el)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _suffix_clashing_ids(proc: etree._Element, taken: set[str]) -> None:
    renames = {i: f"{i}_called" for e in proc.iter() if isinstance(e.tag, str)
               if (i := e.get("id")) is not None and i in taken}
    for el in proc.iter():
        if not isinstance(el.tag, str):
            continue
        for attr in ("id", "sourceRef", "targetRef", "attachedToRef", "default"):
            if el.get(attr) in renames:
                el.set(attr, renames[el.get(attr)])
        if etree.QName(el).localname in ("incoming", "outgoing", "flowNodeRef") and \
                (el.text or "").strip() in renames:
            el.text = renames[(el.text or "").strip()]


def deploy_bytes(url: str, bpmn: bytes, dmn: list[bytes] | None = None) -> DefinitionRef:
    with Session(engine_for(url)) as s:
        row = deploy(s, bpmn, dmn or [], created_by="corpus-test", strict=False).row
        return DefinitionRef(row.process_id, row.version, row.sha256)


def diagram_bytes(name: str) -> bytes:
    raw = (CORPUS / name).read_bytes()
    called = CALLS.get(name)
    return bundle(raw, [(CORPUS / c).read_bytes() for c in called]) if called else raw


async def start(
    client: Client, task_queue: str, ref: DefinitionRef,
    execution_timeout: timedelta = timedelta(minutes=2),
) -> WorkflowHandle[Any, Any]:
    app_id = str(uuid.uuid4())
    return await client.start_workflow(
        "LoanProcessWorkflow",
        LoanProcessInput(app_id, ref, {"_generic_services": True, "_allow_scripts": True},
                         "applicant", "applicant"),
        id=f"corpus-{app_id}", task_queue=task_queue, result_type=LoanProcessResult,
        execution_timeout=execution_timeout,
    )


async def idle(handle: WorkflowHandle[Any, Any]) -> bool:
    """The run waits for people or time: no activity and no workflow task pending.

    The driver decides only then. Deciding while the workflow still runs the activities
    that open a task (assign_task) hits a race in LoanProcessWorkflow that the lead is
    to fix (see test_decision_while_the_task_is_being_assigned)."""
    raw = (await handle.describe()).raw_description
    return not raw.pending_activities and not raw.HasField("pending_workflow_task")


async def drive(handle: WorkflowHandle[Any, Any], timeout: float = 30) -> LoanProcessResult:
    """Complete every user task that opens (each by a different approver: four eyes)
    until the workflow ends; return its result (or raise its failure)."""
    result = asyncio.ensure_future(handle.result())
    deciders = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    status: ProcessStatus | None = None
    refused: Exception | None = None
    while not result.done():
        if loop.time() > deadline:
            result.cancel()
            raise AssertionError(f"no end after {timeout}s; last status {status}; "
                                 f"last refused decision: {refused!r}")
        try:
            if not await idle(handle):
                await asyncio.wait([result], timeout=0.02)
                continue
            status = await handle.query("status", result_type=ProcessStatus)
        except Exception:  # the run ended between two looks
            await asyncio.wait([result], timeout=0.05)
            continue
        for task in status.open_tasks:
            deciders += 1
            roles = sorted({"underwriter", lane_role(task.lane) or "underwriter"})
            try:
                await handle.execute_update(
                    "complete_task",
                    CompleteTaskInput(task.task_id, f"bot{deciders}", roles, "approve", "ok"),
                    result_type=CompleteTaskResult,
                )
            except Exception as err:  # closed meanwhile (timer, other branch) or ended
                refused = err
            break  # one decision at a time: the next look sees what it opened or closed
        await asyncio.wait([result], timeout=0.05)
    return result.result()


# --- the set --------------------------------------------------------------------------


@on_module_loop
@pytest.mark.parametrize("name", [d for d in DIAGRAMS
                                  if d not in REFUSED_BY_DESIGN and d not in LONG_TIMERS], ids=str)
async def test_diagram_runs_to_completion_through_loanflow(
    name: str, corpus_env: CorpusEnv, db: str
) -> None:
    ref = deploy_bytes(db, diagram_bytes(name))
    handle = await start(corpus_env.client, corpus_env.settings.task_queue, ref)
    try:
        result = await drive(handle)
    except WorkflowFailureError as err:
        pytest.fail(f"the workflow failed: {err.cause}")
    assert result.status == "completed", (result.status, result.outcome, result.reasons)
    assert result.steps, "nothing ran"


@pytest.mark.parametrize("name", sorted(REFUSED_BY_DESIGN), ids=str)
def test_diagram_refused_by_design_names_the_element(name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'loanflow.db'}"
    init_db(url)
    element, words = REFUSED_BY_DESIGN[name]
    with pytest.raises(InvalidDefinition) as err:
        deploy_bytes(url, diagram_bytes(name))
    assert any(p.element_id == element and words in p.reason for p in err.value.problems), \
        err.value.problems


@pytest_asyncio.fixture(loop_scope="module")
async def skipping_env(tmp_path: Path) -> AsyncIterator[CorpusEnv]:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'loanflow.db'}", "unused")
    init_db(settings.db_url)
    server = Path(sys.executable).parent / "temporal-test-server"
    async with await WorkflowEnvironment.start_time_skipping(
        data_converter=converter_for(settings), test_server_existing_path=str(server)
    ) as wf_env:
        env = CorpusEnv(settings, wf_env.client, settings.db_url, wf_env)
        async with build_worker(wf_env.client, settings, _activities(env)):
            yield env


@on_module_loop
@pytest.mark.parametrize("name", sorted(LONG_TIMERS), ids=str)
async def test_diagram_with_a_day_long_timer_completes_on_skipped_time(
    name: str, skipping_env: CorpusEnv
) -> None:
    ref = deploy_bytes(skipping_env.db_url, diagram_bytes(name))
    clock = skipping_env.time_skipping
    assert clock is not None
    # Skip the day by hand: skipping while the driver waits for the result would run
    # straight on to the execution timeout while the user task after the timer waits.
    with clock.auto_time_skipping_disabled():
        handle = await start(skipping_env.client, skipping_env.settings.task_queue, ref,
                             execution_timeout=timedelta(days=7))
        await clock.sleep(timedelta(days=1, minutes=1))
        try:
            result = await drive(handle)
        except WorkflowFailureError as err:
            pytest.fail(f"the workflow failed: {err.cause}")
    assert result.status == "completed"
    assert [s.element_id for s in result.steps][:1] == ["Start_Event"]
    started = (await handle.describe()).start_time
    assert started is not None
    assert datetime.fromisoformat(result.steps[0].at) - started >= timedelta(days=1)


# --- decision tables ------------------------------------------------------------------


def decision_diagram(decision_id: str) -> bytes:
    """start -> business rule task `decide` (the table) -> end."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="decide_defs" targetNamespace="https://loanflow.dev/tests">
  <bpmn:process id="decide_process" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="decide"/>
    <bpmn:businessRuleTask id="decide" camunda:decisionRef="{decision_id}"/>
    <bpmn:sequenceFlow id="f2" sourceRef="decide" targetRef="finish"/>
    <bpmn:endEvent id="finish"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


def first_decision(raw: bytes) -> str:
    root = etree.fromstring(raw)
    ns = etree.QName(root).namespace
    found = root.find(f"{{{ns}}}decision")
    assert found is not None
    return str(found.get("id"))


def _input_names(raw: bytes) -> set[str]:
    root = etree.fromstring(raw)
    ns = etree.QName(root).namespace
    names = {str(i.get("label")) for i in root.iter(f"{{{ns}}}input")}
    names |= {(t.text or "").strip() for t in root.iter(f"{{{ns}}}text")
              if t.getparent() is not None
              and etree.QName(t.getparent()).localname == "inputExpression"}
    return {n for n in names if n}


@on_module_loop
@pytest.mark.parametrize("name", [t for t in DECISION_TABLES if t not in TABLES_REFUSED_BY_DESIGN],
                         ids=str)
async def test_decision_table_runs_through_loanflow(
    name: str, corpus_env: CorpusEnv, db: str
) -> None:
    raw = (CORPUS / name).read_bytes()
    ref = deploy_bytes(db, decision_diagram(first_decision(raw)), [raw])
    handle = await start(corpus_env.client, corpus_env.settings.task_queue, ref)
    if name in TABLES_COMPLETING_EMPTY:
        result = await drive(handle)
        assert result.status == "completed"
        assert "decide" in [s.element_id for s in result.steps]
        return
    with pytest.raises(WorkflowFailureError) as err:
        await drive(handle)
    cause = err.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "DiagramError", cause
    assert cause.message.startswith("diagram error at decide: "), cause.message
    assert any(f"'{n}'" in cause.message for n in _input_names(raw)), cause.message


@pytest.mark.parametrize("name", sorted(TABLES_REFUSED_BY_DESIGN), ids=str)
def test_decision_table_refused_by_design_names_the_entry(name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'loanflow.db'}"
    init_db(url)
    raw = (CORPUS / name).read_bytes()
    element, words = TABLES_REFUSED_BY_DESIGN[name]
    with pytest.raises(InvalidDefinition) as err:
        deploy_bytes(url, decision_diagram(first_decision(raw)), [raw])
    assert any(p.element_id == element and words in p.reason for p in err.value.problems), \
        err.value.problems


# --- a race found by this suite (in workflows/, not the engine) -----------------------

SEQUENTIAL_REVIEWS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="race_defs" targetNamespace="https://loanflow.dev/tests">
  <bpmn:process id="race" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="first"/>
    <bpmn:userTask id="first"/>
    <bpmn:sequenceFlow id="f2" sourceRef="first" targetRef="second"/>
    <bpmn:userTask id="second"/>
    <bpmn:sequenceFlow id="f3" sourceRef="second" targetRef="finish"/>
    <bpmn:endEvent id="finish"/>
  </bpmn:process>
</bpmn:definitions>""".encode()

PARALLEL_REVIEWS = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="race_defs" targetNamespace="https://loanflow.dev/tests">
  <bpmn:process id="race" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="first"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="second"/>
    <bpmn:userTask id="first"/>
    <bpmn:userTask id="second"/>
    <bpmn:sequenceFlow id="f4" sourceRef="first" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="second" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="finish"/>
    <bpmn:endEvent id="finish"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@on_module_loop
@pytest.mark.parametrize(("diagram", "decide_first"), [(SEQUENTIAL_REVIEWS, "first"),
                                                      (PARALLEL_REVIEWS, "second")],
                         ids=["sequential", "parallel"])
async def test_decision_while_the_task_is_being_assigned(
    diagram: bytes, decide_first: str, corpus_env: CorpusEnv, db: str
) -> None:
    process = ProcessActivities(lambda: Session(engine_for(db)))

    @activity.defn(name="assign_task")
    def slow_assign_task(inp: AssignTaskInput) -> AssignTaskResult:
        time.sleep(1.0)  # the inbox row is written late: an approver may act before
        return process.assign_task(inp)

    settings = corpus_env.settings.model_copy(update={"task_queue": f"race-{uuid.uuid4().hex}"})
    acts = [process.load_definition, slow_assign_task, process.close_task,
            process.record_decision, process.record_decisions, process.finish_application,
            external_service]
    async with build_worker(corpus_env.client, settings, acts):
        handle = await start(corpus_env.client, settings.task_queue, deploy_bytes(db, diagram))
        for _ in range(100):  # the task is open (in the status) before it is assigned
            status = await handle.query("status", result_type=ProcessStatus)
            opened = [t for t in status.open_tasks if t.element_id == decide_first]
            if opened:
                break
            await asyncio.sleep(0.02)
        await handle.execute_update(
            "complete_task",
            CompleteTaskInput(opened[0].task_id, "early", ["underwriter"], "approve", "ok"),
            result_type=CompleteTaskResult,
        )
        result = await drive(handle)
    assert result.status == "completed"
