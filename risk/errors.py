"""Errors the risk package raises on purpose. Each names what is wrong in words a person can
act on; callers (CLI, activities, API) show the message instead of a stack trace."""

from __future__ import annotations


class RiskError(Exception):
    """Base class: anything the risk package refuses to do, with a reason."""


class DataError(RiskError):
    """Training data that cannot be used: missing file, empty file, no target, ..."""


class MissingFeatureError(RiskError):
    """A row to score lacks a feature the model needs."""

    def __init__(self, feature: str, model: str) -> None:
        super().__init__(f"missing feature '{feature}' required by model {model}")
        self.feature = feature
        self.model = model


class UnknownFeatureError(RiskError):
    """A row to score carries a column the model was not trained on: a sign of skew."""

    def __init__(self, feature: str, model: str) -> None:
        super().__init__(f"unknown feature '{feature}': model {model} was not trained on it")
        self.feature = feature
        self.model = model


class ModelNotFoundError(RiskError):
    """No such model name or version in the registry."""
