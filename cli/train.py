"""`loanflow train --data FILE.csv --target COLUMN [--name NAME]`: train CatBoost on any
tabular credit CSV, show progress, store the model as a new registry version.

The first version of a name becomes its champion; later versions become the challenger
(scored in shadow) until `risk.promotion.promote` lets one beat the champion on held-out
data. Bad input ends with one line naming the problem and exit status 2."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from risk.errors import RiskError
from risk.fairness import detect_columns
from risk.promotion import install_initial
from risk.registry import DEFAULT_ROOT, ModelRegistry
from risk.train import TrainOptions, file_sha256, prepare, read_csv, train


def default_registry() -> str:
    """The worker's registry: LOANFLOW_MODEL_DIR, else <LOANFLOW_DATA_DIR>/models."""
    try:
        from core.settings import get_settings
    except ImportError:  # risk used without the rest of loanflow
        return os.environ.get("LOANFLOW_MODEL_DIR", str(DEFAULT_ROOT))
    return str(get_settings().models_path)


def _names(text: str | None) -> list[str]:
    return [t.strip() for t in (text or "").split(",") if t.strip()]


def add_train_parser(subparsers: Any) -> argparse.ArgumentParser:
    """`train` as a subcommand of `subparsers`, handler set to run_train."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "train", help="train a credit model on a CSV and store it in the model registry")
    add_train_arguments(parser)
    parser.set_defaults(handler=run_train)
    return parser


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="CSV file with one row per loan")
    parser.add_argument("--target", required=True, help="column with the outcome (1 = default)")
    parser.add_argument("--name", help="model name in the registry (default: the file's stem)")
    parser.add_argument("--registry", default=default_registry(),
                        help="registry folder (default: the worker's, $LOANFLOW_MODEL_DIR)")
    parser.add_argument("--exclude", help="comma-separated columns not to use as features")
    parser.add_argument("--columns", help="comma-separated feature columns (default: all)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="few trees: a smoke test")


def _model_name(args: argparse.Namespace) -> str:
    if args.name:
        return str(args.name)
    stem = Path(args.data).stem.lower()
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in stem) or "model"


def run_train(args: argparse.Namespace) -> int:
    def say(line: str) -> None:
        print(line, flush=True)

    try:
        if args.folds < 2:
            raise RiskError("--folds must be at least 2")
        frame = read_csv(args.data)
        keep = [c for c in detect_columns([str(c) for c in frame.columns]) if c != args.target]
        options = TrainOptions(target=args.target, columns=_names(args.columns) or None,
                               exclude=_names(args.exclude), keep=keep, folds=args.folds,
                               seed=args.seed, fast=args.fast)
        data = prepare(frame, options, str(args.data), file_sha256(Path(args.data)))
        result = train(data, options, say)
        registry = ModelRegistry(args.registry)
        name = _model_name(args)
        version = registry.register(name, result, dataset=Path(args.data).name)
        if registry.champion(name) is None:
            install_initial(registry, name, version.version, actor="loanflow train")
            role = "champion (first version of this name)"
        else:
            registry.set_challenger(name, version.version)
            role = "challenger (scores in shadow until promoted)"
    except RiskError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    cv = version.metadata["cv"]
    say(f"stored {name} {version.label} in {registry.root} as {role}")
    say(f"CV AUC {cv['auc']['mean']:.4f} ± {cv['auc']['std']:.4f}; "
        f"ECE {version.metadata['calibration']['ece']:.4f}")
    return 0
