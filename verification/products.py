"""Age, amount and term limits per loan product (loan type)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProductLimits:
    loan_type: str
    min_age: int
    max_age_at_application: int
    max_age_at_maturity: int
    min_amount: float
    max_amount: float
    min_term_months: int
    max_term_months: int


DEFAULT_PRODUCTS: dict[str, ProductLimits] = {
    "personal": ProductLimits("personal", 18, 60, 65, 1_000, 500_000, 6, 60),
    "micro": ProductLimits("micro", 18, 60, 65, 500, 100_000, 3, 36),
    "business": ProductLimits("business", 22, 65, 70, 10_000, 10_000_000, 6, 120),
}
