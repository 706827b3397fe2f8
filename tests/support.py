"""Helpers for tests: sample applications and running one through the process."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, select
from temporalio.client import Client, WorkflowHandle

from api.applications.schemas import ApplicationCreate
from api.applications.service import workflow_id
from core.settings import Settings
from store.accounts import DEMO_USERS
from store.db import engine_for, init_db
from store.definitions import deploy_shipped, latest_for_loan_type
from store.models import Application, User
from workflows.types import DefinitionRef, LoanProcessInput, LoanProcessResult, process_data

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def national_id(region: str = "110101", birth: str = "19900307", seq: str = "123") -> str:
    body = region + birth + seq
    total = sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def sample_application(**overrides: Any) -> dict[str, Any]:
    app: dict[str, Any] = {
        "loan_type": "personal", "amount": 10_000, "term_months": 24, "purpose": "car_used",
        "applicant": {
            "full_name": "Zhang Wei", "national_id": national_id(),
            "date_of_birth": "1990-03-07", "sex": "male", "phone": "+86 138 0013 8000",
            "email": "zhang.wei@example.com", "address": "1 Chang'an Ave, Dongcheng, Beijing",
        },
        "employment": {"status": "employed", "employer": "Beijing Transit Co.",
                       "years_employed": 6, "monthly_income": 15_000},
        "financials": {"checking_balance": 8_000, "savings_balance": 30_000,
                       "monthly_debt_payments": 1_000, "existing_loans": 1, "housing": "rent",
                       "dependents": 1},
        "consent_bureau_check": True,
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(app.get(key), dict):
            app[key] = {**app[key], **value}
        else:
            app[key] = value
    return app


def prepare_db(settings: Settings) -> None:
    eng = init_db(settings.db_url)
    with Session(eng) as s:
        deploy_shipped(s)
        # The demo people, without a password (nobody logs in here): tasks get assigned.
        for spec in DEMO_USERS:
            if s.exec(select(User).where(User.username == spec["username"])).first() is None:
                s.add(User(password_hash="!", **spec))
        s.commit()


def create_application(
    settings: Settings, app: dict[str, Any], applicant: str = "alice",
    submitted_by: str | None = None,
) -> tuple[str, LoanProcessInput]:
    """An application row as the API writes it, and its workflow's id and input."""
    body = ApplicationCreate.model_validate(app)
    payload = body.model_dump(mode="json", exclude={"process_version"})
    with Session(engine_for(settings.db_url)) as s:
        d = latest_for_loan_type(s, body.loan_type.value)
        row = Application(applicant_user=applicant, submitted_by=submitted_by or applicant,
                          loan_type=body.loan_type.value, amount=body.amount,
                          term_months=body.term_months, payload=json.dumps(payload),
                          workflow_id="", process_id=d.process_id, process_version=d.version,
                          sha256=d.sha256)
        row.workflow_id = workflow_id(row.id)
        s.add(row)
        s.commit()
        ref = DefinitionRef(d.process_id, d.version, d.sha256)
        return row.workflow_id, LoanProcessInput(row.id, ref, process_data(payload), applicant,
                                                 submitted_by or applicant)


async def start_application(
    client: Client, settings: Settings, app: dict[str, Any], applicant: str = "alice",
    submitted_by: str | None = None,
) -> WorkflowHandle[Any, Any]:
    wf_id, inp = create_application(settings, app, applicant, submitted_by)
    return await client.start_workflow(
        "LoanProcessWorkflow", inp, id=wf_id, task_queue=settings.task_queue,
        result_type=LoanProcessResult,
    )


class LiveServer:
    """uvicorn serving an ASGI app on a free loopback port, in a thread (real HTTP)."""

    def __init__(self, app: Any) -> None:
        import threading

        import uvicorn

        from runtime.devserver import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        from runtime.devserver import wait_for_port

        self.thread.start()
        wait_for_port(self.port, timeout=30)
        while not self.server.started:
            import time

            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
