"""What a decision record says, worked out the same way by every workflow that writes
one (the BPMN-driven LoanProcessWorkflow and the hand-written NativeLoanWorkflow): the
hash of what the decider saw, an automated decision's outcome and reasons, and the reasons
a finished application carries. Pure functions, passed through the workflow sandbox."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def inputs_hash(value: Any) -> str:
    """sha256 of the inputs as canonical JSON (sorted keys): equal inputs, equal hash."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def automated_decision(output: dict[str, Any]) -> tuple[str, list[str], str | None]:
    """(outcome, reasons, model version) of a service's report: its first value, read as
    {'outcome' or 'grade', 'reasons' or 'findings', 'model_version'}."""
    first: Any = next(iter(output.values()), {}) if output else {}
    value: dict[str, Any] = first if isinstance(first, dict) else {"value": first}
    outcome = str(value.get("outcome") or value.get("grade") or "done")
    # A report's own reasons when it gives them (none when everything passed).
    given = value["reasons"] if "reasons" in value else value.get("findings")
    reasons = [str(r.get("text") or r.get("message") or r) if isinstance(r, dict) else str(r)
               for r in (given or [])][:10]
    model = value.get("model_version")
    return outcome, reasons, None if model is None else str(model)


def final_reasons(final: dict[str, Any], status: str) -> list[str]:
    """Why: the deciding person's reason, else (for an automatic decline) the model's."""
    if final.get("decision_reason"):
        return [str(final["decision_reason"]), *map(str, final.get("decision_reason_codes") or [])]
    if status != "declined":
        return []
    score = final.get("score") or {}
    texts = [str(r.get("text", r)) if isinstance(r, dict) else str(r)
             for r in score.get("reasons") or []]
    return texts or ["declined by the approval rules"]
