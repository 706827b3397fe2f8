"""A restricted evaluator for what process owners write in diagrams: gateway conditions,
DMN entries, timer expressions and (where allowed) small scripts.

Python's `eval` lets a diagram import modules, read files or loop for ever. Here the
expression is parsed with `ast` and interpreted node by node over a fixed allow-list:
literals, names from the process data, arithmetic, comparisons, boolean logic, indexing,
dotted access into dictionaries, comprehensions, and calls to a few pure helpers. Every
node costs one step from a budget, so no expression or script can run for ever, and
sizes are capped so none can exhaust memory."""

from __future__ import annotations

import ast
import functools
import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

MAX_STEPS = 200_000
MAX_SEQUENCE = 100_000
MAX_POWER = 1_000
MAX_SOURCE = 20_000


class ExpressionError(Exception):
    """An expression or script that is refused or fails; the message says why."""


class _Return(Exception):
    pass


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_SEQUENCE:
        raise ExpressionError(f"range of {len(r)} items exceeds the limit of {MAX_SEQUENCE}")
    return r


# Read-only: the set of helpers is fixed for the process's life (see _SAFE_FUNCTION_IDS).
SAFE_FUNCTIONS: Mapping[str, Callable[..., Any]] = MappingProxyType({
    "abs": abs,
    "all": all,
    "any": any,
    "bool": bool,
    "dict": dict,
    "float": float,
    "int": int,
    "len": len,
    "list": list,
    "max": max,
    "min": min,
    "round": round,
    "set": set,
    "sorted": sorted,
    "str": str,
    "sum": sum,
    "tuple": tuple,
    "range": _bounded_range,
    "isinstance_number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "floor": math.floor,
    "ceil": math.ceil,
    # A diagram has no console: scripts may print, the output goes nowhere.
    "print": lambda *args, **kwargs: None,
})

# `'x' in vars()` asks whether the data holds x: these return a copy of the names the
# expression can see (the process data), never the interpreter's own globals.
NAMESPACE_FUNCTIONS = frozenset({"vars", "locals", "globals"})

SAFE_CONSTANTS: dict[str, Any] = {
    "True": True, "False": False, "None": None,
    # FEEL spellings, as DMN tables written in other tools use them
    "true": True, "false": False, "null": None,
}

# Methods of plain data that cannot reach outside the value they are called on.
SAFE_METHODS: dict[type, frozenset[str]] = {
    str: frozenset(
        ["lower", "upper", "strip", "lstrip", "rstrip", "startswith", "endswith", "split",
         "replace", "title", "capitalize", "isdigit", "isalpha", "isalnum", "find", "count",
         "join", "zfill"]
    ),
    dict: frozenset(["get", "keys", "values", "items", "copy"]),
    list: frozenset(["index", "count", "copy", "append", "extend"]),
    tuple: frozenset(["index", "count"]),
}

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
}


class AttrDict(dict[str, Any]):
    """Marker for nothing: dotted access works on every dict (see _attribute)."""


def parse_expression(source: str) -> ast.Expression:
    """Parse and check an expression; raises ExpressionError naming what is refused.
    The tree is shared (parsed once per text): read it, never change it."""
    tree = _parse_cached(source, "eval")
    assert isinstance(tree, ast.Expression)
    return tree


def parse_script(source: str) -> ast.Module:
    tree = _parse_cached(source, "exec")
    assert isinstance(tree, ast.Module)
    return tree


@functools.lru_cache(maxsize=4096)
def _parse_cached(source: str, mode: str) -> ast.AST:
    """A diagram evaluates the same few expressions in every instance (gateway
    conditions, DMN entries): parse and check each text once. Refusals are not kept."""
    return _parse(source, mode)


