"""The journal of a finished application, read from its LoanProcessWorkflow history.

What-if analysis (bpmn/rerun.py) re-drives a diagram from what the outside world answered
during a recorded run. That is all in the Temporal history, encrypted: activity results
(activity id `<element>-<occurrence>`, see loan_process.py), the human decisions (accepted
`complete_task` Updates), fired timers, and the time of every workflow task (the
workflow's clock). Decoding needs the project's data converter, passed in.

Local-activity markers (definition loading, decision records) and the bookkeeping
activities (inbox rows, finishing) answer nothing the diagram reads: they are skipped."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from bpmn.rerun import REFER, Journal, RecordedCall, RecordedDecision, Referral, Step
from workflows.types import (
    AnswerReferralInput,
    CompleteTaskInput,
    LoadDefinitionResult,
    LoanProcessInput,
    LoanProcessResult,
    ServiceTaskResult,
)

COMPLETE_TASK = "complete_task"
ANSWER_REFERRAL = "answer_referral"
MIGRATE = "migrate"
_E = EventType


class NotALoanProcess(ValueError):
    """The history is not one of a LoanProcessWorkflow (or has no start)."""


@dataclass
class _Pending:
    """An answer waiting for the workflow task that took it in (its workflow time)."""

    kind: str  # call, timer
    key: tuple[str, int] | None = None
    activity: str = ""
    output: dict[str, Any] | None = None
    error: dict[str, str] | None = None


def _time(event: HistoryEvent) -> datetime:
    return event.event_time.ToDatetime(tzinfo=UTC)


def _call_key(activity_id: str) -> tuple[str, int] | None:
    """`<element>-<occurrence>` for diagram service tasks; bookkeeping activities have
    plain sequence numbers."""
    element, sep, occ = activity_id.rpartition("-")
    if not sep or not element or not occ.isdigit():
        return None
    return element, int(occ)


FETCH_CONCURRENCY = 16  # histories fetched at once: enough to hide the round trips


async def fetch_journals(client: Client, workflow_ids: Sequence[str],
                         concurrency: int = FETCH_CONCURRENCY) -> list[Journal | str]:
    """The journals of these runs, fetched from Temporal a few at a time, in order; a
    string in place of one says why its history could not be read (gone with retention,
    or its applicant's key destroyed)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(workflow_id: str) -> Journal | str:
        async with gate:
            try:
                history = await client.get_workflow_handle(workflow_id).fetch_history()
                return await journal_from_history(history, client.data_converter)
            except (RPCError, NotALoanProcess, ValueError) as err:
                return f"its history cannot be read: {err}"

    return list(await asyncio.gather(*(one(w) for w in workflow_ids)))


async def journal_from_history(history: WorkflowHistory, converter: DataConverter) -> Journal:
    """Build the journal of one run (finished or not) from its history."""
    events: Sequence[HistoryEvent] = history.events
    if not events or events[0].event_type != _E.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
        raise NotALoanProcess(f"{history.workflow_id}: the history has no start")
    start = events[0].workflow_execution_started_event_attributes
    if start.workflow_type.name != "LoanProcessWorkflow":
        raise NotALoanProcess(f"{history.workflow_id}: a {start.workflow_type.name} history")
    [inp] = await converter.decode(start.input.payloads, [LoanProcessInput])
    assert isinstance(inp, LoanProcessInput)
    reader = _Reader(history.workflow_id, inp, _time(events[0]), converter)
    for event in events[1:]:
        await reader.read(event)
    return reader.finish()


class _Reader:
    def __init__(self, workflow_id: str, inp: LoanProcessInput, at: datetime,
                 converter: DataConverter) -> None:
        ref = inp.definition
        self.journal = Journal(workflow_id, inp.application_id, ref.process_id, ref.version,
                               ref.sha256, at, dict(inp.data))
        self.converter = converter
        self.wft_time: datetime | None = None  # the workflow's clock: its last task start
        self.scheduled: dict[int, tuple[str, str]] = {}  # event id -> (activity id, type)
        self.pending: list[_Pending] = []
        # update id -> a decision, an applicant's answer (task key, time) or a migration
        self.accepted: dict[str, RecordedDecision | tuple[str, int, datetime] | str] = {}
        self.applied: set[str] = set()

    async def read(self, event: HistoryEvent) -> None:
        kind = event.event_type
        if kind == _E.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            self._workflow_task(_time(event))
        elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attrs = event.activity_task_scheduled_event_attributes
            self.scheduled[event.event_id] = (attrs.activity_id, attrs.activity_type.name)
        elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
            done = event.activity_task_completed_event_attributes
            await self._call(done.scheduled_event_id, done.result.payloads, None)
        elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_FAILED:
            failed = event.activity_task_failed_event_attributes
            await self._call(failed.scheduled_event_id, (), await self._error(failed.failure))
        elif kind == _E.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
            timed = event.activity_task_timed_out_event_attributes
            await self._call(timed.scheduled_event_id, (),
                             {"type": "Error", "message": "activity timed out"})
        elif kind == _E.EVENT_TYPE_MARKER_RECORDED:
            await self._marker(event)
        elif kind == _E.EVENT_TYPE_TIMER_FIRED:
            self.pending.append(_Pending("timer"))
        elif kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            await self._update(event)
        elif kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
            done_update = event.workflow_execution_update_completed_event_attributes
            if done_update.outcome.HasField("success"):
                self.applied.add(done_update.meta.update_id)
        else:
            await self._closed(event)

    def _workflow_task(self, at: datetime) -> None:
        if self.wft_time is None:
            self.journal.started_at = at  # the process starts in the first workflow task
        self.wft_time = at
        for p in self.pending:
            if p.kind == "timer":
                self.journal.timers_fired.append(at)
            elif p.key is not None:
                self.journal.calls[p.key] = RecordedCall(p.key[0], p.key[1], p.activity, at,
                                                         p.output, p.error)
        self.pending.clear()

    async def _call(self, scheduled_id: int, payloads: Sequence[Any],
                    error: dict[str, str] | None) -> None:
        activity_id, activity = self.scheduled.get(scheduled_id, ("", ""))
        key = _call_key(activity_id)
        if key is None:
            return
        output: dict[str, Any] | None = None
        if error is None:
            [result] = await self.converter.decode(list(payloads), [ServiceTaskResult])
            output = dict(result.output) if isinstance(result, ServiceTaskResult) else {}
        self.pending.append(_Pending("call", key, activity, output, error))

    async def _error(self, failure: Any) -> dict[str, str]:
        """What the workflow saw of a failed activity (loan_process._cause / _cause_type)."""
        err = await self.converter.decode_failure(failure)
        if isinstance(err, ApplicationError):
            return {"type": err.type or "ApplicationError", "message": str(err.message)}
        return {"type": "Error", "message": str(err)}

    async def _marker(self, event: HistoryEvent) -> None:
        """The definition the run loaded (a local activity): kept with the journal, so a
        record can be re-driven on its own version even where the database lacks it."""
        details = event.marker_recorded_event_attributes.details
        if self.journal.definition is not None or "data" not in details \
                or "result" not in details:
            return
        [meta] = await self.converter.decode(list(details["data"].payloads), [dict])
        if not isinstance(meta, dict) or meta.get("activity_type") != "load_definition":
            return
        [loaded] = await self.converter.decode(list(details["result"].payloads),
                                               [LoadDefinitionResult])
        if isinstance(loaded, LoadDefinitionResult):
            bpmn_xml, dmn_xml = loaded.documents()
            self.journal.definition = (bpmn_xml, tuple(dmn_xml))

    async def _update(self, event: HistoryEvent) -> None:
        attrs = event.workflow_execution_update_accepted_event_attributes
        request = attrs.accepted_request
        name, uid, at = request.input.name, request.meta.update_id, self.wft_time
        if at is None:
            return
        if name == MIGRATE:
            self.accepted[uid] = MIGRATE
        elif name == ANSWER_REFERRAL:
            [a] = await self.converter.decode(request.input.args.payloads, [AnswerReferralInput])
            assert isinstance(a, AnswerReferralInput)
            _, element_id, occ = a.task_id.rsplit("/", 2)
            self.accepted[uid] = (element_id, int(occ), at)
        elif name == COMPLETE_TASK:
            [d] = await self.converter.decode(request.input.args.payloads, [CompleteTaskInput])
            assert isinstance(d, CompleteTaskInput)
            _, element_id, occ = d.task_id.rsplit("/", 2)
            self.accepted[uid] = RecordedDecision(
                element_id, int(occ), d.actor, d.decision, d.reason, at,
                tuple(d.reason_codes), tuple(d.actor_roles))

    async def _closed(self, event: HistoryEvent) -> None:
        kind = event.event_type
        if kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            payloads = event.workflow_execution_completed_event_attributes.result.payloads
            [result] = await self.converter.decode(list(payloads), [LoanProcessResult])
            assert isinstance(result, LoanProcessResult)
            self._end(event, result.status, result.outcome)
            self.journal.steps = [Step(s.element_id, s.name, s.kind, s.outcome)
                                  for s in result.steps]
        elif kind == _E.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
            self._end(event, "failed", "error")
        elif kind in (_E.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED,
                      _E.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
                      _E.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT):
            self._end(event, "cancelled", "cancelled")

    def _end(self, event: HistoryEvent, status: str, outcome: str) -> None:
        self.journal.ended_at = _time(event)
        self.journal.status, self.journal.outcome = status, outcome

    def finish(self) -> Journal:
        """Updates count once they succeeded (a handler may still refuse). A "refer"
        decision sends the task to the applicant and leaves it open: it and the answer
        are a referral; the decision that completes the task comes after."""
        j = self.journal
        for uid, what in self.accepted.items():
            if uid not in self.applied:
                continue
            if what == MIGRATE:
                j.migrated = True
            elif isinstance(what, RecordedDecision) and what.decision == REFER:
                j.referrals.append(Referral(what.element_id, what.occurrence, what.at))
            elif isinstance(what, RecordedDecision):
                j.decisions[(what.element_id, what.occurrence)] = what
            elif isinstance(what, tuple):
                for n, r in enumerate(j.referrals):
                    if (r.element_id, r.occurrence) == what[:2] and r.answered_at is None:
                        j.referrals[n] = dataclasses.replace(r, answered_at=what[2])
                        break
        return j
