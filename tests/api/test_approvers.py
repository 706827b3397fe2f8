"""Approver profiles over HTTP (SQLite and PostgreSQL): who may read and edit them, what
bad input gets, and where an approver's open work goes when they are away."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlmodel import Session, select

from api.main import create_app
from store.db import engine_for
from store.models import Alert, Application, Task, TaskEvent
from tests.api.conftest import Api
from tests.conftest import make_settings
from tests.support import LiveServer

NOW = dt.datetime.now(dt.UTC)


@pytest.fixture
async def api(tmp_path, db_url, temporal_address) -> AsyncIterator[Api]:
    """The API over real HTTP on a real database; no worker (nothing here runs a process)."""
    settings = make_settings(tmp_path, db_url, temporal_address)
    with LiveServer(create_app(settings)) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            yield Api(http, settings)


def profile(**over: object) -> dict[str, object]:
    body: dict[str, object] = {"roles": ["underwriter"], "skills": ["personal", "Micro"],
                               "languages": ["ZH", "en"], "industries": ["Real estate"],
                               "authority_limit": 250_000, "capacity": 12, "supervisor": "sam"}
    return {**body, **over}


async def test_who_sees_approvers(api):
    listed = (await api.as_("root", "GET", "/api/approvers")).json()
    assert [a["username"] for a in listed] == ["sam", "uma", "ursula"]
    uma = next(a for a in listed if a["username"] == "uma")
    assert uma["supervisor"] == "sam" and uma["open_tasks"] == 0 and uma["load"] == 0
    assert uma["away"] is False and "zh" in uma["languages"]
    # sam supervises uma and ursula: he sees them, and each of them
    team = (await api.as_("sam", "GET", "/api/approvers")).json()
    assert [a["username"] for a in team] == ["uma", "ursula"]
    assert (await api.as_("sam", "GET", "/api/approvers/ursula")).status_code == 200
    # an approver sees their own profile, not a colleague's and not the list
    assert (await api.as_("uma", "GET", "/api/approvers/uma")).status_code == 200
    assert (await api.as_("uma", "GET", "/api/approvers/ursula")).status_code == 403
    assert (await api.as_("uma", "GET", "/api/approvers")).status_code == 403
    assert (await api.as_("alice", "GET", "/api/approvers")).status_code == 403
    assert (await api.as_("root", "GET", "/api/approvers/nobody")).status_code == 404
    assert (await api.as_("root", "GET", "/api/approvers/alice")).status_code == 404
    assert (await api.http.get("/api/approvers")).status_code == 401


async def test_admin_edits_a_profile(api):
    r = await api.as_("root", "PUT", "/api/approvers/ursula", json=profile())
    assert r.status_code == 200, r.text
    got = (await api.as_("root", "GET", "/api/approvers/ursula")).json()
    assert got["skills"] == ["micro", "personal"] and got["languages"] == ["en", "zh"]
    assert got["industries"] == ["real_estate"] and got["authority_limit"] == 250_000
    assert got["capacity"] == 12
    # an admin made approver keeps being admin
    r = await api.as_("root", "PUT", "/api/approvers/root", json=profile(supervisor=None))
    assert r.status_code == 200 and r.json()["approver"]["roles"] == ["underwriter"]
    assert (await api.as_("root", "GET", "/api/approvers")).status_code == 200
    # only the admin edits; unknown people are not found
    assert (await api.as_("sam", "PUT", "/api/approvers/uma", json=profile())).status_code == 403
    assert (await api.as_("uma", "PUT", "/api/approvers/uma", json=profile())).status_code == 403
    assert (await api.as_("root", "PUT", "/api/approvers/nobody", json=profile())).status_code == 404


@pytest.mark.parametrize(("change", "field"), [
    ({"authority_limit": -1}, "authority_limit"),
    ({"capacity": 0}, "capacity"),
    ({"roles": ["wizard"]}, "roles"),
    ({"roles": []}, "roles"),
    ({"skills": ["a,b"]}, "skills"),
    ({"languages": ["chinese"]}, "languages"),
    ({"away_from": "2030-01-02T00:00:00Z", "away_until": "2030-01-01T00:00:00Z"}, "away_until"),
    ({"away_from": "2030-01-02T00:00:00"}, "away_from"),  # no time zone
    ({"colour": "blue"}, "colour"),
])
async def test_malformed_profile_names_the_field(api, change, field):
    r = await api.as_("root", "PUT", "/api/approvers/uma", json=profile(**change))
    assert r.status_code == 422, r.text
    assert any(e["loc"][:2] == ["body", field] for e in r.json()["detail"]), r.json()


async def test_delegate_and_supervisor_must_make_sense(api):
    away = {"away_from": "2030-01-01T00:00:00Z", "away_until": "2030-01-10T00:00:00Z"}
    r = await api.as_("root", "PUT", "/api/approvers/ursula", json=profile(**away))
    assert r.status_code == 200, r.text
    for delegate, why in [("nobody", "no user nobody"), ("uma", "themselves"),
                          ("alice", "not an approver"), ("ursula", "away at the same time")]:
        r = await api.as_("root", "PUT", "/api/approvers/uma",
                          json=profile(delegate=delegate, **away))
        assert r.status_code == 422 and why in r.json()["detail"], r.text
        assert r.json()["errors"] == [{"field": "delegate", "reason": r.json()["errors"][0]["reason"]}]
    later = {"away_from": "2030-02-01T00:00:00Z", "away_until": "2030-02-10T00:00:00Z"}
    r = await api.as_("root", "PUT", "/api/approvers/uma", json=profile(delegate="ursula", **later))
    assert r.status_code == 200 and r.json()["moved"] == []  # not away yet: nothing moves
    r = await api.as_("root", "PUT", "/api/approvers/uma", json=profile(supervisor="uma"))
    assert r.status_code == 422 and "supervisor" in r.json()["detail"]
    r = await api.as_("root", "PUT", "/api/approvers/uma", json=profile(supervisor="ghost"))
    assert r.status_code == 422 and "supervisor" in r.json()["detail"]


def _seed_tasks(db_url: str) -> None:
    with Session(engine_for(db_url)) as s:
        for app_id, submitter in (("app-a", "alice"), ("app-b", "ursula")):
            s.add(Application(id=app_id, applicant_user="alice", submitted_by=submitter,
                              loan_type="personal", amount=50_000, term_months=12, payload="{}",
                              workflow_id=f"wf-{app_id}", process_id="loan_personal",
                              process_version=1, sha256="0" * 64))
        rows = [("wf-app-a/uw_review/1", "app-a", 50_000, "open", None),
                ("wf-app-a/uw_review/2", "app-a", 60_000, "claimed", "uma"),
                ("wf-app-b/uw_review/1", "app-b", 50_000, "open", None),  # ursula submitted it
                ("wf-app-a/uw_review/3", "app-a", 9_000_000, "open", None),  # beyond everyone
                ("wf-app-a/uw_review/4", "app-a", 50_000, "done", None)]
        for task_id, app_id, amount, status, claimed in rows:
            s.add(Task(id=task_id, application_id=app_id, workflow_id=f"wf-{app_id}",
                       element_id="uw_review", occurrence=int(task_id[-1]), name="Review",
                       role="underwriter", assignee="uma", claimed_by=claimed, status=status,
                       amount=amount, loan_type="personal", effort=2,
                       excluded_users="alice" if app_id == "app-a" else "alice,ursula"))
        s.commit()


async def test_away_with_a_delegate_hands_open_work_over(api):
    _seed_tasks(api.settings.db_url)
    before = (await api.as_("root", "GET", "/api/approvers/uma")).json()
    assert (before["open_tasks"], before["open_effort"], before["load"]) == (4, 8, 8 / 20)
    body = profile(skills=["personal", "micro", "business"], capacity=20, delegate="ursula",
                   away_from=(NOW - dt.timedelta(hours=1)).isoformat(),
                   away_until=(NOW + dt.timedelta(days=3)).isoformat())
    r = await api.as_("root", "PUT", "/api/approvers/uma", json=body)
    assert r.status_code == 200, r.text
    moved = {m["task_id"]: (m["kind"], m["to_user"]) for m in r.json()["moved"]}
    assert moved == {
        "wf-app-a/uw_review/1": ("delegated", "ursula"),
        "wf-app-a/uw_review/2": ("delegated", "ursula"),
        # ursula submitted app-b (four eyes): the rule picks the next one, a senior
        "wf-app-b/uw_review/1": ("reassigned", "sam"),
        # 9,000,000 is beyond every authority: the underwriter queue, with an alert
        "wf-app-a/uw_review/3": ("queued", None),
    }
    assert r.json()["approver"]["away"] is True and r.json()["approver"]["open_tasks"] == 0
    with Session(engine_for(api.settings.db_url)) as s:
        claimed = s.get(Task, "wf-app-a/uw_review/2")
        assert (claimed.assignee, claimed.claimed_by, claimed.status) == ("ursula", None, "open")
        assert s.get(Task, "wf-app-a/uw_review/4").assignee == "uma"  # closed work stays
        events = s.exec(select(TaskEvent).order_by(TaskEvent.id)).all()
        assert {(e.kind, e.actor, e.from_user) for e in events} == {
            ("delegated", "root", "uma"), ("reassigned", "root", "uma"), ("queued", "root", "uma")}
        reassigned = next(e for e in events if e.kind == "reassigned")
        why = {c["username"]: c["reason"] for c in json.loads(reassigned.detail)["considered"]}
        assert "four eyes: the submitter" in why["ursula"] and "uma" not in why
        (alert,) = s.exec(select(Alert)).all()
        assert (alert.kind, alert.subject, alert.role) == ("unassigned_task", "wf-app-a/uw_review/3",
                                                           "underwriter")
    loads = {a["username"]: a["open_tasks"] for a in
             (await api.as_("root", "GET", "/api/approvers")).json()}
    assert loads == {"sam": 1, "uma": 0, "ursula": 2}
