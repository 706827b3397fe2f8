"""A process owner moves running applications to a new version over HTTP: the ones that
can move do, the others are listed with the element and the reason."""

from __future__ import annotations

from tests.api.test_tasks import _submit, _task_of
from tests.workflows.test_migration import STRICTER


async def test_owner_migrates_running_applications_where_safe(api):
    waiting, referred = await _submit(api, 60_000), await _submit(api, 60_000)
    task = await _task_of(api, referred)
    holder = task["assignee"]
    assert (await api.as_(holder, "POST", f"/api/tasks/{task['id']}/claim")).status_code == 200
    asked = await api.as_(holder, "POST", f"/api/tasks/{task['id']}/complete",
                          json={"decision": "refer", "reason": "payslip please"})
    assert asked.status_code == 200, asked.text
    await _task_of(api, waiting)
    detail = (await api.as_("olga", "GET",
                            "/api/process-definitions/loan_personal/versions/1")).json()
    assert 'route != "two_level" and application.amount' not in detail["bpmn_xml"]
    files = {"bpmn": ("loan_personal.bpmn", STRICTER.encode()),
             "dmn": ("approval_route.dmn", detail["dmn_xml"][0].encode())}
    r = await api.as_("olga", "POST", "/api/process-definitions", files=files)
    assert r.status_code == 201, r.text
    v2 = r.json()["definition"]["version"]
    url = f"/api/process-definitions/loan_personal/versions/{v2}/migrate"
    assert (await api.as_(holder, "POST", url, json={})).status_code == 403
    bad = await api.as_("olga", "POST", url, json={"limit": 0})
    assert bad.status_code == 422 and "limit" in bad.text
    report = await api.as_("olga", "POST", url, json={"application_ids": [waiting, referred]})
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["migrated"], body["refused"]) == (1, 1)
    by_id = {x["application_id"]: x for x in body["results"]}
    assert by_id[waiting]["migrated"] and by_id[waiting]["from_version"] == 1
    assert not by_id[referred]["migrated"]
    assert "waits for the applicant" in by_id[referred]["reason"]
    moved = (await api.as_("alice", "GET", f"/api/applications/{waiting}")).json()
    assert moved["process_version"] == v2
    stayed = (await api.as_("alice", "GET", f"/api/applications/{referred}")).json()
    assert stayed["process_version"] == 1
    history = (await api.as_("carl", "GET", f"/api/applications/{waiting}/history")).json()
    assert [h["actor"] for h in history if h["kind"] == "migration"] == ["olga"]
