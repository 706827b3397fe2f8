"""The worker's process-level settings: passed-through engine modules call the real
isinstance and issubclass (runtime/sandbox_builtins.py), and the collector is tuned for a
long-running worker (runtime/worker.tune_gc)."""

from __future__ import annotations

import builtins
import gc
import sys
import weakref
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

import bpmn.engine  # noqa: F401  (loads the engine and Spiff's modules)
from runtime.sandbox_builtins import original, use_real_builtins
from runtime.worker import GC_YOUNG_THRESHOLD, REAL_BUILTINS, tune_gc

REAL_ISINSTANCE = builtins.isinstance


class _Node:
    me: _Node | None = None


class _Wrapper:
    """Shaped like the sandbox's thread-local wrapper: callable, keeps what it replaced."""

    def __init__(self, orig: Any) -> None:
        self.orig = orig

    def __call__(self, *args: Any) -> Any:
        return self.orig(*args)


def test_the_interpreters_own_builtin_is_found_even_while_a_sandbox_wraps_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtins, "isinstance", _Wrapper(_Wrapper(REAL_ISINSTANCE)))
    assert original("isinstance") is REAL_ISINSTANCE
    monkeypatch.setattr(builtins, "issubclass", lambda a, b: True)  # no way back to it
    with pytest.raises(RuntimeError, match="cannot find the interpreter's own issubclass"):
        original("issubclass")


@pytest.fixture
def fake_modules() -> Iterator[tuple[ModuleType, ModuleType, ModuleType]]:
    engine_part, own, elsewhere = (ModuleType("fakeengine.part"), ModuleType("fakeengine"),
                                   ModuleType("notengine"))
    own.isinstance = len  # type: ignore[attr-defined]  # a module's own binding
    for m in (engine_part, own, elsewhere):
        sys.modules[m.__name__] = m
    yield engine_part, own, elsewhere
    for m in (engine_part, own, elsewhere):
        del sys.modules[m.__name__]


def test_only_the_named_packages_get_the_real_builtins(
        fake_modules: tuple[ModuleType, ModuleType, ModuleType],
        monkeypatch: pytest.MonkeyPatch) -> None:
    engine_part, own, elsewhere = fake_modules
    monkeypatch.setattr(builtins, "isinstance", _Wrapper(REAL_ISINSTANCE))  # mid-run
    changed = use_real_builtins(["fakeengine"])
    assert changed == ["fakeengine", "fakeengine.part"]
    assert vars(engine_part)["isinstance"] is REAL_ISINSTANCE
    assert vars(engine_part)["issubclass"] is original("issubclass")
    assert vars(own)["isinstance"] is len  # left as the module had it
    assert "isinstance" not in vars(elsewhere)
    assert use_real_builtins(["fakeengine"]) == changed  # idempotent


def test_the_worker_gives_every_loaded_engine_module_the_real_builtins() -> None:
    changed = use_real_builtins(REAL_BUILTINS)
    assert "bpmn.engine" in changed and "SpiffWorkflow.task" in changed
    for name in changed:
        namespace = vars(sys.modules[name])
        assert namespace["isinstance"] is REAL_ISINSTANCE, name


def test_the_collector_is_tuned_for_a_long_running_worker() -> None:
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_freeze_count() > 10_000  # what was alive at start: out of sight
        assert gc.get_threshold() == (GC_YOUNG_THRESHOLD, before[1], before[2])
        # Cycles made afterwards are still collected.
        node = _Node()
        node.me = node
        gone = weakref.ref(node)
        del node
        gc.collect()
        assert gone() is None
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
