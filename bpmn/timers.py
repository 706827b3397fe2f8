"""Holding the boundary timers of one user task while the task waits on someone else.

When an approver refers a task to the applicant, the approver's clock stops: the task's
reminder and escalation timers must not fire while the applicant answers, and when the
answer comes they fire as much later as the wait lasted. Spiff keeps a waiting timer's
deadline in its task's internal data (`event_value`); holding moves it out of reach,
resuming puts it back shifted by the wait. Pure, deterministic, no clock of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

# Far enough never to fire, near enough that datetime arithmetic cannot overflow.
HELD = datetime(9000, 1, 1, tzinfo=UTC)

Held = list[tuple[Any, Any]]  # (Spiff task id, the deadline it had)


def attached_timers(task: Any) -> list[Any]:
    """Waiting boundary timer tasks attached to a user task (its siblings under Spiff's
    boundary-event split)."""
    parent = task.parent
    if parent is None:
        return []
    return [
        t for t in parent.children
        if isinstance(t.task_spec, BoundaryEvent)
        and isinstance(t.task_spec.event_definition, TimerEventDefinition)
        and t.state == TaskState.WAITING
    ]


def hold(task: Any) -> Held:
    held: Held = []
    for timer in attached_timers(task):
        held.append((timer.id, timer._get_internal_data("event_value")))
        timer._set_internal_data(event_value=_shift(timer._get_internal_data("event_value"),
                                                    None))
    return held


def resume(workflow: Any, held: Held, delay: timedelta) -> None:
    for task_id, original in held:
        timer = workflow.get_task_from_id(task_id)
        if timer is None or timer.state != TaskState.WAITING:
            continue  # the task ended while held: its timers went with it
        if original is None:  # never evaluated: let Spiff evaluate it afresh
            timer.internal_data.pop("event_value", None)
        else:
            timer._set_internal_data(event_value=_shift(original, delay))


def _shift(value: Any, delay: timedelta | None) -> Any:
    """The deadline moved by `delay`, or out of reach when `delay` is None."""
    if isinstance(value, dict):  # a cycle timer: {"cycles", "next", "duration"}
        out = dict(value)
        out["next"] = _shift(value.get("next"), delay)
        return out
    if delay is None:
        return HELD.isoformat()
    moment = value if isinstance(value, datetime) else _parse(value)
    if moment is None:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment + delay).isoformat()


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # Spiff raises bare exceptions on odd strings
        return None
    return parsed if isinstance(parsed, datetime) else None
