"""The what-if benchmark at a tiny size: real runs on a dev server (every profile once),
judged against the candidate with a higher automatic-approval limit. Figures are printed,
no timing is asserted."""

from __future__ import annotations

import asyncio

import pytest

from cli.bench_whatif import PROFILES, Past, run_whatif


def _line(what: str, seconds: float, goal: float) -> str:
    return f"{what}|{seconds:.3f}|{goal}"


def _grade_ab(p: Past) -> bool:
    return p.amount / (p.monthly_income * 12) < 0.5  # the stand-in grade: A or B


def test_whatif_bench_reports_the_applications_the_candidate_changes(
        capsys: pytest.CaptureFixture[str]) -> None:
    n = len(PROFILES)
    run = asyncio.run(run_whatif(n, 60.0, _line))
    out = capsys.readouterr().out

    assert len(run.past) == n and all(p.status in ("approved", "declined") for p in run.past)
    assert run.routes == {"approved after one review": 3, "approved after two reviews": 1,
                          "approved automatically": 2, "declined after one review": 4,
                          "declined after two reviews": 1, "declined automatically": 2}
    report = run.report
    assert report.replayed == n and not report.undecidable
    # Between the old and the new limit, low risk, documents in order: now approved
    # without a review. Declined by a person before: the decision changes.
    between = [p for p in run.past if 20_000 < p.amount <= 30_000 and _grade_ab(p)
               and not p.profile.mismatch]
    changed = {p.application_id for p in between if p.status == "declined"}
    rerouted = {p.application_id for p in between if p.status == "approved"}
    assert changed and rerouted
    assert {o.application_id for o in report.changed} == changed
    assert {o.application_id for o in report.rerouted} == rerouted
    assert {(o.old, o.new, o.element_id) for o in report.changed} == {
        ("declined", "approved", "route_rule")}
    assert report.unchanged == n - len(changed) - len(rerouted)

    assert [x.split("|")[0] for x in run.lines[3:4]] == [f"what-if over {n} past applications"]
    for figure in ("select, compile versions, candidate", f"fetch {n} histories, journals",
                   f"judge {n} applications"):
        assert figure in out
    assert f"{len(changed)} decisions changed, {len(rerouted)} rerouted, 0 undecidable" in out
