"""The four simulated outside systems as FastAPI apps (one HTTP service each).

Each app has ``GET /health``, ``GET /_admin/stats``, ``PUT /_admin/faults`` (replace the
fault configuration) and ``POST /_admin/enrol`` (override a subject's facts; the
population is shared, so enrolling at one service is seen by all).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, replace
from typing import Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from simulators import watchlist
from simulators.faults import FaultConfig, Gate, ServiceSettings
from simulators.population import CONTRIBUTION_CAP, CONTRIBUTION_FLOOR, Population, Subject
from simulators.reports import build_report
from verification.fuzzy import company_similarity, name_similarity
from verification.sources import EmploymentCheck, IdentityCheck, to_json

PERMISSIBLE_PURPOSES = frozenset({"credit_decision", "account_review"})
# Facts an end-to-end test may set for its own applicant (see Population.enrol).
ENROLLABLE = frozenset({"full_name", "name_latin", "identity_flags", "employer",
                        "monthly_salary", "contribution_base", "months_contributed", "active"})


class IdentityRequest(BaseModel):
    national_id: str
    full_name: str
    date_of_birth: dt.date
    sex: str


class EmploymentRequest(BaseModel):
    national_id: str
    stated_employer: str = ""


class BureauRequest(BaseModel):
    national_id: str
    full_name: str
    purpose: str
    consent_reference: str


class ScreenRequest(BaseModel):
    full_name: str
    date_of_birth: dt.date | None = None


class EnrolRequest(BaseModel):
    national_id: str
    facts: dict[str, Any]


def _base_app(name: str, gate: Gate, population: Population) -> FastAPI:
    app = FastAPI(title=f"simulated {name}", docs_url=None, redoc_url=None)
    app.state.gate = gate

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "service": name}

    @app.get("/_admin/stats")
    async def stats() -> dict[str, int]:
        return dict(gate.stats)

    @app.put("/_admin/faults")
    async def set_faults(config: dict[str, Any]) -> dict[str, Any]:
        gate.settings.faults = FaultConfig(**config)
        return asdict(gate.settings.faults)

    @app.post("/_admin/enrol", response_model=None)
    async def enrol(body: EnrolRequest) -> JSONResponse | dict[str, str]:
        facts = dict(body.facts)
        unknown = set(facts) - ENROLLABLE
        if unknown:
            return JSONResponse({"error": "unknown facts", "facts": sorted(unknown)},
                                status_code=400)
        if "identity_flags" in facts:
            facts["identity_flags"] = tuple(facts["identity_flags"])
        population.enrol(body.national_id, **facts)
        return {"status": "enrolled"}

    return app


def identity_app(population: Population, settings: ServiceSettings) -> FastAPI:
    gate = Gate("identity", settings, seed=1)
    app = _base_app("identity registry", gate, population)

    @app.post("/v1/identity/verify", response_model=None)
    async def verify(body: IdentityRequest, request: Request) -> JSONResponse | dict[str, Any]:
        error, fault = await gate.admit(request, body.national_id)
        if error is not None:
            return error
        subject = population.subject(body.national_id)
        if not subject.valid or fault == "not_found":
            return to_json(IdentityCheck("not_found", 0.0, None, None))
        if fault == "identity_mismatch":
            # The registry holds someone else's details under this number.
            subject = replace(subject, full_name="", name_latin="",
                              birth_date=subject.birth_date - dt.timedelta(days=4000))
        score = max(name_similarity(body.full_name, subject.full_name),
                    name_similarity(body.full_name, subject.name_latin))
        return to_json(IdentityCheck(
            "found", round(score, 3), body.date_of_birth == subject.birth_date,
            body.sex == subject.sex, list(subject.identity_flags),
            reference=f"IDR-{gate.stats['requests']:08d}",
        ))

    return app


def _employment(subject: Subject, stated: str, fault: str | None, ref: str) -> EmploymentCheck:
    if subject.employer is None or not subject.valid or fault == "not_found":
        return EmploymentCheck("not_found", reference=ref)
    score = round(company_similarity(stated, subject.employer), 3) if stated else None
    last = dt.date.today().replace(day=1)
    if not subject.active:
        last = (last - dt.timedelta(days=130)).replace(day=1)
    return EmploymentCheck(
        "found", subject.employer, score, subject.active, subject.contribution_base,
        CONTRIBUTION_FLOOR, CONTRIBUTION_CAP, subject.months_contributed,
        last.strftime("%Y-%m"), ref,
    )


def employment_app(population: Population, settings: ServiceSettings) -> FastAPI:
    gate = Gate("employment", settings, seed=2)
    app = _base_app("social security registry", gate, population)

    @app.post("/v1/employment/lookup", response_model=None)
    async def lookup(body: EmploymentRequest, request: Request) -> JSONResponse | dict[str, Any]:
        error, fault = await gate.admit(request, body.national_id)
        if error is not None:
            return error
        subject = population.subject(body.national_id)
        ref = f"SSR-{gate.stats['requests']:08d}"
        return to_json(_employment(subject, body.stated_employer, fault, ref))

    return app


def bureau_app(population: Population, settings: ServiceSettings) -> FastAPI:
    gate = Gate("bureau", settings, seed=3)
    app = _base_app("credit bureau", gate, population)
    # Idempotency-Key -> report: a retried pull returns the same report and records no
    # second inquiry on the subject's file.
    pulls: dict[str, dict[str, Any]] = {}
    app.state.pulls = pulls

    @app.post("/v1/reports", response_model=None)
    async def report(
        body: BureauRequest, request: Request,
        idempotency_key: str | None = Header(default=None),
    ) -> JSONResponse | dict[str, Any]:
        if body.purpose not in PERMISSIBLE_PURPOSES or not body.consent_reference:
            return JSONResponse({"error": "no_permissible_purpose"}, status_code=403)
        error, fault = await gate.admit(request, body.national_id)
        if error is not None:
            return error
        if idempotency_key and idempotency_key in pulls:
            gate.stats["replayed"] += 1
            return pulls[idempotency_key]
        subject = population.subject(body.national_id)
        out = to_json(build_report(subject, body.full_name, fault,
                                   f"CRB-{gate.stats['requests']:08d}"))
        gate.stats["pulls"] += 1
        if idempotency_key:
            pulls[idempotency_key] = out
        return out

    return app


def sanctions_app(population: Population, settings: ServiceSettings) -> FastAPI:
    gate = Gate("sanctions", settings, seed=4)
    app = _base_app("sanctions list", gate, population)
    entries = watchlist.build_list(population)
    app.state.entries = entries

    @app.post("/v1/screen", response_model=None)
    async def screen(body: ScreenRequest, request: Request) -> JSONResponse | dict[str, Any]:
        error, _ = await gate.admit(request, body.full_name)
        if error is not None:
            return error
        return to_json(watchlist.screen(entries, body.full_name, body.date_of_birth))

    return app


SERVICES = ("identity", "employment", "bureau", "sanctions")
FACTORIES = {
    "identity": identity_app, "employment": employment_app,
    "bureau": bureau_app, "sanctions": sanctions_app,
}
