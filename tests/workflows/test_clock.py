"""The engine's ids inside a workflow: the same values workflow.uuid4() gives, drawn from
the workflow's seeded random, so a replay (or a run recorded before the change) sees the
same task ids."""

from __future__ import annotations

import random
import uuid

import pytest
from temporalio import workflow
from temporalio.workflow import _context

from workflows.changes import WorkflowClock


def test_engine_ids_are_the_sdks_uuid4_draw_for_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    ours, sdks = random.Random(42), random.Random(42)
    monkeypatch.setattr(workflow, "random", lambda: ours)
    monkeypatch.setattr(_context, "random", lambda: sdks)
    clock = WorkflowClock()
    got = [clock.uuid4() for _ in range(200)]
    assert got == [workflow.uuid4() for _ in range(200)]
    assert all(isinstance(u, uuid.UUID) and u.version == 4 for u in got)
    assert len(set(got)) == 200
