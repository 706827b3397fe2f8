"""Journals of the recorded fixture histories (tests/fixtures/histories), read without a
server: the what-if tests re-drive diagrams from them."""

from __future__ import annotations

import asyncio
import json
from functools import cache
from pathlib import Path

from temporalio.client import WorkflowHistory

from bpmn import engine
from bpmn.rerun import Journal
from core.codec import data_converter, parse_keys
from tests.conftest import TEST_KEY
from workflows.journal import journal_from_history

HISTORIES = Path(__file__).resolve().parent.parent / "fixtures" / "histories"
CONVERTER = data_converter(*parse_keys(TEST_KEY))


def history(name: str) -> WorkflowHistory:
    doc = json.loads((HISTORIES / f"{name}.json").read_text())
    return WorkflowHistory.from_json(doc["workflow_id"], doc["history"])


@cache
def _journal(name: str) -> Journal:
    return asyncio.run(journal_from_history(history(name), CONVERTER))


def recorded(name: str) -> Journal:
    """The journal of one fixture (built once; do not mutate it)."""
    return _journal(name)


def own_version(journal: Journal) -> engine.CompiledProcess:
    """The version the run loaded, as its history recorded it."""
    assert journal.definition is not None
    bpmn_xml, dmn_xml = journal.definition
    return engine.compiled(journal.sha256, lambda: (bpmn_xml, list(dmn_xml)), journal.process_id)


def names() -> list[str]:
    return sorted(p.stem for p in HISTORIES.glob("*.json"))
