"""Per-applicant SHAP contributions for CatBoost models, fast enough for one application.

CatBoost's own `get_feature_importance(type="ShapValues")` costs ~30 ms for a single row of a
1,000-tree model (it prepares every tree on each call). This module computes the same
values (path-dependent TreeSHAP over CatBoost's oblivious trees, with CatBoost's rules:
empty leaves ignored, a split on a feature combination shared equally among its features)
once per leaf of every tree when the model is loaded. Scoring a row then only needs the
leaf it reaches in each tree (`calc_leaf_indexes`, CatBoost's own evaluation, CTRs
included) and a table lookup. A test checks equality with CatBoost's `ShapValues`.

Why a table per leaf works: a tree's SHAP values for a row depend on the row only through
the leaf it falls into, and an oblivious tree of depth d has only 2**d leaves.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from catboost import CatBoost, Pool

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_EMPTY_LEAF = 1e-12  # CatBoost skips subtrees whose weight is (fuzzily) zero
_CHUNK = 64  # trees per vectorised block while building tables (bounds memory)


@dataclass(frozen=True)
class _Tree:
    depth: int
    classes: list[int]  # combination class of each level's split
    values: FloatArray  # (2**depth,)
    weights: FloatArray  # (2**depth,)


def _model_json(model: CatBoost) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.json"
        model.save_model(str(path), format="json")
        loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _flat_index(info: dict[str, Any], kind: str) -> dict[int, int]:
    """Model-internal index of a float or categorical feature -> column position."""
    return {f["feature_index"]: f["flat_feature_index"] for f in info.get(kind, [])}


def _split_features(info: dict[str, Any]) -> tuple[list[frozenset[int]], int, int]:
    """Flat features behind each CTR, plus the number of float and one-hot bins before them."""
    cat_flat = _flat_index(info, "categorical_features")
    float_bins = sum(len(f.get("borders") or []) for f in info.get("float_features", []))
    onehot_bins = sum(len(c.get("values") or []) for c in info.get("categorical_features", []))
    ctr_sets: list[frozenset[int]] = []
    for ctr in info.get("ctrs", []):
        flats: set[int] = set()
        # Like CatBoost, attribute a CTR to the categorical values it combines only: float
        # borders and one-hot values inside the combination do not get a share.
        for element in ctr.get("elements", []):
            if element.get("combination_element") == "cat_feature_value":
                flats.add(cat_flat[element["cat_feature_index"]])
        ctr_sets.extend([frozenset(flats)] * len(ctr.get("borders") or []))
    return ctr_sets, float_bins, onehot_bins


def _parse_trees(
    doc: dict[str, Any],
) -> tuple[list[_Tree], list[frozenset[int]], float, float]:
    info = doc["features_info"]
    cat_flat = _flat_index(info, "categorical_features")
    float_flat = _flat_index(info, "float_features")
    ctr_sets, float_bins, onehot_bins = _split_features(info)
    class_ids: dict[frozenset[int], int] = {}
    trees: list[_Tree] = []
    for raw in doc["oblivious_trees"]:
        classes: list[int] = []
        for split in raw.get("splits") or []:
            kind = split["split_type"]
            if kind == "FloatFeature":
                flats = frozenset({float_flat[split["float_feature_index"]]})
            elif kind == "OneHotFeature":
                flats = frozenset({cat_flat[split["cat_feature_index"]]})
            elif kind == "OnlineCtr":
                flats = ctr_sets[split["split_index"] - float_bins - onehot_bins]
            else:
                raise ValueError(f"unsupported CatBoost split type {kind!r}")
            classes.append(class_ids.setdefault(flats, len(class_ids)))
        values = np.asarray(raw["leaf_values"], dtype=np.float64)
        weights = np.asarray(raw["leaf_weights"], dtype=np.float64)
        if values.shape != weights.shape:
            raise ValueError("only single-output CatBoost models are supported")
        trees.append(_Tree(len(classes), classes, values, weights))
    scale, biases = doc.get("scale_and_bias", [1.0, [0.0]])
    bias = float(biases[0]) if isinstance(biases, list) else float(biases)
    by_id = sorted(class_ids.items(), key=lambda item: item[1])
    return trees, [flats for flats, _ in by_id], float(scale), bias


def _shapley_weights(players: int) -> FloatArray:
    """(2**k, k): phi_i = sum_m E(m) * W[m, i] over coalitions m (bit masks)."""
    out = np.zeros((1 << players, players))
    fact = math.factorial
    for mask in range(1 << players):
        size = bin(mask).count("1")
        for i in range(players):
            if mask >> i & 1:
                out[mask, i] = fact(size - 1) * fact(players - size) / fact(players)
            else:
                out[mask, i] = -fact(size) * fact(players - size - 1) / fact(players)
    return out


def _tables_for_depth(trees: list[_Tree], depth: int) -> tuple[FloatArray, IntArray]:
    """phi[t, leaf, slot] for trees of one depth, and each slot's class (-1: unused)."""
    n_leaves = 1 << depth
    leaves = np.arange(n_leaves)
    bits = (leaves[:, None] >> np.arange(depth)[None, :]) & 1  # (leaf, level)
    # A code says, per level, unknown (0) or known with bit 0/1 (1/2): 3**depth codes.
    codes = np.array(list(product(range(3), repeat=depth)), dtype=np.int64)[:, ::-1]
    codes = codes.reshape(-1, depth)
    unknown = codes == 0
    consistent = np.all(unknown[:, None, :] | (bits[None, :, :] == codes[:, None, :] - 1), axis=2)
    powers = 3 ** np.arange(depth)
    slot_w = _shapley_weights(depth)
    masks = np.arange(1 << depth)
    phis: list[FloatArray] = []
    slots: list[IntArray] = []
    for start in range(0, len(trees), _CHUNK):
        block = trees[start : start + _CHUNK]
        values = np.stack([t.values for t in block])
        weights = np.stack([t.weights for t in block])
        values = np.where(weights > _EMPTY_LEAF, values, 0.0)
        # ratio[t, level, leaf]: share of the node's weight that goes the leaf's way
        ratio = np.empty((len(block), depth, n_leaves))
        for level in range(depth):
            child = _subtree_weight(weights, leaves >> level)
            parent = _subtree_weight(weights, leaves >> (level + 1))
            ratio[:, level, :] = np.divide(child, parent, out=np.zeros_like(child),
                                           where=parent > 0)
        shape = (len(block), len(codes), n_leaves)
        prob = np.broadcast_to(consistent[None, :, :], shape).astype(float)
        for level in range(depth):
            factor = np.where(unknown[None, :, level, None], ratio[:, None, level, :], 1.0)
            prob = prob * factor
        expect = np.einsum("tcj,tj->tc", prob, values)  # E[tree | known levels], per code
        # Players are the tree's distinct classes (padded with dummies: Shapley's null
        # player property keeps the others' values unchanged).
        slot_of_level = np.zeros((len(block), depth), dtype=np.int64)
        slot_class = np.full((len(block), depth), -1, dtype=np.int64)
        for i, tree in enumerate(block):
            seen: dict[int, int] = {}
            for level, cls in enumerate(tree.classes):
                slot_of_level[i, level] = seen.setdefault(cls, len(seen))
                slot_class[i, seen[cls]] = cls
        known = (masks[None, :, None] >> slot_of_level[:, None, :]) & 1  # (t, mask, level)
        code = np.einsum("tml,l,jl->tmj", known, powers, bits + 1)
        e_masks = np.take_along_axis(expect, code.reshape(len(block), -1), axis=1)
        e_masks = e_masks.reshape(len(block), len(masks), n_leaves)
        phis.append(np.einsum("tmj,ms->tjs", e_masks, slot_w))
        slots.append(slot_class)
    return np.concatenate(phis), np.concatenate(slots)


