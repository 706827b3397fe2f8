"""Where SpiffWorkflow gets time and ids from.

Spiff stamps `time.time()`, makes task ids with `uuid4()` (here `TaskId`s, see below)
and computes timer deadlines
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

_VARIANT_CLEAR = ~(0xC000 << 48)
_VARIANT_RFC4122 = 0x8000 << 48
_VERSION_CLEAR = ~(0xF000 << 64)
_VERSION_4 = 4 << 76


class TaskId(int):
    """A task id: the 128-bit integer of a version-4 UUID, kept as an int.

    Spiff keys its task dicts by id and compares ids on every walk of the tree. `UUID`
    hashes and compares in Python code (`__hash__` is `hash(self.int)`); an int does both
    in C. The hash is the same as the UUID's, and so is the order, so dicts and sets of
    ids iterate in the same order as they would with UUIDs. The text is the UUID's."""

    __slots__ = ()

    @property
    def uuid(self) -> _uuid.UUID:
        return _uuid.UUID(int=int(self))

    @property
    def hex(self) -> str:
        return f"{int(self):032x}"

    def __str__(self) -> str:
        return str(self.uuid)

    def __repr__(self) -> str:
        return f"TaskId('{self}')"


def task_id(bits: int) -> TaskId:
    """The id `uuid.UUID(int=bits, version=4)` would be: variant and version bits set."""
    return TaskId((bits & _VARIANT_CLEAR & _VERSION_CLEAR) | _VARIANT_RFC4122 | _VERSION_4)


class Clock(Protocol):
    def now(self) -> datetime: ...

    def uuid4(self) -> TaskId: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def uuid4(self) -> TaskId:
        return TaskId(_uuid.uuid4().int)


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


def _uuid4() -> TaskId:
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
