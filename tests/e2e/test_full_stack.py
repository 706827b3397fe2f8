"""The whole system as `make up` runs it, in one test: the API over HTTP, a worker with
the real activities (verification against the simulators over HTTP, the trained credit
models), Temporal, SQLite. Nothing is faked."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from temporalio.client import Client

from api.main import create_app
from core.temporal import converter_for
from runtime.worker import build_worker
from simulators.applications import CaseFactory
from simulators.runner import simulators
from tests.api.conftest import Api
from tests.conftest import make_settings
from tests.risk.support import _shipped_root
from tests.support import LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture
async def stack(tmp_path, sqlite_url, temporal_address, running_worker):
    with simulators(latency_scale=0.01) as sims:
        settings = make_settings(
            tmp_path, sqlite_url, temporal_address, model_dir=_shipped_root(),
            identity_url=sims.urls["identity"], employment_url=sims.urls["employment"],
            bureau_url=sims.urls["bureau"], sanctions_url=sims.urls["sanctions"])
        with LiveServer(create_app(settings)) as server:
            client = await Client.connect(temporal_address,
                                          data_converter=converter_for(settings))
            await running_worker(build_worker(client, settings))  # the default activities
            async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
                yield Api(http, settings), sims, client


async def _finish(api, app_id):
    for _ in range(300):
        body = (await api.as_("alice", "GET", f"/api/applications/{app_id}")).json()
        if body["status"] in ("approved", "declined", "failed"):
            return body
        if body["open_tasks"]:
            tasks = (await api.as_("uma", "GET", "/api/tasks")).json()
            mine = [t for t in tasks if t["application_id"] == app_id]
            if mine:
                tid = mine[0]["id"]
                assert (await api.as_("uma", "POST", f"/api/tasks/{tid}/claim")).status_code == 200
                r = await api.as_("uma", "POST", f"/api/tasks/{tid}/complete",
                                  json={"decision": "approve", "reason": "checked by hand"})
                assert r.status_code == 200, r.text
        await asyncio.sleep(0.2)
    raise AssertionError(f"application never finished: {body}")


async def test_real_verification_and_scoring_end_to_end(stack):
    api, sims, client = stack
    case = CaseFactory(sims.population, seed=7).clean()
    app = dict(case.application, loan_type="personal", purpose="car_used", amount=30_000.0)
    app.pop("business", None)
    r = await api.as_("alice", "POST", "/api/applications", json=app)
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    body = await _finish(api, app_id)
    assert body["status"] in ("approved", "declined")
    done = {s["element_id"] for s in body["steps"]}
    assert {"validate", "verify_identity", "check_employment", "screen_sanctions", "bureau",
            "cross", "score", "route_rule"} <= done

    history = (await api.as_("carl", "GET", f"/api/applications/{app_id}/history")).json()
    by_element = {h["element_id"]: h for h in history}
    score = by_element["score"]
    assert score["model_version"] and score["model_version"] != "fake-1"
    assert score["outcome"] in "ABCDE"
    assert by_element["cross"]["outcome"] in ("passed", "failed", "manual_review")
    assert by_element["route_rule"]["rules_version"]
    assert history[-1]["kind"] == "process"

    handle = client.get_workflow_handle(f"application-{app_id}")
    raw = b"".join(e.SerializeToString() for e in (await handle.fetch_history()).events)
    for secret in (app["applicant"]["national_id"], app["applicant"]["full_name"],
                   app["applicant"]["phone"]):
        assert secret.encode() not in raw
