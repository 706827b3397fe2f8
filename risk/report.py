"""An HTML report per model version: metadata, cross-validation with its spread,
calibration, plots (ROC, KS, calibration, score distribution by outcome, feature
importance) and the fairness tables. Plots are inline PNGs, so the page is one
self-contained document the API can return as is. Everything shown is computed from the
out-of-fold predictions stored with the version: rows each model had not seen."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import roc_curve

from risk import metrics
from risk.fairness import FairnessTable, fairness_tables
from risk.registry import ModelRegistry, ModelVersion

APPROVE_BELOW = 0.20  # the report's approval rule: grades A-C (PD under 20 %)
_E = html.escape


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="" src="data:image/png;base64,{data}">'


def _roc(y: np.ndarray, p: np.ndarray) -> str:
    fpr, tpr, _ = roc_curve(y, p)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(fpr, tpr, label=f"AUC {metrics.auc(y, p):.3f}")
    ax.plot([0, 1], [0, 1], "--", color="grey")
    ax.set(xlabel="false positive rate (goods declined)",
           ylabel="true positive rate (bads caught)", title="ROC")
    ax.legend(loc="lower right")
    return _png(fig)


def _ks(y: np.ndarray, score: np.ndarray) -> str:
    grid = np.sort(np.unique(score))
    good = np.searchsorted(np.sort(score[y == 0]), grid, side="right") / max(1, (y == 0).sum())
    bad = np.searchsorted(np.sort(score[y == 1]), grid, side="right") / max(1, (y == 1).sum())
    i = int(np.argmax(bad - good))
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(grid, bad, label="defaulted")
    ax.plot(grid, good, label="repaid")
    ax.vlines(grid[i], good[i], bad[i], colors="red", label=f"KS {bad[i] - good[i]:.3f}")
    ax.set(xlabel="score", ylabel="cumulative share", title="KS")
    ax.legend(loc="lower right")
    return _png(fig)


def _calibration(y: np.ndarray, p: np.ndarray) -> str:
    edges = np.quantile(p, np.linspace(0, 1, 11))
    index = np.clip(np.searchsorted(edges[1:-1], p, side="right"), 0, 9)
    pred = [p[index == b].mean() for b in range(10) if (index == b).any()]
    obs = [y[index == b].mean() for b in range(10) if (index == b).any()]
    top = max(max(pred), max(obs)) * 1.05
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, top], [0, top], "--", color="grey")
    ax.plot(pred, obs, "o-")
    ax.set(xlabel="predicted PD (decile mean)", ylabel="observed default rate",
           title=f"Calibration (ECE {metrics.ece(y, p):.3f})")
    return _png(fig)


def _distribution(y: np.ndarray, score: np.ndarray) -> str:
    bins = [float(b) for b in np.linspace(score.min(), score.max(), 30)]
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.hist(score[y == 0], bins=bins, alpha=0.6, density=True, label="repaid")
    ax.hist(score[y == 1], bins=bins, alpha=0.6, density=True, label="defaulted")
    for _, cutoff in metrics.GRADE_CUTOFFS:
        ax.axvline(cutoff, color="grey", lw=0.5)
    ax.set(xlabel="score (grade cut-offs in grey)", ylabel="density",
           title="Score by outcome")
    ax.legend()
    return _png(fig)


def _importance(importance: dict[str, float]) -> str:
    items = sorted(importance.items(), key=lambda kv: kv[1])[-20:]
    fig, ax = plt.subplots(figsize=(6, 0.3 * len(items) + 1))
    ax.barh([k for k, _ in items], [v for _, v in items])
    ax.set(xlabel="importance (prediction change, %)", title="Feature importance")
    return _png(fig)


def _kv(rows: list[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{_E(k)}</th><td>{_E(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _fairness_html(tables: list[FairnessTable]) -> str:
    if not tables:
        return ("<p>This data set has no age or sex column: "
                "fairness by group cannot be measured.</p>")
    parts = [f"<p>Approval rule for this table: PD below {APPROVE_BELOW:.0%} (grades A-C). "
             "Adverse impact ratio below 0.8 is flagged.</p>"]
    for t in tables:
        rows = "".join(
            f"<tr{' class=flag' if r.flagged else ''}><td>{_E(r.group)}</td><td>{r.rows}</td>"
            f"<td>{r.default_rate:.1%}</td><td>{r.approval_rate:.1%}</td>"
            f"<td>{r.adverse_impact_ratio:.2f}</td>"
            f"<td>{'-' if r.auc is None else f'{r.auc:.3f}'}</td></tr>"
            for r in t.rows)
        parts.append(f"<h3>By {_E(t.attribute)} ({_E(t.column)})</h3><table><tr><th>group</th>"
                     "<th>rows</th><th>default rate</th><th>approval rate</th>"
                     f"<th>adverse impact ratio</th><th>AUC</th></tr>{rows}</table>")
    return "".join(parts)


_STYLE = ("body{font-family:sans-serif;max-width:1100px;margin:auto;padding:1em}"
          "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;"
          "padding:2px 8px;text-align:left}.flag{background:#fdd}img{margin:4px}")


def _promotions_html(log: list[dict[str, Any]]) -> str:
    if not log:
        return "<p>No promotion decisions recorded for this model name.</p>"
    rows = "".join(
        f"<tr><td>{_E(str(r.get('at', '')))}</td><td>v{r.get('challenger')}</td>"
        f"<td>{'-' if r.get('champion') is None else 'v' + str(r.get('champion'))}</td>"
        f"<td>{'promoted' if r.get('promoted') else 'kept champion'}</td>"
        f"<td>{_E(str(r.get('reason', '')))}</td><td>{_E(str(r.get('actor', '')))}</td></tr>"
        for r in log)
    return ("<table><tr><th>when</th><th>challenger</th><th>champion</th><th>decision</th>"
            f"<th>evidence</th><th>by</th></tr>{rows}</table>")


def render_version(version: ModelVersion, promotions: list[dict[str, Any]] | None = None) -> str:
    meta = version.metadata
    oof = pd.read_csv(version.oof_file)
    y = oof["y"].to_numpy(dtype=np.float64)
    p = oof["pd"].to_numpy(dtype=np.float64)
    score = metrics.score_from_pd(p)
    cv, cal, data = meta["cv"], meta["calibration"], meta["data"]
    summary = _kv([
        ("model", f"{version.name} {version.label}"),
        ("created", meta.get("created_at")), ("trained by", meta.get("trained_by")),
        ("code version", meta.get("code_version")),
        ("data", f"{data.get('dataset') or data.get('source')} ({data['rows']} rows, "
                 f"default rate {data['default_rate']:.1%})"),
        ("data sha256", data["sha256"]),
        ("model kind", meta.get("model_kind", "trained from a CSV")),
        ("features", ", ".join(meta["features"])),
        ("derived", ", ".join(meta["derived"]) or "-"),
        ("required", ", ".join(meta.get("required", [])) or "-"),
        (f"CV AUC ({cv['folds']}-fold)", f"{cv['auc']['mean']:.4f} ± {cv['auc']['std']:.4f}"),
        ("CV KS", f"{cv['ks']['mean']:.4f} ± {cv['ks']['std']:.4f}"),
        ("CV Gini", f"{cv['gini']['mean']:.4f} ± {cv['gini']['std']:.4f}"),
        ("calibration (Platt, out of fold)",
         f"Brier {cal['brier']:.4f} (uncalibrated {cal['brier_uncalibrated']:.4f}), "
         f"ECE {cal['ece']:.4f} (uncalibrated {cal['ece_uncalibrated']:.4f})"),
        ("training time", f"{meta['training_seconds']} s"),
        ("parameters", ", ".join(f"{k}={v}" for k, v in sorted(meta["params"].items()))),
        ("reason catalogue", meta.get("reason_catalogue")),
    ])
    plots = "".join([_roc(y, p), _ks(y, score), _calibration(y, p), _distribution(y, score),
                     _importance(meta.get("importance", {}))])
    fairness = _fairness_html(fairness_tables(oof, APPROVE_BELOW))
    title = _E(f"Model report: {version.name} {version.label}")
    return (f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{title}</h1>{summary}"
            f"<h2>Performance (out-of-fold)</h2>{plots}<h2>Fairness</h2>{fairness}"
            f"<h2>Promotions</h2>{_promotions_html(promotions or [])}</body></html>")


def render_report(registry: ModelRegistry, name: str, version: int | None = None) -> str:
    """The report page of one version (the champion when `version` is None)."""
    return render_version(registry.get(name, version), registry.promotions(name))
