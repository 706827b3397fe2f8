from __future__ import annotations

import argparse

import pytest

from cli.bench_verification import run_bench_verification


def test_bench_meets_its_goals_on_a_small_set(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(clean=40, per_kind=2, bureau_failure_rate=0.3,
                              latency_scale=0.005, concurrency=16, seed=3,
                              call_timeout=0.15)
    assert run_bench_verification(args) == 0
    out = capsys.readouterr().out
    assert "detection recall 100.00%" in out
    assert "lost 0, decided twice 0" in out


def test_bench_fails_its_goal_when_the_bureau_never_answers(
        capsys: pytest.CaptureFixture[str]) -> None:
    # Every bureau call fails: applications still complete (in manual review, none lost),
    # but the clean ones are then false alarms, so the bench exits 1.
    args = argparse.Namespace(clean=10, per_kind=0, bureau_failure_rate=1.0,
                              latency_scale=0.005, concurrency=8, seed=4, max_attempts=3,
                              call_timeout=0.1)
    assert run_bench_verification(args) == 1
    out = capsys.readouterr().out
    assert "completed        10/10" in out and "lost 0" in out
    assert "exhausted {'pull_credit_report': 10}" in out
