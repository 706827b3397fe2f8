"""Passed-through modules call the interpreter's own `isinstance` and `issubclass`.

While a workflow runs, Temporal's sandbox swaps `builtins.isinstance` and
`builtins.issubclass`, for the whole process, for a thread-local wrapper that unwraps the
sandbox's restricted proxies from both arguments before the real check. Code inside the
sandbox may hold such a proxy (a class reached through a restricted module), so it needs
the wrapper. Passed-through modules never do: they are imported once, outside the
sandbox, and hold the real modules and classes; what the workflow hands them is plain
data. SpiffWorkflow calls `isinstance` on every task, spec and data value it touches, and
through the wrapper each call is a chain of Python calls instead of one C call: measured
on the loan flow, the BPMN workflow's activations took 22 ms of CPU per application with
the wrapper and 17 ms without (`loanflow bench engine` prints that figure).

`use_real_builtins` puts the real functions into those modules' namespaces, where they
shadow the builtins module for that module's code only. Nothing else changes: the
sandbox still isolates and restricts the workflow's own modules, and outside a workflow
run the names resolve to the same functions as before."""

from __future__ import annotations

import builtins
import sys
import types
from collections.abc import Callable, Iterable
from typing import Any

NAMES = ("isinstance", "issubclass")


def original(name: str) -> Callable[..., Any]:
    """The interpreter's own builtin, even while a sandbox has swapped it out (the
    sandbox's wrapper keeps the function it replaced as `orig`)."""
    fn: Any = getattr(builtins, name)
    while not isinstance(fn, types.BuiltinFunctionType) and hasattr(fn, "orig"):
        fn = fn.orig
    if not isinstance(fn, types.BuiltinFunctionType):
        raise RuntimeError(f"cannot find the interpreter's own {name}: found {fn!r}")
    return fn


def use_real_builtins(packages: Iterable[str]) -> list[str]:
    """Give every loaded module of these packages the real isinstance and issubclass.
    Returns the modules changed. Idempotent; a module loaded later keeps the sandbox's
    wrapper (correct, only slower)."""
    real = {name: original(name) for name in NAMES}
    wanted = tuple(packages)
    changed = []
    for name, module in list(sys.modules.items()):
        if module is None or name.split(".")[0] not in wanted:
            continue
        namespace = vars(module)
        for key, fn in real.items():
            if key not in namespace:  # a module's own binding of the name stays its own
                namespace[key] = fn
        changed.append(name)
    return sorted(changed)
