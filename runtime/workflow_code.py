"""Compiled code of the workflow modules, kept for the life of the worker process.

The workflow sandbox imports a workflow's module afresh for every run, so that no module
state leaks from one run into the next. Python normally takes the module's code from its
.pyc; where none is written (PYTHONDONTWRITEBYTECODE, as in this repository's Makefile,
or a read-only install) it compiles the source again for every run (for the whole loan
process, when it lived in one sandboxed module, more CPU than the BPMN engine's own
steps). This finder gives the sandbox the same code object each time; the module body
still runs afresh for every run, exactly as before. A changed file (size or mtime) is
compiled again."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Iterable, Sequence
from importlib.machinery import ModuleSpec
from types import CodeType, ModuleType

_code: dict[tuple[str, int, int], CodeType] = {}


class _CachedSourceLoader(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        st = os.stat(path)
        key = (path, st.st_mtime_ns, st.st_size)
        code = _code.get(key)
        if code is None:
            code = super().get_code(fullname)
            if code is None:  # pragma: no cover - a source loader always has code
                raise ImportError(f"no code for {fullname}", name=fullname)
            _code[key] = code
        return code


class _WorkflowModuleFinder(importlib.abc.MetaPathFinder):
    def __init__(self) -> None:
        self.names: set[str] = set()

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> ModuleSpec | None:
        if fullname not in self.names:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader \
                and spec.origin:
            spec.loader = _CachedSourceLoader(fullname, spec.origin)
        return spec


_finder = _WorkflowModuleFinder()


def cache_workflow_code(modules: Iterable[str]) -> None:
    """Serve these modules' compiled code from memory from now on (idempotent)."""
    _finder.names.update(modules)
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
