"""What an applicant, an underwriter and a compliance officer do, over HTTP."""

from __future__ import annotations

import asyncio

from tests.support import sample_application


async def wait_for(api, user, app_id, predicate, tries=200):
    body = None
    for _ in range(tries):
        r = await api.as_(user, "GET", f"/api/applications/{app_id}")
        assert r.status_code == 200, r.text
        body = r.json()
        if predicate(body):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"condition never met: {body}")


async def inbox_task(api, user, app_id, tries=100):
    for _ in range(tries):
        inbox = (await api.as_(user, "GET", "/api/tasks")).json()
        found = [t for t in inbox if t["application_id"] == app_id]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"no task for {app_id} in {user}'s inbox")


async def test_submit_review_and_follow(api):
    r = await api.as_("alice", "POST", "/api/applications", json=sample_application(amount=60_000))
    assert r.status_code == 201, r.text
    app_id = r.json()["id"]
    assert r.json()["process_id"] == "loan_personal" and len(r.json()["sha256"]) == 64
    body = await wait_for(api, "alice", app_id, lambda b: b["open_tasks"])
    assert body["status"] == "waiting_for_approval"
    assert "uw_review" in body["current_steps"]
    assert [s["element_id"] for s in body["steps"]][:2] == ["start", "validate"]

    task = await inbox_task(api, "uma", app_id)
    assert task["role"] == "underwriter" and task["due_at"]
    tid = task["id"]
    # the applicant is no approver; the other underwriter may not take a claimed task
    assert (await api.as_("alice", "POST", f"/api/tasks/{tid}/claim")).status_code == 404
    assert (await api.as_("uma", "POST", f"/api/tasks/{tid}/claim")).status_code == 200
    assert (await api.as_("ursula", "POST", f"/api/tasks/{tid}/claim")).status_code == 409
    no_reason = await api.as_("uma", "POST", f"/api/tasks/{tid}/complete",
                              json={"decision": "decline"})
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    done = await api.as_("uma", "POST", f"/api/tasks/{tid}/complete",
                         json={"decision": "approve", "reason": "payslips match"})
    assert done.status_code == 200, done.text
    again = await api.as_("uma", "POST", f"/api/tasks/{tid}/complete",
                          json={"decision": "approve", "reason": "twice"})
    assert again.status_code == 409

    body = await wait_for(api, "alice", app_id, lambda b: b["status"] == "approved")
    assert body["outcome"] == "approved"
    history = (await api.as_("carl", "GET", f"/api/applications/{app_id}/history")).json()
    kinds = [(h["kind"], h["actor"], h["outcome"]) for h in history]
    assert ("human", "uma", "approve") in kinds
    assert kinds[-1] == ("process", "LoanProcessWorkflow", "approved")
    assert all(h["sha256"] == body["sha256"] and h["inputs_hash"] for h in history)
    assert next(h for h in history if h["kind"] == "human")["reasons"] == ["payslips match"]


async def test_applicants_see_only_their_own(api):
    r = await api.as_("alice", "POST", "/api/applications", json=sample_application())
    app_id = r.json()["id"]
    assert (await api.as_("bob", "GET", f"/api/applications/{app_id}")).status_code == 404
    assert (await api.as_("bob", "GET", f"/api/applications/{app_id}/history")).status_code == 404
    assert app_id not in [a["id"] for a in (await api.as_("bob", "GET", "/api/applications")).json()]
    assert app_id in [a["id"] for a in (await api.as_("carl", "GET", "/api/applications")).json()]
    assert (await api.as_("uma", "POST", "/api/applications", json=sample_application())).status_code == 403


async def test_malformed_application_names_the_field(api):
    bad = sample_application(amount=-5)
    r = await api.as_("alice", "POST", "/api/applications", json=bad)
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "amount"]
    bad = sample_application(applicant={"national_id": "12345"})
    r = await api.as_("alice", "POST", "/api/applications", json=bad)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "applicant", "national_id"]
    r = await api.as_("alice", "POST", "/api/applications", json=sample_application(loan_type="business"))
    assert r.status_code == 422 and "business" in r.text
    r = await api.as_("alice", "POST", "/api/applications", json=sample_application(process_version=99))
    assert r.status_code == 422 and "version 99" in r.text
    r = await api.as_("alice", "POST", "/api/applications", content=b"{not json",
                      headers={"content-type": "application/json"})
    assert r.status_code == 422


async def test_authentication(api):
    r = await api.http.post("/api/auth/token", data={"username": "alice", "password": "wrong"})
    assert r.status_code == 401
    assert (await api.http.get("/api/applications")).status_code == 401
    r = await api.http.get("/api/applications", headers={"Authorization": "Bearer forged.token.x"})
    assert r.status_code == 401
    me = (await api.as_("sam", "GET", "/api/auth/me")).json()
    assert me["roles"] == ["senior_approver"]


async def test_process_definitions_deploy_and_refuse(api):
    listed = (await api.as_("olga", "GET", "/api/process-definitions")).json()
    assert {d["process_id"] for d in listed} >= {"loan_personal", "loan_micro", "loan_business"}
    personal = next(d for d in listed if d["process_id"] == "loan_personal")
    detail = (await api.as_("olga", "GET", f"/api/process-definitions/loan_personal/versions/{personal['version']}")).json()
    xml = detail["bpmn_xml"].replace("Underwriter review", "Underwriter check")
    files = {"bpmn": ("loan_personal.bpmn", xml.encode()),
             "dmn": ("approval_route.dmn", detail["dmn_xml"][0].encode())}
    r = await api.as_("olga", "POST", "/api/process-definitions", files=files)
    assert r.status_code == 201, r.text
    assert r.json()["definition"]["version"] == personal["version"] + 1
    r2 = await api.as_("olga", "POST", "/api/process-definitions", files=files)
    assert r2.status_code == 200 and r2.json()["created"] is False
    bad = xml.replace('loanflow:activity="score_application"', 'loanflow:activity="magic"')
    r = await api.as_("olga", "POST", "/api/process-definitions",
                      files={"bpmn": ("x.bpmn", bad.encode()), "dmn": files["dmn"]})
    assert r.status_code == 422
    assert {"element_id": "score", "reason": r.json()["errors"][0]["reason"]} in r.json()["errors"]
    assert (await api.as_("alice", "POST", "/api/process-definitions", files=files)).status_code == 403
    # a new application runs the new version
    r = await api.as_("alice", "POST", "/api/applications", json=sample_application())
    assert r.json()["process_version"] == personal["version"] + 1
