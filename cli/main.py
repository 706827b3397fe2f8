"""The `loanflow` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

Handler = Callable[[argparse.Namespace], int]


def _validate(args: argparse.Namespace) -> int:
    from bpmn.validate import validate

    path = Path(args.file)
    if not path.exists():
        print(f"{path}: no such file", file=sys.stderr)
        return 2
    problems = validate(path.read_bytes(), [Path(d).read_bytes() for d in args.dmn],
                        strict=not args.lenient)
    for p in problems:
        print(f"{path.name}: {p.element_id}: {p.reason}")
    if not problems:
        print(f"{path.name}: valid")
    return 1 if problems else 0


def _worker(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from runtime.worker import run_worker

    asyncio.run(run_worker(get_settings()))
    return 0


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from core.settings import get_settings

    settings = get_settings()
    uvicorn.run("api.main:create_app", factory=True, host=settings.api_host,
                port=settings.api_port, log_level="info")
    return 0


def _up(args: argparse.Namespace) -> int:
    from cli.up import run_up

    return run_up(args)


def _replay(args: argparse.Namespace) -> int:
    from cli.replay import run_replay

    return asyncio.run(run_replay(args))


def _bench(args: argparse.Namespace) -> int:
    from cli.bench import run_bench

    return run_bench(args)


def _train(args: argparse.Namespace) -> int:
    from cli.train import run_train

    return run_train(args)


def _schedule(args: argparse.Namespace) -> int:
    from core.settings import get_settings
    from core.temporal import connect
    from runtime.schedules import ensure_retraining_schedule, retraining_schedule_id

    async def run() -> bool:
        settings = get_settings()
        return await ensure_retraining_schedule(await connect(settings), settings)

    created = asyncio.run(run())
    name = retraining_schedule_id(get_settings())
    print(f"schedule {name}: {'created' if created else 'already exists'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loanflow", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run the whole system on embedded defaults")
    up.add_argument("--no-ui", action="store_true", help="no Temporal web UI")
    up.set_defaults(handler=_up)

    sub.add_parser("worker", help="run a worker").set_defaults(handler=_worker)
    sub.add_parser("api", help="run the API and pages").set_defaults(handler=_api)

    bpmn = sub.add_parser("bpmn", help="diagram tools").add_subparsers(dest="bpmn", required=True)
    val = bpmn.add_parser("validate", help="check a diagram as deploy would")
    val.add_argument("file")
    val.add_argument("--dmn", action="append", default=[], help="a decision table it uses")
    val.add_argument("--lenient", action="store_true",
                     help="diagram written elsewhere: skip loanflow's own rules")
    val.set_defaults(handler=_validate)

    rep = sub.add_parser("replay", help="replay recorded histories against the workflow code")
    rep.add_argument("target", nargs="+",
                     help="history JSON files, or application ids (fetched from Temporal)")
    rep.set_defaults(handler=_replay)

    bench = sub.add_parser("bench", help="benchmarks (figures and ratios, side by side)")
    bench.add_argument("what", choices=["engine", "scoring", "verification", "assignment",
                                        "definitions", "all"])
    bench.add_argument("-n", "--count", type=int, default=400)
    bench.add_argument("--concurrency", type=int, default=50)
    bench.add_argument("--rounds", type=int, default=4,
                       help="engine: alternating rounds of each workflow")
    bench.set_defaults(handler=_bench)

    sched = sub.add_parser("schedule", help="create Temporal schedules (idempotent)")
    sched.add_argument("what", choices=["retraining"])
    sched.set_defaults(handler=_schedule)

    from cli.train import add_train_arguments

    train = sub.add_parser("train", help="train a credit model on a CSV")
    add_train_arguments(train)
    train.set_defaults(handler=_train)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
