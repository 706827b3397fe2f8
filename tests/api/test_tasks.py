"""An approver's task over HTTP: the assignment's recorded reason, claim and release,
reassignment by a supervisor, delegation, reason codes, and a referral to the applicant."""

from __future__ import annotations

from tests.api.test_applications import inbox_task, wait_for
from tests.support import sample_application


async def _submit(api, amount: int) -> str:
    r = await api.as_("alice", "POST", "/api/applications",
                      json=sample_application(amount=amount))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _task_of(api, app_id: str) -> dict:
    for user in ("uma", "ursula"):
        try:
            return await inbox_task(api, user, app_id, tries=50)
        except AssertionError:
            continue
    raise AssertionError("no underwriter has the task")


async def test_hand_overs_are_checked_and_recorded(api):
    app_id = await _submit(api, 60_000)
    task = await _task_of(api, app_id)
    tid, holder = task["id"], task["assignee"]
    other = "ursula" if holder == "uma" else "uma"
    assert holder in ("uma", "ursula") and "lowest load" in task["assignment_reason"]
    assert task["required_skills"] == ["personal"] and task["time_left_seconds"] > 0
    events = (await api.as_(holder, "GET", f"/api/tasks/{tid}/events")).json()
    assert events[0]["kind"] == "assigned" and events[0]["to_user"] == holder
    considered = {c["username"]: c for c in events[0]["detail"]["considered"]}
    assert considered[holder]["chosen"] and not considered["sam"]["chosen"]
    assert "higher role" in considered["sam"]["reason"]

    # Another underwriter is no supervisor; the senior approver is.
    body = {"to": other, "reason": "balancing the team's work"}
    denied = await api.as_(other, "POST", f"/api/tasks/{tid}/reassign", json=body)
    assert denied.status_code == 403, denied.text
    # Not to someone the rule would never pick: the applicant, nor a non-approver.
    bad = await api.as_("sam", "POST", f"/api/tasks/{tid}/reassign",
                        json={"to": "alice", "reason": "try"})
    assert bad.status_code == 422 and "four eyes" in bad.text and "alice" in bad.text
    short = await api.as_("sam", "POST", f"/api/tasks/{tid}/reassign", json={"to": other})
    assert short.status_code == 422 and "reason" in short.text
    moved = await api.as_("sam", "POST", f"/api/tasks/{tid}/reassign", json=body)
    assert moved.status_code == 200, moved.text
    assert moved.json()["assignee"] == other

    # The new holder claims, delegates back with a reason; the other releases to the queue.
    assert (await api.as_(other, "POST", f"/api/tasks/{tid}/claim")).status_code == 200
    back = await api.as_(other, "POST", f"/api/tasks/{tid}/delegate",
                         json={"to": holder, "reason": "she knows this employer"})
    assert back.status_code == 200 and back.json()["assignee"] == holder
    assert (await api.as_(holder, "POST", f"/api/tasks/{tid}/claim")).status_code == 200
    released = await api.as_(holder, "POST", f"/api/tasks/{tid}/release")
    assert released.json()["assignee"] is None and released.json()["status"] == "open"
    queue = (await api.as_(other, "GET", "/api/tasks?view=queue")).json()
    assert tid in [t["id"] for t in queue]
    mine = (await api.as_(other, "GET", "/api/tasks?view=mine")).json()
    assert tid not in [t["id"] for t in mine]
    kinds = [e["kind"] for e in (await api.as_("sam", "GET", f"/api/tasks/{tid}/events")).json()]
    assert kinds == ["assigned", "reassigned", "claimed", "delegated", "claimed", "released"]

    # A decline names codes from the catalogue, nothing else.
    codes = (await api.as_(holder, "GET", "/api/tasks/reason-codes")).json()
    assert "INCOME_INSUFFICIENT" in codes and "OTHER" not in codes
    assert (await api.as_(holder, "POST", f"/api/tasks/{tid}/claim")).status_code == 200
    no_code = await api.as_(holder, "POST", f"/api/tasks/{tid}/complete",
                            json={"decision": "decline", "reason": "too much debt"})
    assert no_code.status_code == 422 and "reason_codes" in no_code.text
    unknown = await api.as_(holder, "POST", f"/api/tasks/{tid}/complete",
                            json={"decision": "decline", "reason": "x",
                                  "reason_codes": ["OTHER"]})
    assert unknown.status_code == 422 and "OTHER" in unknown.text
    done = await api.as_(holder, "POST", f"/api/tasks/{tid}/complete",
                         json={"decision": "decline", "reason": "too much debt",
                               "reason_codes": ["OBLIGATIONS_EXCESSIVE"]})
    assert done.status_code == 200, done.text
    final = await wait_for(api, "alice", app_id, lambda b: b["status"] == "declined")
    assert "OBLIGATIONS_EXCESSIVE" in final["reasons"]


async def test_referral_to_the_applicant_returns_to_the_same_approver(api):
    app_id = await _submit(api, 60_000)
    task = await _task_of(api, app_id)
    tid, holder = task["id"], task["assignee"]
    assert (await api.as_(holder, "POST", f"/api/tasks/{tid}/claim")).status_code == 200
    asked = await api.as_(holder, "POST", f"/api/tasks/{tid}/complete",
                          json={"decision": "refer", "reason": "Please upload a payslip"})
    assert asked.status_code == 200, asked.text
    body = await wait_for(api, "alice", app_id,
                          lambda b: b["status"] == "waiting_for_applicant")
    row = (await api.as_(holder, "GET", f"/api/tasks/{tid}")).json()
    assert row["status"] == "referred" and row["assignee"] == holder
    left = row["time_left_seconds"]
    # Nobody decides while the applicant has the question.
    blocked = await api.as_(holder, "POST", f"/api/tasks/{tid}/complete",
                            json={"decision": "approve", "reason": "ok"})
    assert blocked.status_code == 409 and "applicant" in blocked.text
    questions = (await api.as_("alice", "GET", f"/api/applications/{app_id}/questions")).json()
    assert [(q["question"], q["answered"]) for q in questions] == \
        [("Please upload a payslip", False)]
    assert (await api.as_("bob", "POST", f"/api/applications/{app_id}/answer",
                          json={"message": "not mine"})).status_code == 404
    empty = await api.as_("alice", "POST", f"/api/applications/{app_id}/answer",
                          json={"message": ""})
    assert empty.status_code == 422 and "message" in empty.text
    answered = await api.as_("alice", "POST", f"/api/applications/{app_id}/answer",
                             json={"message": "Uploaded it, see March"})
    assert answered.status_code == 200, answered.text
    again = await api.as_("alice", "POST", f"/api/applications/{app_id}/answer",
                          json={"message": "twice"})
    assert again.status_code == 404
    row = (await api.as_(holder, "GET", f"/api/tasks/{tid}")).json()
    assert row["status"] == "claimed" and row["assignee"] == holder
    assert row["waiting_seconds"] > 0
    assert row["time_left_seconds"] <= left + 1  # the clock was stopped while waiting
    questions = (await api.as_(holder, "GET", f"/api/applications/{app_id}/questions")).json()
    assert questions[0]["answer"] == "Uploaded it, see March"
    done = await api.as_(holder, "POST", f"/api/tasks/{tid}/complete",
                         json={"decision": "approve", "reason": "payslip matches"})
    assert done.status_code == 200, done.text
    assert (await wait_for(api, "alice", app_id,
                           lambda b: b["status"] == "approved"))["outcome"] == "approved"
    assert body["status"] == "waiting_for_applicant"
