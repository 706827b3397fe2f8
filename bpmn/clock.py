"""Where SpiffWorkflow gets time and ids from.

Spiff stamps `time.time()`, makes task ids with `uuid4()` and computes timer deadlines
from `datetime.now()`. Inside a Temporal workflow all three must come from the workflow
(`workflow.time()`, `workflow.uuid4()`, `workflow.now()`) or replay diverges. Spiff is
passed through the workflow sandbox, so its module globals are replaced once, here, by
shims that ask the clock installed for the current thread; outside any scope they use
the system clock. Engine calls run synchronously on one thread, so a thread-local scope
is exact. Within one scope (one engine call, which takes no time) the clock's time is
read once: Spiff stamps every state change, and asking a workflow for its time costs
far more than reading a float."""

from __future__ import annotations

import threading
import time as _time
import uuid as _uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def uuid4(self) -> _uuid.UUID: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def uuid4(self) -> _uuid.UUID:
        return _uuid.uuid4()


_SYSTEM = SystemClock()
_local = threading.local()


def current() -> Clock:
    clock: Clock | None = getattr(_local, "clock", None)
    return clock if clock is not None else _SYSTEM


@contextmanager
def use(clock: Clock) -> Iterator[None]:
    previous = getattr(_local, "clock", None), getattr(_local, "moment", None)
    _local.clock, _local.moment = clock, None
    try:
        yield
    finally:
        _local.clock, _local.moment = previous


def _moment() -> tuple[datetime, float]:
    """The current scope's time (and as a timestamp), read from its clock once."""
    clock: Clock | None = getattr(_local, "clock", None)
    if clock is None:
        now = _SYSTEM.now()
        return now, now.timestamp()
    moment: tuple[datetime, float] | None = _local.moment
    if moment is None:
        now = clock.now()
        moment = _local.moment = (now, now.timestamp())
    return moment


class _TimeShim:
    """Stands in for the `time` module inside SpiffWorkflow.task."""

    @staticmethod
    def time() -> float:
        return _moment()[1]

    def __getattr__(self, name: str) -> object:
        return getattr(_time, name)


class _ClockDatetime(datetime):
    """`datetime` whose now() reads the current clock (for Spiff's timer module)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> _ClockDatetime:
        moment = _moment()[0]
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(tz) if tz is not None else moment.astimezone(UTC).replace(
            tzinfo=None
        )
        return cls.fromtimestamp(0, UTC).replace(
            year=local.year, month=local.month, day=local.day, hour=local.hour,
            minute=local.minute, second=local.second, microsecond=local.microsecond,
            tzinfo=local.tzinfo,
        )


def _uuid4() -> _uuid.UUID:
    return current().uuid4()


_installed = False


def install() -> None:
    """Point SpiffWorkflow's time and id sources at the current clock (idempotent)."""
    global _installed
    if _installed:
        return
    import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
    import SpiffWorkflow.task as spiff_task

    spiff_task.uuid4 = _uuid4  # type: ignore[attr-defined]
    spiff_task.time = _TimeShim()  # type: ignore[attr-defined]
    spiff_timer.datetime = _ClockDatetime  # type: ignore[attr-defined,misc]
    _installed = True
