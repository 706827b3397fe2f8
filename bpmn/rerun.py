"""Re-drive a compiled process in plain Python from a journal of what happened.

What-if analysis asks: had this diagram been deployed, what would past applications have
become? A journal holds what the world answered during one recorded run: every activity's
result keyed by (element id, occurrence), every human decision keyed the same way, and the
workflow time at which each was taken in. `rerun` steps a `ProcessInstance` the way
LoanProcessWorkflow does (ready service calls first, all of them, in order; then user
tasks; then timers), answers from the journal only, and drives the engine's clock from the
recorded times, so timers fire (or not) as they would have. No activity runs, nothing is
written anywhere.

A candidate that asks something the record cannot answer (an activity the recorded run
never called at that element, a user task nobody decided) is reported `undecidable` with
the element: what-if never guesses."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bpmn import engine
from bpmn.clock import TaskId
from bpmn.registry import lookup

UNDECIDABLE = "undecidable"
FAILED = "failed"
REFER = "refer"  # a decision that sends the task to the applicant and keeps it open
# A timer fires once the clock is strictly past its deadline (Spiff compares with <); the
# workflow waits the same extra millisecond.
_TICK = timedelta(milliseconds=1)
MAX_TURNS = 5_000  # a loop that never ends is reported, not waited for
# Activities that act on the world (pay out, notify, remind) and answer nothing a decision
# reads: where the recorded run never called one, what-if lets it "run" with no answer
# rather than call every changed decision undecidable. Should a later element then fail,
# the result is undecidable after all (it may have read the missing answer).
EFFECTS = frozenset({"disburse_loan", "notify_applicant", "remind_approver"})


# --- the journal -----------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedCall:
    """An activity's answer: `output` (merged into the process data) or `error`."""

    element_id: str
    occurrence: int
    activity: str
    at: datetime
    output: Mapping[str, Any] | None = None
    error: Mapping[str, str] | None = None  # {"type", "message"} when it failed for good


@dataclass(frozen=True)
class RecordedDecision:
    element_id: str
    occurrence: int
    actor: str
    decision: str
    reason: str
    at: datetime
    reason_codes: tuple[str, ...] = ()
    actor_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Referral:
    """An approver's question to the applicant: the task's timers held meanwhile."""

    element_id: str
    occurrence: int
    asked_at: datetime
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Step:
    element_id: str
    name: str
    kind: str
    outcome: str

    def describe(self) -> str:
        return self.element_id if self.outcome in ("", "done") else \
            f"{self.element_id} ({self.outcome})"


@dataclass
class Journal:
    """What one finished application's run took in from the outside world."""

    workflow_id: str
    application_id: str
    process_id: str
    version: int
    sha256: str
    started_at: datetime
    data: dict[str, Any]  # the process input as started (keys with "_" are run flags)
    calls: dict[tuple[str, int], RecordedCall] = field(default_factory=dict)
    decisions: dict[tuple[str, int], RecordedDecision] = field(default_factory=dict)
    referrals: list[Referral] = field(default_factory=list)
    migrated: bool = False  # moved to another version while it ran
    timers_fired: list[datetime] = field(default_factory=list)
    ended_at: datetime | None = None
    status: str | None = None  # as recorded: approved, declined, failed, completed...
    outcome: str | None = None
    steps: list[Step] | None = None  # the recorded path, when the run returned one
    # The diagram and decision tables the run loaded (its history records them).
    definition: tuple[str, tuple[str, ...]] | None = None


# --- the result ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    element_id: str
    reason: str
    name: str = ""


@dataclass
class RerunResult:
    status: str  # approved, declined, completed, failed, undecidable
    outcome: str
    path: list[Step]
    end_event: str | None = None
    problem: Problem | None = None


@dataclass(frozen=True)
class Divergence:
    """The element that made the difference between two paths, and how."""

    element_id: str
    name: str
    before: str  # what the recorded path did there
    after: str  # what the candidate did there

    def explain(self) -> str:
        return f"{self.element_id}: {self.before} → {self.after}"


_Event = tuple[datetime, str, "Referral | RecordedDecision"]  # (when, hold|resume|decide, what)


class _Undecidable(Exception):
    def __init__(self, element_id: str, reason: str, name: str = "") -> None:
        super().__init__(reason)
        self.problem = Problem(element_id, reason, name)


class _Failed(Exception):
    def __init__(self, element_id: str, reason: str, name: str = "") -> None:
        super().__init__(reason)
        self.problem = Problem(element_id, reason, name)


