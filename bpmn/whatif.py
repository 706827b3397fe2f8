"""What-if: past applications re-driven on a candidate version, compared with what
happened. Pure: journals in, a report out; nothing is deployed, no activity runs.

Each application is re-driven twice from its journal: on the version it ran (the
baseline, which must reproduce the recorded decision, or the record is not trusted) and on
the candidate. A different final decision is a change; the same decision reached another
way (e.g. approved without the review it had) is a reroute; a candidate that needs an
answer the record does not hold is undecidable. The "why" of a change is the element
where the two paths part (see rerun.first_divergence)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bpmn.engine import CompiledProcess
from bpmn.rerun import FAILED, UNDECIDABLE, Journal, Problem, Step, first_divergence, rerun

Progress = Callable[[int], None]


@dataclass
class Case:
    application_id: str
    journal: Journal | None  # None: its history could not be read (`unreadable` says why)
    original: CompiledProcess | None  # the version it ran; None: compare with the record
    unreadable: str = ""


@dataclass(frozen=True)
class Outcome:
    """One application: its decision as recorded and on the candidate, and why they differ."""

    application_id: str
    old: str
    new: str
    element_id: str = ""
    element_name: str = ""
    before: str = ""
    after: str = ""
    reason: str = ""


@dataclass
class ElementSummary:
    element_id: str
    name: str
    changed: int = 0
    rerouted: int = 0
    undecidable: int = 0
    transitions: dict[str, int] = field(default_factory=dict)  # "declined → approved": n


@dataclass
class WhatIfReport:
    replayed: int = 0
    changed: list[Outcome] = field(default_factory=list)
    rerouted: list[Outcome] = field(default_factory=list)
    undecidable: list[Outcome] = field(default_factory=list)
    unchanged: int = 0
    seconds: float = 0.0

    def by_element(self) -> list[ElementSummary]:
        out: dict[str, ElementSummary] = {}
        for attr, items in (("changed", self.changed), ("rerouted", self.rerouted),
                            ("undecidable", self.undecidable)):
            for o in items:
                key = o.element_id or "—"
                s = out.setdefault(key, ElementSummary(key, o.element_name))
                setattr(s, attr, getattr(s, attr) + 1)
                if attr == "changed":
                    t = f"{o.old} → {o.new}"
                    s.transitions[t] = s.transitions.get(t, 0) + 1
        return sorted(out.values(), key=lambda s: (-s.changed, -s.undecidable, -s.rerouted,
                                                   s.element_id))


def what_if(candidate: CompiledProcess, cases: Iterable[Case],
            progress: Progress | None = None) -> WhatIfReport:
    report = WhatIfReport()
    t0 = time.perf_counter()
    for n, case in enumerate(cases, 1):
        kind, outcome = judge(candidate, case)
        report.replayed += 1
        if kind == "unchanged":
            report.unchanged += 1
        else:
            getattr(report, kind).append(outcome)
        if progress is not None:
            progress(n)
    report.seconds = time.perf_counter() - t0
    return report


def judge(candidate: CompiledProcess, case: Case) -> tuple[str, Outcome]:
    """("changed" | "rerouted" | "unchanged" | "undecidable", what happened)."""
    j = case.journal
    app = case.application_id
    if j is None:
        return "undecidable", Outcome(app, "", UNDECIDABLE, reason=case.unreadable)
    old_status = j.status or ""
    if j.migrated:
        return "undecidable", Outcome(app, old_status, UNDECIDABLE, reason=(
            "it was moved to another version while it ran: what-if re-drives whole runs"))
    old_path: list[Step] | None = j.steps
    if case.original is not None:
        base = rerun(case.original, j)
        if base.status != old_status:
            why = base.problem.reason if base.problem else f"re-driven it ends {base.status}"
            return "undecidable", Outcome(
                app, old_status, UNDECIDABLE, base.problem.element_id if base.problem else "",
                reason=f"the record does not reproduce on version {j.version} "
                       f"(recorded {old_status}): {why}")
        old_path = base.path
    new = rerun(candidate, j)
    if new.status == UNDECIDABLE:
        p = new.problem
        return "undecidable", Outcome(app, old_status, UNDECIDABLE, p.element_id if p else "",
                                      _name(new.path, p), reason=p.reason if p else "")
    div = first_divergence(old_path or [], new.path)
    if new.status == old_status and div is None:
        return "unchanged", Outcome(app, old_status, new.status)
    kind = "rerouted" if new.status == old_status else "changed"
    p = new.problem
    if (p is not None and new.status == FAILED and old_status != FAILED) or div is None:
        # It fails on the candidate (the failing element made the difference), or the same
        # path reached another end.
        element = p.element_id if p else (new.end_event or "")
        return kind, Outcome(app, old_status, new.status, element,
                             _name(new.path, p) if p else _name(new.path, element),
                             reason=p.reason if p else "the same path ends differently")
    return kind, Outcome(app, old_status, new.status, div.element_id, div.name,
                         div.before, div.after, div.explain())


def _name(path: list[Step], what: Problem | str | None) -> str:
    if isinstance(what, Problem) and what.name:
        return what.name
    element_id = what.element_id if isinstance(what, Problem) else what or ""
    return next((s.name for s in reversed(path) if s.element_id == element_id), element_id)
