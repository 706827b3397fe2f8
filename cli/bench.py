"""`loanflow bench WHAT`: each benchmark prints its figures and the ratios it is judged by."""

from __future__ import annotations

import argparse


def run_bench(args: argparse.Namespace) -> int:
    what = args.what
    code = 0
    if what in ("engine", "all"):
        from cli.bench_engine import run_bench_engine

        code |= run_bench_engine(args)
    if what in ("scoring", "all"):
        from cli.bench_scoring import run_bench_scoring

        code |= run_bench_scoring(args)
    if what in ("verification", "all"):
        from cli.bench_verification import run_bench_verification

        code |= run_bench_verification(args)
    if what in ("assignment", "all"):
        from cli.bench_assignment import run_bench_assignment

        code |= run_bench_assignment(args)
    if what in ("definitions", "all"):
        from cli.bench_definitions import run_bench_definitions

        code |= run_bench_definitions(args)
    return code
