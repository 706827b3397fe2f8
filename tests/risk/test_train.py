"""Training on real data, and the clear errors bad training data gets."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cli.train import add_train_parser, run_train
from risk.errors import DataError
from risk.registry import ModelRegistry
from risk.train import TrainOptions, load_dataset, train, train_csv
from tests.risk.support import GERMAN, write_csv

FAST = TrainOptions(target="default", fast=True)


def test_training_on_german_discriminates_and_calibrates() -> None:
    lines: list[str] = []
    result = train_csv(GERMAN, FAST, lines.append)
    summary = result.cv.summary()
    assert 0.72 < summary["auc"]["mean"] < 0.9
    assert summary["auc"]["std"] > 0  # five different folds, five different AUCs
    assert abs(summary["gini"]["mean"] - (2 * summary["auc"]["mean"] - 1)) < 1e-9
    assert result.calibration_report["ece"] < 0.08
    assert result.calibration_report["brier"] < 0.2
    # out-of-fold: each row predicted once, by the fold that left it out
    assert sorted(np.unique(result.cv.fold_of_row)) == [0, 1, 2, 3, 4]
    assert len(result.oof) == 1000
    assert "purpose" in result.cat_features
    assert "x_monthly_amount" in result.derived
    assert any("fold 5/5" in line for line in lines)  # progress shown


def test_required_column_and_columns_subset() -> None:
    opts = TrainOptions(target="default", fast=True,
                        columns=["duration_in_month", "credit_amount", "purpose"],
                        required=["credit_amount"])
    result = train(load_dataset(GERMAN, opts), opts)
    assert result.features == ["duration_in_month", "credit_amount", "purpose"]


def test_csv_without_the_target(tmp_path: Path, german_frame: pd.DataFrame) -> None:
    path = write_csv(tmp_path / "no_target.csv", german_frame.drop(columns=["default"]))
    with pytest.raises(DataError, match="target column 'default' not found"):
        load_dataset(path, FAST)


def test_unknown_column(german_frame: pd.DataFrame) -> None:
    with pytest.raises(DataError, match="unknown column 'shoe_size'"):
        load_dataset(GERMAN, TrainOptions(exclude=["shoe_size"]))
    with pytest.raises(DataError, match="unknown column 'shoe_size'"):
        load_dataset(GERMAN, TrainOptions(columns=["purpose", "shoe_size"]))


def test_empty_file_and_header_only(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError, match="empty"):
        load_dataset(empty, FAST)
    header = tmp_path / "header.csv"
    header.write_text("a,b,default\n")
    with pytest.raises(DataError, match="no rows"):
        load_dataset(header, FAST)
    with pytest.raises(DataError, match="not found"):
        load_dataset(tmp_path / "missing.csv", FAST)


def test_constant_and_non_binary_target(tmp_path: Path, german_frame: pd.DataFrame) -> None:
    constant = german_frame.assign(default=0)
    with pytest.raises(DataError, match="target column 'default' is constant"):
        load_dataset(write_csv(tmp_path / "c.csv", constant), FAST)
    three = german_frame.assign(default=np.arange(len(german_frame)) % 3)
    with pytest.raises(DataError, match="must have two values"):
        load_dataset(write_csv(tmp_path / "t.csv", three), FAST)
    rare = german_frame.assign(default=(np.arange(len(german_frame)) < 3).astype(int))
    with pytest.raises(DataError, match="only 3 rows of one outcome"):
        load_dataset(write_csv(tmp_path / "r.csv", rare), FAST)


def test_text_labels_and_missing_values(tmp_path: Path, german_frame: pd.DataFrame) -> None:
    frame = german_frame.copy()
    frame["default"] = np.where(frame["default"] == 1, "bad", "good")
    frame.loc[::7, "purpose"] = None
    frame.loc[::5, "credit_amount"] = np.nan
    data = load_dataset(write_csv(tmp_path / "labels.csv", frame), FAST)
    assert data.positive_label == "bad"
    assert int(data.y.sum()) == 300
    assert (data.frame["purpose"] == "missing").sum() > 0
    result = train(data, FAST)
    assert result.cv.summary()["auc"]["mean"] > 0.7


def _cli(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_train_parser(parser.add_subparsers())
    return parser.parse_args(["train", *argv])


def test_cli_train_registers_champion_then_challenger(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--data", str(GERMAN), "--target", "default", "--name", "german",
            "--registry", str(tmp_path), "--fast"]
    assert run_train(_cli(argv)) == 0
    assert run_train(_cli(argv)) == 0
    out = capsys.readouterr().out
    assert "CV AUC" in out and "champion" in out and "challenger" in out
    registry = ModelRegistry(tmp_path)
    champion, challenger = registry.champion("german"), registry.challenger("german")
    assert champion is not None and challenger is not None
    assert (champion.version, challenger.version) == (1, 2)
    # sex and age are kept beside the predictions for the fairness report
    assert {"personal_status_and_sex", "age_in_years"} <= set(champion.metadata["kept"])


def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = run_train(_cli(["--data", str(GERMAN), "--target", "creditworthy",
                           "--registry", str(tmp_path)]))
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: target column 'creditworthy' not found")
    assert "Traceback" not in err
