"""The model report: one self-contained HTML page with the five plots and fairness tables."""

from __future__ import annotations

import re

from risk.fairness import fairness_tables
from risk.registry import ModelRegistry
from risk.report import render_report


def test_report_has_plots_metrics_and_fairness(shipped_registry: ModelRegistry) -> None:
    page = render_report(shipped_registry, "personal")
    assert page.startswith("<!doctype html>")
    assert len(re.findall(r'<img alt="" src="data:image/png;base64,', page)) == 5
    for words in ("CV AUC", "ECE", "Brier", "data sha256", "By age band", "By sex",
                  "approval rate", "adverse impact ratio", "Promotions", "first model of this name"):
        assert words in page
    assert "http://" not in page and "https://" not in page  # nothing fetched from outside


def test_report_without_group_columns(shipped_registry: ModelRegistry) -> None:
    page = render_report(shipped_registry, "business", 1)
    assert "no age or sex column" in page


def test_fairness_tables_by_age_and_sex(shipped_registry: ModelRegistry) -> None:
    import pandas as pd

    oof = pd.read_csv(shipped_registry.get("behaviour").oof_file)
    tables = {t.attribute: t for t in fairness_tables(oof, 0.2)}
    assert set(tables) == {"age band", "sex"}
    sexes = {r.group: r for r in tables["sex"].rows}
    assert set(sexes) == {"female", "male"}
    assert sum(r.rows for r in sexes.values()) == len(oof)
    best = max(r.approval_rate for r in sexes.values())
    for r in sexes.values():
        assert r.adverse_impact_ratio == r.approval_rate / best
        assert r.auc is not None and 0.5 < r.auc < 1
    ages = [r.group for r in tables["age band"].rows]
    assert "25-34" in ages and "unknown" not in ages