def names_used(tree: ast.AST) -> set[str]:
    """Free names an expression reads (for deploy-time checks against known data)."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.comprehension):
            for t in ast.walk(node.target):
                if isinstance(t, ast.Name):
                    bound.add(t.id)
    return {
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound
    } - set(SAFE_FUNCTIONS) - set(SAFE_CONSTANTS) - NAMESPACE_FUNCTIONS


_ALLOWED_NODES: tuple[type, ...] = (
    ast.Expression, ast.Module, ast.Expr, ast.BoolOp, ast.And, ast.Or, ast.BinOp, ast.UnaryOp,
    ast.Not, ast.USub, ast.UAdd, ast.Compare, ast.IfExp, ast.Constant, ast.Name, ast.Load,
    ast.Store, ast.Del, ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Subscript, ast.Slice,
    ast.Attribute, ast.Call, ast.keyword, ast.ListComp, ast.SetComp, ast.DictComp,
    ast.GeneratorExp, ast.comprehension, ast.Assign, ast.AugAssign, ast.If, ast.For,
    ast.While, ast.Pass, ast.Break, ast.Continue, ast.Delete, ast.JoinedStr,
    ast.FormattedValue,
    *_BINOPS, *_CMPOPS,
)


def _parse(source: str, mode: str) -> ast.AST:
    if len(source) > MAX_SOURCE:
        raise ExpressionError(f"expression is {len(source)} characters; the limit is {MAX_SOURCE}")
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as err:
        raise ExpressionError(f"does not parse: {err.msg} (line {err.lineno})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"'{type(node).__name__}' is not allowed in a diagram")
        if isinstance(node, ast.Name) and node.id.startswith("__"):
            raise ExpressionError(f"name '{node.id}' is not allowed")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpressionError(f"attribute '{node.attr}' is not allowed")
    return tree


class Interpreter:
    """Evaluates a checked tree against a context; one instance per evaluation."""

    def __init__(self, context: dict[str, Any], functions: Mapping[str, Callable[..., Any]]):
        self.context = context
        self.functions = functions
        # vars(), locals() and globals() all name this one bound method, so the identity
        # check in _Call holds (the helpers are not merged into a new dict per evaluation).
        self.namespace = self._namespace
        self.steps = 0

    def _namespace(self) -> dict[str, Any]:
        return dict(self.context)

    # -- entry points ----------------------------------------------------------------

    def eval(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ExpressionError(f"took more than {MAX_STEPS} steps (a loop that never ends?)")
        method = _DISPATCH.get(type(node))
        if method is None:
            raise ExpressionError(f"'{type(node).__name__}' is not allowed in a diagram")
        return method(self, node)

    def run(self, module: ast.Module) -> None:
        self._block(module.body)

    # -- expressions -----------------------------------------------------------------

    def _Expression(self, node: ast.Expression) -> Any:
        return self.eval(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Name(self, node: ast.Name) -> Any:
        if node.id in self.context:
            return self.context[node.id]
        if node.id in SAFE_CONSTANTS:
            return SAFE_CONSTANTS[node.id]
        if node.id in NAMESPACE_FUNCTIONS:
            return self.namespace
        if node.id in self.functions:
            return self.functions[node.id]
        raise ExpressionError(f"unknown name '{node.id}'")

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = is_and
        for operand in node.values:
            value = self.eval(operand)
            if bool(value) != is_and:
                return value
        return value

    def _BinOp(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(node.op, ast.Pow) and isinstance(right, int | float) \
                and abs(right) > MAX_POWER:
            raise ExpressionError(f"exponent {right} exceeds the limit of {MAX_POWER}")
        if isinstance(node.op, ast.Mult):
            _check_repeat(left, right)
        try:
            result = _BINOPS[type(node.op)](left, right)
        except (TypeError, ZeroDivisionError, OverflowError) as err:
            raise ExpressionError(str(err)) from None
        _check_size(result)
        return result

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        value = self.eval(node.operand)
        try:
            if isinstance(node.op, ast.Not):
                return not value
            if isinstance(node.op, ast.USub):
                return -value
            return +value
        except TypeError as err:
            raise ExpressionError(str(err)) from None

    def _Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.eval(comparator)
            try:
                ok = _CMPOPS[type(op)](left, right)
            except TypeError as err:
                raise ExpressionError(str(err)) from None
            if not ok:
                return False
            left = right
        return True

    def _IfExp(self, node: ast.IfExp) -> Any:
        return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)

    def _List(self, node: ast.List) -> Any:
        return [self.eval(e) for e in node.elts]

    def _Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.eval(e) for e in node.elts)

    def _Set(self, node: ast.Set) -> Any:
        return {self.eval(e) for e in node.elts}

    def _Dict(self, node: ast.Dict) -> Any:
        out: dict[Any, Any] = {}
        for k, v in zip(node.keys, node.values, strict=True):
            if k is None:
                out.update(self.eval(v))
            else:
                out[self.eval(k)] = self.eval(v)
        return out

    def _JoinedStr(self, node: ast.JoinedStr) -> Any:
        return "".join(str(self.eval(v)) for v in node.values)

    def _FormattedValue(self, node: ast.FormattedValue) -> Any:
        return self.eval(node.value)

    def _Subscript(self, node: ast.Subscript) -> Any:
        value = self.eval(node.value)
        key = self.eval(node.slice)
        try:
            return value[key]
        except (KeyError, IndexError, TypeError) as err:
            raise ExpressionError(f"no item {key!r} ({type(err).__name__})") from None

    def _Slice(self, node: ast.Slice) -> Any:
        return slice(
            None if node.lower is None else self.eval(node.lower),
            None if node.upper is None else self.eval(node.upper),
            None if node.step is None else self.eval(node.step),
        )

    def _Attribute(self, node: ast.Attribute) -> Any:
        value = self.eval(node.value)
        if isinstance(value, dict):
            if node.attr in value:
                return value[node.attr]
            if node.attr in SAFE_METHODS[dict]:
                return getattr(value, node.attr)
            raise ExpressionError(f"no field '{node.attr}'")
        for kind, methods in SAFE_METHODS.items():
            if isinstance(value, kind) and node.attr in methods:
                return getattr(value, node.attr)
        raise ExpressionError(f"'{node.attr}' is not available on {type(value).__name__}")

    def _Call(self, node: ast.Call) -> Any:
        func = self.eval(node.func)
        if func is not self.namespace and not _is_allowed_callable(func, self.functions):
            raise ExpressionError("only the documented helper functions can be called")
        args: list[Any] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                raise ExpressionError("'*' arguments are not allowed")
            args.append(self.eval(a))
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg is not None}
        try:
            result = func(*args, **kwargs)
        except ExpressionError:
            raise
        except Exception as err:  # a helper's own error becomes a message, not a crash
            raise ExpressionError(f"{type(err).__name__}: {err}") from None
        _check_size(result)
        return result

    def _comprehension_items(self, generators: list[ast.comprehension]) -> Iterator[None]:
        def walk(i: int) -> Iterator[None]:
            if i == len(generators):
                yield None
                return
            gen = generators[i]
            for item in _bounded_iter(self.eval(gen.iter)):
                self._assign(gen.target, item)
                if all(self.eval(cond) for cond in gen.ifs):
                    yield from walk(i + 1)

        return walk(0)

    def _ListComp(self, node: ast.ListComp) -> Any:
        return [self.eval(node.elt) for _ in self._scoped(node.generators)]

    def _GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        return [self.eval(node.elt) for _ in self._scoped(node.generators)]

    def _SetComp(self, node: ast.SetComp) -> Any:
        return {self.eval(node.elt) for _ in self._scoped(node.generators)}

    def _DictComp(self, node: ast.DictComp) -> Any:
        return {self.eval(node.key): self.eval(node.value) for _ in self._scoped(node.generators)}

    def _scoped(self, generators: list[ast.comprehension]) -> Iterator[None]:
        saved = dict(self.context)
        try:
            yield from self._comprehension_items(generators)
        finally:
            self.context.clear()
            self.context.update(saved)

    # -- statements ------------------------------------------------------------------

    def _block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self.eval(stmt)

    def _Expr(self, node: ast.Expr) -> None:
        self.eval(node.value)

    def _Pass(self, node: ast.Pass) -> None:
        return None

    def _Assign(self, node: ast.Assign) -> None:
        value = self.eval(node.value)
        for target in node.targets:
            self._assign(target, value)

    def _AugAssign(self, node: ast.AugAssign) -> None:
        load = ast.fix_missing_locations(
            ast.BinOp(left=_as_load(node.target), op=node.op, right=node.value)
        )
        self._assign(node.target, self.eval(load))

    def _Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.context.pop(target.id, None)
            else:
                raise ExpressionError("only names can be deleted")

    def _If(self, node: ast.If) -> None:
        self._block(node.body if self.eval(node.test) else node.orelse)

    def _For(self, node: ast.For) -> None:
        for item in _bounded_iter(self.eval(node.iter)):
            self._assign(node.target, item)
            try:
                self._block(node.body)
            except _Break:
                return
            except _Continue:
                continue
        self._block(node.orelse)

    def _While(self, node: ast.While) -> None:
        while self.eval(node.test):
            try:
                self._block(node.body)
            except _Break:
                return
            except _Continue:
                continue
        self._block(node.orelse)

    def _Break(self, node: ast.Break) -> None:
        raise _Break

    def _Continue(self, node: ast.Continue) -> None:
        raise _Continue

    def _assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            if target.id in self.functions or target.id in NAMESPACE_FUNCTIONS:
                raise ExpressionError(f"'{target.id}' is a helper function and cannot be assigned")
            self.context[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            items = list(_bounded_iter(value))
            if len(items) != len(target.elts):
                raise ExpressionError("cannot unpack: wrong number of values")
            for t, v in zip(target.elts, items, strict=True):
                self._assign(t, v)
        elif isinstance(target, ast.Subscript):
            container = self.eval(target.value)
            key = self.eval(target.slice)
            try:
                container[key] = value
            except (TypeError, IndexError) as err:
                raise ExpressionError(f"cannot assign: {err}") from None
        elif isinstance(target, ast.Attribute):
            container = self.eval(target.value)
            if not isinstance(container, dict):
                raise ExpressionError("dotted assignment only works on records")
            container[target.attr] = value
        else:
            raise ExpressionError(f"cannot assign to '{type(target).__name__}'")


# Node type -> the method that evaluates it: one dict lookup per node instead of building
# the method's name and looking it up by getattr.
_DISPATCH: dict[type, Callable[[Interpreter, Any], Any]] = {
    getattr(ast, name[1:]): method
    for name, method in vars(Interpreter).items()
    if name[:1] == "_" and name[1:2].isupper() and isinstance(getattr(ast, name[1:], None), type)
}


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def _as_load(node: ast.expr) -> ast.expr:
    copy = ast.parse(ast.unparse(node), mode="eval").body
    return copy


_SAFE_FUNCTION_IDS = frozenset(id(f) for f in SAFE_FUNCTIONS.values())


def _is_allowed_callable(func: Any, functions: Mapping[str, Callable[..., Any]]) -> bool:
    # The default helpers (SAFE_FUNCTIONS is read-only and holds them for the module's
    # life, so their ids stay theirs) are found by one set lookup; other tables are
    # searched by identity.
    if functions is SAFE_FUNCTIONS and id(func) in _SAFE_FUNCTION_IDS:
        return True
    if any(func is f for f in functions.values()):
        return True
    owner = getattr(func, "__self__", None)
    name = getattr(func, "__name__", "")
    for kind, methods in SAFE_METHODS.items():
        if isinstance(owner, kind) and name in methods:
            return True
    return False


def _bounded_iter(value: Any) -> Iterable[Any]:
    if isinstance(value, dict | list | tuple | str | set | range | frozenset):
        if len(value) > MAX_SEQUENCE:
            raise ExpressionError(f"cannot iterate over {len(value)} items (limit {MAX_SEQUENCE})")
        return value
    raise ExpressionError(f"cannot iterate over {type(value).__name__}")


def _check_repeat(left: Any, right: Any) -> None:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(count, int) \
                and len(seq) * count > MAX_SEQUENCE * 10:
            raise ExpressionError("result would be too large")


def _check_size(value: Any) -> None:
    if isinstance(value, str | list | tuple | dict | set) and len(value) > MAX_SEQUENCE * 10:
        raise ExpressionError("result would be too large")
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4096:
        raise ExpressionError("number would be too large")


def evaluate(
    source: str,
    context: Mapping[str, Any],
    functions: Mapping[str, Callable[..., Any]] = SAFE_FUNCTIONS,
) -> Any:
    """Evaluate an expression against read-only process data."""
    tree = parse_expression(source)
    return Interpreter(dict(context), functions).eval(tree)


def evaluate_counted(
    source: str, context: Mapping[str, Any], steps_before: int = 0
) -> tuple[Any, int]:
    """Evaluate with the default helpers, as if `steps_before` steps of the budget were
    already spent; returns the value and the steps the whole evaluation counted."""
    tree = parse_expression(source)
    interp = Interpreter(dict(context), SAFE_FUNCTIONS)
    interp.steps = steps_before
    value = interp.eval(tree)
    return value, interp.steps - steps_before


def execute(
    source: str,
    context: dict[str, Any],
    functions: Mapping[str, Callable[..., Any]] = SAFE_FUNCTIONS,
) -> None:
    """Run a script; assignments land in `context` (the task's data)."""
    tree = parse_script(source)
    interp = Interpreter(context, functions)
    try:
        interp.run(tree)
    except (_Break, _Continue):
        raise ExpressionError("'break' or 'continue' outside a loop") from None