class ReplayClock:
    """The engine's clock, moved by the rerun to recorded times; never goes back."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def move_to(self, moment: datetime) -> None:
        self._now = max(self._now, _aware(moment))

    def uuid4(self) -> TaskId:
        return TaskId(uuid.uuid4().int)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- re-driving ------------------------------------------------------------------------


def rerun(process: engine.CompiledProcess, journal: Journal,
          effects: frozenset[str] = EFFECTS) -> RerunResult:
    """Drive `process` with the journal's answers; never raises for a process problem."""
    return _Rerun(journal, effects).run(process)


class _Rerun:
    def __init__(self, journal: Journal, effects: frozenset[str]) -> None:
        self.journal = journal
        self.effects = effects
        self.clock = ReplayClock(journal.started_at)
        self.generic = bool(journal.data.get("_generic_services"))
        self.stand_ins: list[engine.ServiceCall] = []  # effects answered with nothing
        # What people did, per task, in recorded order: referrals (asked, answered) and
        # the decision that completed it.
        self.events: dict[tuple[str, int], list[_Event]] = {}
        for r in journal.referrals:
            key = (r.element_id, r.occurrence)
            self.events.setdefault(key, []).append((_aware(r.asked_at), "hold", r))
            if r.answered_at is not None:
                self.events[key].append((_aware(r.answered_at), "resume", r))
        for key, d in journal.decisions.items():
            self.events.setdefault(key, []).append((_aware(d.at), "decide", d))
        for queue in self.events.values():
            queue.sort(key=lambda e: e[0])

    def run(self, process: engine.CompiledProcess) -> RerunResult:
        data = {k: v for k, v in self.journal.data.items() if not k.startswith("_")}
        data.setdefault("service_errors", [])
        inst: engine.ProcessInstance | None = None
        try:
            inst = engine.ProcessInstance(process, data, self.clock)
            inst.advance()
            self._drive(inst)
        except _Undecidable as err:
            return RerunResult(UNDECIDABLE, UNDECIDABLE, _path(inst), problem=err.problem)
        except (_Failed, engine.EngineError) as err:
            problem = err.problem if isinstance(err, _Failed) else \
                Problem(err.element_id, err.reason)
            if self.stand_ins:  # it may have read what an effect would have answered
                e = self.stand_ins[-1]
                return RerunResult(UNDECIDABLE, UNDECIDABLE, _path(inst), problem=Problem(
                    e.element_id, f"{problem.element_id} fails ({problem.reason}) after "
                    f"{e.element_id} ({e.operation}), which the recorded run never called: "
                    "cannot answer from the record", e.name))
            return RerunResult(FAILED, "error", _path(inst), problem=problem)
        return _conclude(inst)

    def _drive(self, inst: engine.ProcessInstance) -> None:
        for _ in range(MAX_TURNS):
            if inst.is_completed():
                return
            calls = inst.ready_service_calls()
            if calls:
                answers = [self._answer(inst, call) for call in calls]
                for call, (at, output) in zip(calls, answers, strict=True):
                    self.clock.move_to(at)
                    inst.complete(call.element_id, call.occurrence, output)
                continue
            self._wait(inst)
        raise _Failed(",".join(inst.current_elements()) or "process",
                      f"the process did not end within {MAX_TURNS} steps")

    def _answer(self, inst: engine.ProcessInstance,
                call: engine.ServiceCall) -> tuple[datetime, dict[str, Any]]:
        spec = lookup(call.operation, allow_generic=self.generic)
        activity = spec.activity if spec is not None else call.operation
        rec = self.journal.calls.get((call.element_id, call.occurrence))
        if rec is None and activity in self.effects:
            self.stand_ins.append(call)
            return self.clock.now(), {}
        if rec is None:
            occurrence = f" (occurrence {call.occurrence})" if call.occurrence > 1 else ""
            raise _Undecidable(call.element_id, (
                f"element {call.element_id} calls activity {activity} that the recorded run "
                f"never called{occurrence}: cannot answer from the record"), call.name)
        if rec.activity != activity:
            raise _Undecidable(call.element_id, (
                f"element {call.element_id} calls activity {activity}; the recorded run "
                f"called {rec.activity} there: cannot answer from the record"), call.name)
        if rec.error is None:
            return rec.at, dict(rec.output or {})
        message = rec.error.get("message", "failed")
        if call.extensions.get("onError") != "continue":
            raise _Failed(call.element_id, message, call.name)
        data = inst.task_data(call.element_id, call.occurrence)
        errors = list(data.get("service_errors") or [])
        errors.append({"element": call.element_id, "service": call.operation,
                       "type": rec.error.get("type", "Error"), "message": message})
        return rec.at, {"service_errors": errors}

    def _wait(self, inst: engine.ProcessInstance) -> None:
        """Nothing to call: the next thing is what people did on a ready task (decide,
        refer to the applicant, the applicant's answer) or a timer, whichever came first
        on the recorded clock."""
        users = inst.ready_user_tasks()
        heads = [self.events[k][0] for k in ((u.element_id, u.occurrence) for u in users)
                 if self.events.get(k)]
        nxt = min(heads, key=lambda e: e[0]) if heads else None
        deadline = inst.next_timer()
        if deadline is not None and (nxt is None or deadline < nxt[0]):
            end = self.journal.ended_at
            if nxt is None and users and (end is None or deadline > _aware(end)):
                # Nobody decided while the recorded run lasted; past its end the record
                # says nothing about whether someone would have.
                u = users[0]
                raise _Undecidable(u.element_id, (
                    f"user task {u.element_id} waits for a decision the recorded run never "
                    f"made (its timer fires at {deadline.isoformat()}, after the recorded "
                    "run ended): cannot answer from the record"), u.name)
            self.clock.move_to(max(deadline, self.clock.now()) + _TICK)
            inst.advance()
            return
        if nxt is None:
            if users:
                u = users[0]
                raise _Undecidable(u.element_id, (
                    f"user task {u.element_id} waits for a decision the recorded run never "
                    "made: cannot answer from the record"), u.name)
            raise _Failed(",".join(inst.current_elements()) or "process",
                          "the process cannot go on: nothing to do and nothing to wait for")
        at, kind, what = nxt
        self.events[(what.element_id, what.occurrence)].pop(0)
        self.clock.move_to(at)
        if isinstance(what, RecordedDecision):
            self._decide(inst, what)
        elif kind == "hold":
            inst.hold_timers(what.element_id, what.occurrence)
        else:
            inst.resume_timers(what.element_id, what.occurrence, at - _aware(what.asked_at))

    def _decide(self, inst: engine.ProcessInstance, d: RecordedDecision) -> None:
        """As LoanProcessWorkflow applies a `complete_task` decision."""
        data = inst.task_data(d.element_id, d.occurrence)
        approvals = list(data.get("approvals") or [])
        if d.decision == "approve":
            approvals.append(d.actor)
        inst.complete(d.element_id, d.occurrence, {
            "decision": d.decision, "decision_reason": d.reason,
            "decision_reason_codes": list(d.reason_codes), "decided_by": d.actor,
            "approvals": approvals,
        })


