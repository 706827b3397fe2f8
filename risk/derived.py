"""Derived columns: ratios that trees cannot form from single splits (instalment to
income, utilisation, payment to bill). Each is added whenever its input columns are
present, in training and in scoring alike, by the same function over column arrays, so one
row and a batch of a million rows take the same path.

A derived column is a pure function of one row: no statistics are learned from the data,
so adding them inside cross-validation cannot leak."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
Columns = Mapping[str, npt.NDArray[np.generic]]

PREFIX = "x_"  # derived names never collide with a data set's own columns


def _f(columns: Columns, name: str) -> Array:
    return np.asarray(columns[name], dtype=np.float64)


def _ratio(num: Array, den: Array) -> Array:
    """num / den, NaN where the denominator is not positive or either side is missing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(den > 0, out, np.nan)


@dataclass(frozen=True)
class Derived:
    name: str
    inputs: tuple[str, ...]
    compute: Callable[[Columns], Array]


def _monthly_amount(c: Columns) -> Array:
    return _ratio(_f(c, "credit_amount"), _f(c, "duration_in_month"))


def _payment_to_income(c: Columns) -> Array:
    return _ratio(12 * _f(c, "installment"), np.exp(_f(c, "log.annual.inc")))


def _revolving_to_income(c: Columns) -> Array:
    return _ratio(_f(c, "revol.bal"), np.exp(_f(c, "log.annual.inc")))


_LC_TERM = 36  # Lending Club's 2007-2010 loans were nearly all 36-month loans


def _loan_amount(c: Columns) -> Array:
    """The principal implied by instalment and rate over 36 months (not in the data)."""
    rate = _f(c, "int.rate") / 12
    annuity_factor = (1 - (1 + rate) ** -_LC_TERM) / np.where(rate > 0, rate, np.nan)
    out: Array = _f(c, "installment") * annuity_factor
    return out


def _amount_to_income(c: Columns) -> Array:
    return _ratio(_loan_amount(c), np.exp(_f(c, "log.annual.inc")))


def _utilisation(i: int) -> Callable[[Columns], Array]:
    def compute(c: Columns) -> Array:
        return _ratio(_f(c, f"BILL_AMT{i}"), _f(c, "LIMIT_BAL"))

    return compute


def _paid_share(i: int) -> Callable[[Columns], Array]:
    """What was paid in month i against the bill of the month before."""

    def compute(c: Columns) -> Array:
        return _ratio(_f(c, f"PAY_AMT{i}"), np.maximum(_f(c, f"BILL_AMT{i + 1}"), 1.0))

    return compute


_PAY = ("PAY_0", "PAY_2", "PAY_3", "PAY_4", "PAY_5", "PAY_6")
_BILLS = tuple(f"BILL_AMT{i}" for i in range(1, 7))
_PAID = tuple(f"PAY_AMT{i}" for i in range(1, 7))


def _worst_status(c: Columns) -> Array:
    out: Array = np.nanmax(np.stack([_f(c, p) for p in _PAY]), axis=0)
    return out


def _months_late(c: Columns) -> Array:
    late: Array = np.sum(np.stack([_f(c, p) for p in _PAY]) > 0, axis=0).astype(np.float64)
    return late


def _mean_utilisation(c: Columns) -> Array:
    bills = np.stack([_f(c, b) for b in _BILLS])
    return _ratio(np.nanmean(bills, axis=0), _f(c, "LIMIT_BAL"))


def _total_paid(c: Columns) -> Array:
    out: Array = np.nansum(np.stack([_f(c, p) for p in _PAID]), axis=0)
    return out


DERIVED: tuple[Derived, ...] = (
    Derived(f"{PREFIX}monthly_amount", ("credit_amount", "duration_in_month"), _monthly_amount),
    Derived(f"{PREFIX}payment_to_income", ("installment", "log.annual.inc"), _payment_to_income),
    Derived(f"{PREFIX}revolving_to_income", ("revol.bal", "log.annual.inc"), _revolving_to_income),
    Derived(f"{PREFIX}loan_amount", ("installment", "int.rate"), _loan_amount),
    Derived(f"{PREFIX}amount_to_income", ("installment", "int.rate", "log.annual.inc"),
            _amount_to_income),
    *(
        Derived(f"{PREFIX}utilisation_{i}", (f"BILL_AMT{i}", "LIMIT_BAL"), _utilisation(i))
        for i in range(1, 7)
    ),
    *(
        Derived(f"{PREFIX}paid_share_{i}", (f"PAY_AMT{i}", f"BILL_AMT{i + 1}"), _paid_share(i))
        for i in range(1, 6)
    ),
    Derived(f"{PREFIX}worst_status", _PAY, _worst_status),
    Derived(f"{PREFIX}months_late", _PAY, _months_late),
    Derived(f"{PREFIX}mean_utilisation", (*_BILLS, "LIMIT_BAL"), _mean_utilisation),
    Derived(f"{PREFIX}total_paid", _PAID, _total_paid),
)
BY_NAME = {d.name: d for d in DERIVED}


def applicable(columns: Sequence[str], numeric: Sequence[str]) -> list[str]:
    """Derived columns whose inputs are all present as numeric columns."""
    have = set(columns)
    nums = set(numeric)
    return [
        d.name
        for d in DERIVED
        if d.name not in have and all(i in have and i in nums for i in d.inputs)
    ]


def compute(columns: Columns, names: Sequence[str]) -> dict[str, Array]:
    """The named derived columns for the given input columns (any number of rows)."""
    out: dict[str, Array] = {}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows give NaN, as meant
        for name in names:
            out[name] = BY_NAME[name].compute(columns)
    return out
