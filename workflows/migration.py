"""Moving a running instance to another version of its diagram, when that is safe.

Safe means: the new version, driven from the start with everything this instance has
been told so far (each service result and each human decision, in order), passes through
the same steps and arrives where the instance stands now, waiting on the same tasks,
without needing anything that never happened. Anything else is refused with the element
where the versions part and why. Nothing here performs I/O; the workflow calls it inside
an Update handler, so a migration is in the history like any other command."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bpmn import engine


@dataclass(frozen=True)
class Completion:
    """One thing the instance was told: a service result or a person's decision."""

    element_id: str
    occurrence: int
    output: dict[str, Any]


class MigrationRefused(Exception):
    def __init__(self, element_id: str, reason: str) -> None:
        super().__init__(f"{element_id}: {reason}")
        self.element_id = element_id
        self.reason = reason


def check_movable(old: engine.ProcessInstance, referred: Sequence[str], busy: bool) -> None:
    """Where the instance stands must be a quiet point: no step running, nobody asked."""
    if busy:
        raise MigrationRefused("process", "a step is running right now; try again when the "
                                          "instance waits")
    if referred:
        raise MigrationRefused(referred[0], "a question waits for the applicant")
    timers = [s.element_id for s in old.steps if s.kind == "event"]
    if timers:
        raise MigrationRefused(timers[0], "a timer has fired in this instance: a timer's "
                                          "effects cannot be carried to another version")


def redrive(
    process: engine.CompiledProcess, data: Mapping[str, Any], clock: Any,
    journal: Sequence[Completion], old: engine.ProcessInstance,
) -> engine.ProcessInstance:
    """The instance of the new version that stands where `old` stands, or a refusal."""
    new = engine.ProcessInstance(process, data, clock)
    new.advance()
    for c in journal:
        if not new.is_ready(c.element_id, c.occurrence):
            waiting = ", ".join(_waiting(new)) or "nothing"
            raise MigrationRefused(
                c.element_id, f"the new version does not reach this step where the instance "
                              f"did (it would wait on {waiting} instead)")
        new.complete(c.element_id, c.occurrence, c.output)
    calls = new.ready_service_calls()
    if calls:
        raise MigrationRefused(
            calls[0].element_id, f"the new version would call '{calls[0].operation}' here, "
                                 "a call this instance never made")
    had = {(u.element_id, u.occurrence) for u in old.ready_user_tasks()}
    has = {(u.element_id, u.occurrence) for u in new.ready_user_tasks()}
    if had != has:
        gone = sorted(e for e, _ in had - has)
        added = sorted(e for e, _ in has - had)
        element = (gone or added or ["process"])[0]
        raise MigrationRefused(element, "the open tasks would change: "
                                        f"{', '.join(gone) or 'none'} would end, "
                                        f"{', '.join(added) or 'none'} would open")
    if old.next_timer() != new.next_timer():
        raise MigrationRefused(",".join(old.current_elements()) or "process",
                               "the instance's timers would change")
    new.steps = list(old.steps)  # the path is the same: keep when each step happened
    return new


def _waiting(inst: engine.ProcessInstance) -> list[str]:
    return sorted({*(c.element_id for c in inst.ready_service_calls()),
                   *(u.element_id for u in inst.ready_user_tasks())})
