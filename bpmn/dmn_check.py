"""Deploy-time check of a decision table against its hit policy: overlapping rules where
only one may match (UNIQUE; ANY with different outputs), and inputs no rule answers where
one must (UNIQUE, ANY, FIRST, PRIORITY).

Entries are expressions, so the table is probed rather than solved: every input column
gets the values its entries mention (each number, one below and one above; each string;
both booleans; or the column's declared inputValues), and every combination is run
through the entries the way Spiff's DMN engine reads them. A problem names the rules and
an example input."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Any

from lxml import etree

from bpmn import safe_eval

MAX_PROBES = 20_000
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")
_STRING = re.compile(r"\"([^\"]*)\"|'([^']*)'")
_QUESTION = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_CONSTANTS = {"true": True, "false": False, "True": True, "False": False, "null": None,
              "None": None}
SINGLE_HIT = ("UNIQUE", "ANY", "FIRST", "PRIORITY")


def check_decision(decision: etree._Element, ns: str) -> list[tuple[str, str]]:
    """(element id, reason) for each problem of this decision's table."""
    table = decision.find(f"{{{ns}}}decisionTable")
    if table is None:
        return []
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    if policy not in SINGLE_HIT:
        return []  # COLLECT, RULE ORDER, OUTPUT ORDER: any number of rules may match
    inputs = table.findall(f"{{{ns}}}input")
    rules = table.findall(f"{{{ns}}}rule")
    tid = table.get("id") or decision.get("id", "?")
    if not inputs or not rules:
        return [(tid, "the decision table has no inputs or no rules")] if not rules else []
    entries = [[(e.findtext(f"{{{ns}}}text") or "").strip()
                for e in r.findall(f"{{{ns}}}inputEntry")] for r in rules]
    if any(len(e) != len(inputs) for e in entries):
        return [(tid, "a rule has a different number of input entries than the table has "
                      "inputs")]
    outputs = [tuple((e.findtext(f"{{{ns}}}text") or "").strip()
                     for e in r.findall(f"{{{ns}}}outputEntry")) for r in rules]
    domains = [_domain(col, [row[i] for row in entries], ns) for i, col in enumerate(inputs)]
    labels = [col.get("label") or col.get("id") or f"input {i + 1}"
              for i, col in enumerate(inputs)]
    problems: list[tuple[str, str]] = []
    seen_pairs: set[tuple[int, int]] = set()
    gap_reported = False
    for combo in _combinations(domains):
        hits = [n for n, row in enumerate(entries)
                if all(_matches(text, value) for text, value in zip(row, combo, strict=True))]
        example = ", ".join(f"{lab} = {val!r}" for lab, val in zip(labels, combo, strict=True))
        if not hits and not gap_reported:
            gap_reported = True
            problems.append((tid, f"no rule matches {example} (hit policy {policy} needs "
                                  "one)"))
        if len(hits) > 1 and policy in ("UNIQUE", "ANY"):
            a, b = hits[0], hits[1]
            if (a, b) in seen_pairs or (policy == "ANY" and outputs[a] == outputs[b]):
                continue
            seen_pairs.add((a, b))
            problems.append((rules[b].get("id") or f"rule {b + 1}",
                             f"overlaps rule {rules[a].get('id') or a + 1} for {example} "
                             f"(hit policy {policy} allows one match)"))
        if len(problems) >= 5:
            break
    return problems


def _domain(col: etree._Element, texts: Sequence[str], ns: str) -> list[Any]:
    declared = (col.findtext(f"{{{ns}}}inputValues/{{{ns}}}text") or "").strip()
    expr = col.find(f"{{{ns}}}inputExpression")
    type_ref = (expr.get("typeRef") if expr is not None else None) or ""
    if declared:
        return [a or b for a, b in _STRING.findall(declared)] or [declared]
    if type_ref == "boolean":
        return [True, False]
    values: list[Any] = []
    for text in texts:
        if not text or text == "-":
            continue
        if type_ref != "string":
            for n in _NUMBER.findall(_STRING.sub("", text)):
                x = float(n)
                values += [x - 1, x, x + 1]
        if type_ref != "number":
            values += [a or b for a, b in _STRING.findall(text)]
        if text in ("true", "false"):
            values += [True, False]
    unique: list[Any] = []
    for v in values:
        if not any(type(v) is type(u) and v == u for u in unique):
            unique.append(v)
    return unique or [None]


def _combinations(domains: list[list[Any]]) -> Iterator[tuple[Any, ...]]:
    total = 1
    for d in domains:
        total *= len(d)
    combos = itertools.product(*domains)
    if total <= MAX_PROBES:
        yield from combos
        return
    step = total // MAX_PROBES + 1  # evenly through the product: deterministic
    yield from itertools.islice(combos, 0, None, step)


def _matches(text: str, value: Any) -> bool:
    if not text or text == "-":
        return True
    context = {**_CONSTANTS, "dmn_input": value}
    if _QUESTION.search(text):
        source = _QUESTION.sub("dmn_input", text)
    else:
        try:
            safe_eval.parse_expression(text)
            source = f"(dmn_input) == ({text})"
        except safe_eval.ExpressionError:
            source = f"dmn_input {text}"
    try:
        return bool(safe_eval.evaluate(source, context))
    except Exception:  # a type mismatch (a string against a number): no match
        return False