def _subtree_weight(weights: FloatArray, node: IntArray) -> FloatArray:
    """Weight of the node each leaf hangs under (the sum over the node's leaves).

    CatBoost walks an oblivious tree from its last split to its first, so a node is the
    set of leaves sharing their high bits: `node` is each leaf's index shifted right.
    """
    out = np.zeros_like(weights)
    for value in np.unique(node):
        members = node == value
        out[:, members] = weights[:, members].sum(axis=1, keepdims=True)
    return out


class TreeExplainer:
    """SHAP values of a fitted single-output CatBoost model, in raw (log-odds) units."""

    def __init__(self, model: CatBoost) -> None:
        self._model = model
        trees, class_sets, scale, bias = _parse_trees(_model_json(model))
        self.feature_names: list[str] = list(model.feature_names_)
        n_features = len(self.feature_names)
        share = np.zeros((len(class_sets) + 1, n_features))  # last row: dummy slot
        for cls, flats in enumerate(class_sets):
            for flat in flats:
                share[cls, flat] = 1.0 / len(flats)
        max_depth = max((t.depth for t in trees), default=0)
        self._table = np.zeros((len(trees), 1 << max_depth, n_features))
        expected = 0.0
        for depth in sorted({t.depth for t in trees}):
            index = [i for i, t in enumerate(trees) if t.depth == depth]
            group = [trees[i] for i in index]
            for tree in group:
                w = tree.weights
                if w.sum() > 0:
                    kept = np.where(w > _EMPTY_LEAF, tree.values, 0.0)
                    expected += float(np.dot(kept, w) / w.sum())
            if depth == 0:
                continue
            phi, slot_class = _tables_for_depth(group, depth)
            slot_share = share[np.where(slot_class < 0, len(class_sets), slot_class)]
            self._table[index, : 1 << depth, :] = np.einsum("tjs,tsf->tjf", phi, slot_share)
        self._table *= scale
        self.expected_value = scale * expected + bias
        self._tree_index = np.arange(len(trees))

    def shap_values(self, pool: Pool) -> FloatArray:
        """(rows, features) contributions; each row sums to raw prediction - expected_value."""
        leaves = np.asarray(self._model.calc_leaf_indexes(pool), dtype=np.int64)
        out = np.empty((leaves.shape[0], self._table.shape[2]))
        for start in range(0, leaves.shape[0], 256):
            chunk = leaves[start : start + 256]
            out[start : start + 256] = self._table[self._tree_index[None, :], chunk].sum(axis=1)
        return out