def _conclude(inst: engine.ProcessInstance) -> RerunResult:
    """Status and outcome as LoanProcessWorkflow concludes them."""
    ends = inst.end_events()
    status, outcome = "completed", "completed"
    for _, name, ext, is_error in ends:
        if is_error:
            status, outcome = FAILED, ext.get("outcome") or name
        elif ext.get("outcome"):
            status = outcome = ext["outcome"]
    problem = Problem(ends[-1][0], f"error end event {ends[-1][1]}") \
        if ends and status == FAILED else None
    return RerunResult(status, outcome, _path(inst), ends[-1][0] if ends else None, problem)


def _path(inst: engine.ProcessInstance | None) -> list[Step]:
    if inst is None:
        return []
    return [Step(s.element_id, s.name, s.kind, s.outcome) for s in inst.steps]


# --- comparing paths -------------------------------------------------------------------


def first_divergence(before: Sequence[Step], after: Sequence[Step]) -> Divergence | None:
    """Where two paths part, and the element that chose differently: the element itself
    when it answered differently (a rule, a decision), an event that fired in one path
    only (a timer), else the element both passed last (a gateway that took another flow)."""
    i = 0
    while i < len(before) and i < len(after) and _same(before[i], after[i]):
        i += 1
    if i == len(before) and i == len(after):
        return None
    old = before[i] if i < len(before) else None
    new = after[i] if i < len(after) else None
    if old is not None and new is not None and old.element_id == new.element_id:
        return Divergence(new.element_id, new.name, old.outcome, new.outcome)
    if new is not None and new.kind == "event":
        chooser = new
    elif old is not None and old.kind == "event":
        chooser = old
    elif i > 0:
        chooser = after[i - 1]
    else:
        chooser = new if new is not None else before[0]
    return Divergence(chooser.element_id, chooser.name, _then(old), _then(new))


def _then(step: Step | None) -> str:
    return f"then {step.describe()}" if step is not None else "ended"


def _same(a: Step, b: Step) -> bool:
    return a.element_id == b.element_id and a.outcome == b.outcome
