"""The engine's ids inside a workflow: the same values workflow.uuid4() gives, drawn from
the workflow's seeded random, so a replay (or a run recorded before the change) sees the
same task ids."""

from __future__ import annotations

import random
import uuid

import pytest
from temporalio import workflow
from temporalio.workflow import _context

from bpmn.clock import SystemClock, TaskId, task_id
from workflows.changes import WorkflowClock


def test_engine_ids_are_the_sdks_uuid4_draw_for_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    ours, sdks = random.Random(42), random.Random(42)
    monkeypatch.setattr(workflow, "random", lambda: ours)
    monkeypatch.setattr(_context, "random", lambda: sdks)
    clock = WorkflowClock()
    got = [clock.uuid4() for _ in range(200)]
    expected = [workflow.uuid4() for _ in range(200)]
    assert all(isinstance(u, TaskId) for u in got)
    assert [u.uuid for u in got] == expected
    assert all(u.uuid.version == 4 and u.uuid.variant == uuid.RFC_4122 for u in got)
    # the same text, hash and order as the UUIDs: a dict or set of ids iterates alike
    assert [str(u) for u in got] == [str(u) for u in expected]
    assert [f"{u}" for u in got] == [str(u) for u in expected]
    assert [hash(u) for u in got] == [hash(u) for u in expected]
    assert [u.uuid for u in sorted(got)] == sorted(expected)
    assert [u.uuid for u in set(got)] == list(set(expected))
    assert [u.uuid for u in dict.fromkeys(reversed(got))] == list(reversed(expected))
    assert len(set(got)) == 200


def test_an_id_reads_as_its_uuid() -> None:
    u = uuid.UUID("12345678-1234-4234-8234-123456789abc")
    tid = TaskId(u.int)
    assert str(tid) == "12345678-1234-4234-8234-123456789abc"
    assert repr(tid) == "TaskId('12345678-1234-4234-8234-123456789abc')"
    assert tid.hex == u.hex and tid.uuid == u
    assert {tid: 1}[TaskId(u.int)] == 1


def test_version_bits_are_set_as_uuid_sets_them() -> None:
    rng = random.Random(3)
    for bits in [0, 2**128 - 1, *(rng.getrandbits(128) for _ in range(500))]:
        assert task_id(bits).uuid == uuid.UUID(int=bits, version=4)


def test_the_system_clock_gives_task_ids() -> None:
    ids = {SystemClock().uuid4() for _ in range(100)}
    assert len(ids) == 100 and all(isinstance(i, TaskId) and i.uuid.version == 4 for i in ids)
