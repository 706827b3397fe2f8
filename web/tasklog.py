"""A task's events (api/tasks/actions.events) as a person reads them: one line per event,
and for an assignment who was eligible, how loaded each one was against their capacity,
and why each one who was not chosen was not."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.tasks.actions import TaskEventPublic
from web.forms import label


@dataclass(frozen=True)
class Considered:
    username: str
    verdict: str  # chosen, eligible, not eligible
    load: str  # "2 of 20 (0.10)"
    why: str


@dataclass(frozen=True)
class Entry:
    kind: str
    title: str
    at: str
    actor: str
    reason: str = ""
    reason_label: str = "Reason"
    needs: str = ""
    considered: list[Considered] = field(default_factory=list)


def _num(value: object) -> str:
    try:
        x = float(str(value))
    except ValueError:
        return str(value)
    return f"{x:,.0f}" if x.is_integer() else f"{x:,.2f}"


def _who(name: str | None) -> str:
    if not name:
        return "the shared queue"
    return f"the {label(name.removeprefix('queue:'))} queue" if name.startswith("queue:") else name


def _title(e: TaskEventPublic) -> str:
    src, to = _who(e.from_user), _who(e.to_user)
    titles = {
        "assigned": f"Assigned to {to}",
        "queued": "Left in the shared queue: nobody was eligible",
        "claimed": f"Claimed by {e.actor}",
        "released": f"Released to the shared queue by {e.actor}",
        "reassigned": f"Reassigned by {e.actor}: {src} → {to}",
        "delegated": f"Delegated by {e.actor}: {src} → {to}",
        "referred": f"{e.actor} asked the applicant a question",
        "answered": f"{e.actor} answered the question",
        "resumed": f"Back with {to}: the clock runs again",
        "reminded": f"Reminder sent to {to}",
        "escalated": f"Escalated: {src} → {to}",
        "cancelled": "Cancelled",
    }
    return titles.get(e.kind, label(e.kind))


def needs(requirement: Mapping[str, Any]) -> str:
    """'Underwriter with personal, authority ≥ 60,000, effort 1; four eyes: alice ...'"""
    wanted = [*(requirement.get("skills") or []), requirement.get("language"),
              requirement.get("industry")]
    text = label(str(requirement.get("role") or "approver"))
    tokens = [str(w) for w in wanted if w]
    if tokens:
        text += f" with {', '.join(tokens)}"
    text += f", authority ≥ {_num(requirement.get('authority_needed', 0))}"
    text += f", effort {_num(requirement.get('effort', 1))}"
    barred = requirement.get("four_eyes") or []
    return text + (f"; four eyes: {', '.join(barred)} may not decide" if barred else "")


def _considered(rows: Sequence[Mapping[str, Any]]) -> list[Considered]:
    out = []
    for c in rows:
        verdict = "chosen" if c.get("chosen") else \
            "eligible" if c.get("eligible") else "not eligible"
        load = c.get("load")
        share = f"{float(load):.2f}" if load is not None else "no capacity"
        tasks = int(c.get("open_tasks") or 0)
        out.append(Considered(
            username=str(c.get("username", "")), verdict=verdict,
            load=f"{_num(c.get('open_effort', 0))} of {_num(c.get('capacity', 0))} "
                 f"({share}; {tasks} open task{'' if tasks == 1 else 's'})",
            why=str(c.get("reason", ""))))
    # The one chosen first, then the other eligible ones, then the rest.
    order = {"chosen": 0, "eligible": 1, "not eligible": 2}
    return sorted(out, key=lambda c: (order[c.verdict], c.username))


def entry(e: TaskEventPublic) -> Entry:
    detail = e.detail or {}
    requirement = detail.get("requirement")
    reason_label = {"referred": "Question", "answered": "Answer"}.get(e.kind, "Reason")
    return Entry(
        kind=e.kind, title=_title(e), at=e.at, actor=e.actor, reason=e.reason,
        reason_label=reason_label,
        needs=needs(requirement) if isinstance(requirement, Mapping) else "",
        considered=_considered(detail.get("considered") or []),
    )


def entries(events: Sequence[TaskEventPublic]) -> list[Entry]:
    return [entry(e) for e in events]
