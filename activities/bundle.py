"""The activities every worker of the loan process registers, built once over one
database: the worker, the benchmark, the tools and the tests all take them from here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from activities.process import ProcessActivities, SessionFactory
from activities.tasks import TaskActivities


def process_activities(sessions: SessionFactory) -> list[Callable[..., Any]]:
    p, t = ProcessActivities(sessions), TaskActivities(sessions)
    return [
        p.load_definition, p.assign_task, p.close_task, p.record_decision, p.record_decisions,
        p.finish_application, p.disburse_loan, p.notify_applicant,
        t.refer_task, t.resume_task, t.remind_approver,
    ]
