"""Issue 3's pages, clicked through: an underwriter's question to the applicant and its
answer, a supervisor's reassignment after the admin raised an authority limit, the inbox
tabs, the task log. The applications are submitted over the API (the apply form has its
own test in test_pages.py). Screenshots go to test-artifacts/web/."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from playwright.async_api import expect

from tests.support import sample_application
from tests.web.test_pages import PROBLEMS, sign_in

pytestmark = pytest.mark.slow


async def _token(http: httpx.AsyncClient, user: str) -> dict[str, str]:
    r = await http.post("/api/auth/token", data={"username": user, "password": "demo"})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def submitted(site: Any, amount: int) -> tuple[str, dict[str, Any]]:
    """alice applies over the API; the underwriter's task once it is assigned."""
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        r = await http.post("/api/applications", headers=await _token(http, "alice"),
                            json=sample_application(amount=amount))
        assert r.status_code == 201, r.text
        app_id = r.json()["id"]
        uma = await _token(http, "uma")
        for _ in range(150):
            for t in (await http.get("/api/tasks", headers=uma)).json():
                if t["application_id"] == app_id and t["assignee"]:
                    return app_id, t
            await asyncio.sleep(0.1)
    raise AssertionError("no underwriter got the task")


async def test_refer_answer_and_decide(site, browser, artifacts):
    PROBLEMS.clear()
    app_id, task = await submitted(site, 60_000)
    assert task["assignee"] == "uma"
    row_sel = f"tr[data-task-id='{task['id']}']"

    # uma's inbox: her task under My tasks and All, not in the team queue (it is hers)
    uma = await sign_in(browser, site.url, "uma", "/tasks")
    await expect(uma.locator(row_sel)).to_contain_text("Open")
    await uma.click("#tab-queue")
    await expect(uma).to_have_url(f"{site.url}/tasks?view=queue&sort=due")
    await expect(uma.locator(row_sel)).to_have_count(0)
    await uma.click("#tab-mine")
    await expect(uma.locator("#tab-mine")).to_have_class(re.compile("active"))
    await uma.click(".sorter >> text=Priority")
    await expect(uma).to_have_url(f"{site.url}/tasks?view=mine&sort=priority")
    row = uma.locator(row_sel)
    await expect(row).to_contain_text(re.compile(r"left"))
    await uma.screenshot(path=artifacts / "10-inbox-mine.png", full_page=True)

    # the task: the log explains the assignment; a decline needs a reason code
    await row.locator("a").first.click()
    await expect(uma.locator("h1")).to_have_text("Underwriter review")
    log = uma.locator("#task-log")
    await expect(log).to_contain_text("Assigned to uma")
    await expect(log.locator("tr[data-user='uma']")).to_contain_text("chosen")
    await expect(log.locator("tr[data-user='ursula']")).to_contain_text("eligible")
    await expect(log.locator("tr[data-user='sam']")).to_contain_text("higher role")
    await uma.click("#claim")
    await expect(uma.locator("#reason-codes")).to_be_hidden()
    await uma.check("input[name=decision][value=decline]")
    await expect(uma.locator("#reason-codes")).to_be_visible()
    await uma.fill("#reason", "debts look high")
    await uma.click("#submit-decision")
    await expect(uma.locator("#reason_codes-error")).to_contain_text("at least one reason code")
    await expect(uma.locator("#reason")).to_have_value("debts look high")
    await uma.screenshot(path=artifacts / "11-task-decline-needs-code.png", full_page=True)

    # ... so she asks the applicant instead: the clock stops
    await uma.check("input[name=decision][value=refer]")
    await expect(uma.locator("label[for=reason]")).to_contain_text("question to the applicant")
    await uma.fill("#reason", "Please explain the loan of 1,000 a month.")
    await uma.click("#submit-decision")
    await expect(uma.locator("#task-status")).to_have_text("Waiting for applicant")
    await expect(uma.locator("#time-left")).to_be_visible()
    await expect(uma.locator("#questions")).to_contain_text("Not answered yet")
    await expect(log).to_contain_text("uma asked the applicant a question")
    await uma.screenshot(path=artifacts / "12-task-referred.png", full_page=True)
    await uma.goto("/tasks")
    await expect(uma.locator(row_sel)).to_contain_text("Waiting for applicant")
    await expect(uma.locator(row_sel)).to_contain_text("(stopped)")
    await uma.screenshot(path=artifacts / "13-inbox-referred.png", full_page=True)

    # alice sees the question on her application and answers it
    alice = await sign_in(browser, site.url, "alice", f"/applications/{app_id}")
    await expect(alice.locator("#app-status")).to_have_text("Waiting for applicant")
    await expect(alice.locator("#question-waiting")).to_be_visible()
    await expect(alice.locator("#questions")).to_contain_text("loan of 1,000 a month")
    await alice.click("#send-answer")
    await expect(alice.locator("#message-error")).to_contain_text("Write your answer")
    await alice.fill("#message", "It is the car loan; 14 payments are left.")
    await alice.screenshot(path=artifacts / "14-applicant-question.png", full_page=True)
    await alice.click("#send-answer")
    await expect(alice.locator("#answer-sent")).to_be_visible()
    await expect(alice.locator("#answer-form")).to_have_count(0)
    await expect(alice.locator("#questions")).to_contain_text("14 payments are left")
    await expect(alice.locator("#app-status")).to_have_text("Waiting for approval")
    await alice.screenshot(path=artifacts / "15-applicant-answered.png", full_page=True)

    # uma has the task back, the answer in the log, and approves
    await uma.locator(row_sel).locator("a").first.click()
    await expect(uma.locator("#task-status")).to_have_text("Claimed")
    await expect(log.locator("[data-kind=answered]")).to_contain_text("14 payments are left")
    await expect(log.locator("[data-kind=resumed]")).to_be_visible()
    await uma.check("input[name=decision][value=approve]")
    await uma.fill("#reason", "explained")
    await uma.click("#submit-decision")
    await expect(uma.locator("#decision")).to_have_text("Approve", timeout=15_000)
    await uma.screenshot(path=artifacts / "16-task-approved-after-answer.png", full_page=True)
    assert PROBLEMS == []


async def test_admin_raises_authority_then_supervisor_reassigns(site, browser, artifacts):
    PROBLEMS.clear()
    app_id, task = await submitted(site, 250_000)
    assert task["assignee"] == "uma"  # ursula's authority (200,000) is too low
    url = f"/tasks/{task['id']}"

    # sam (senior approver, their supervisor) may not give it to ursula yet
    sam = await sign_in(browser, site.url, "sam", url)
    log = sam.locator("#task-log")
    await expect(log.locator("tr[data-user='ursula']")).to_contain_text("authority 200000 < 250000")
    await expect(sam.locator("#delegate-form")).to_have_count(0)  # not his to delegate
    await sam.select_option("#reassign-to", "ursula")
    await sam.click("#reassign-submit")
    await expect(sam.locator("#reassign-reason-error")).to_contain_text("reason")
    await sam.fill("#reassign-reason", "uma is on the audit this week")
    await sam.click("#reassign-submit")
    await expect(sam.locator("#reassign-to-error")).to_contain_text(
        "ursula may not take this task: authority 200000 < 250000")
    await expect(sam.locator("#reassign-reason")).to_have_value("uma is on the audit this week")
    await sam.screenshot(path=artifacts / "20-reassign-refused.png", full_page=True)

    # root raises ursula's authority on the admin page (a wrong capacity is named first)
    root = await sign_in(browser, site.url, "root", "/admin/approvers")
    await expect(root.locator("nav")).to_contain_text("Approvers")
    ursula = root.locator("tr[data-username='ursula']")
    await expect(ursula.locator(".authority")).to_have_text("200,000")
    await expect(root.locator("tr[data-username='uma'] .load")).to_contain_text("1 task")
    await root.screenshot(path=artifacts / "21-admin-approvers.png", full_page=True)
    await ursula.locator("a", has_text="Edit").click()
    await expect(root.locator("#f-skills")).to_have_value("personal, micro")
    await root.fill("#f-authority_limit", "300000")
    await root.fill("#f-capacity", "0")
    await root.click("#save")
    await expect(root.locator("#f-capacity-error")).to_contain_text("greater than 0")
    await expect(root.locator("#f-authority_limit")).to_have_value("300000")
    await root.screenshot(path=artifacts / "22-admin-edit-error.png", full_page=True)
    await root.fill("#f-capacity", "15")
    await root.click("#save")
    await expect(root).to_have_url(re.compile(r"/admin/approvers\?saved=ursula"))
    await expect(root.locator("#saved")).to_contain_text("ursula")
    await expect(ursula.locator(".authority")).to_have_text("300,000")
    await root.screenshot(path=artifacts / "23-admin-saved.png", full_page=True)

    # now sam can: the task goes from uma to ursula, and the log says who, why and by whom
    await sam.click("#reassign-submit")
    await expect(sam.locator("#handover-done")).to_contain_text("Reassigned to ursula")
    event = log.locator("[data-kind=reassigned]")
    await expect(event).to_contain_text("Reassigned by sam: uma → ursula")
    await expect(event).to_contain_text("uma is on the audit this week")
    await sam.screenshot(path=artifacts / "24-reassigned.png", full_page=True)

    # ursula finds it in her inbox
    ursula_page = await sign_in(browser, site.url, "ursula", "/tasks?view=mine")
    await expect(ursula_page.locator(f"tr[data-task-id='{task['id']}']")).to_contain_text(
        "assigned to you")
    assert app_id in task["id"]
    assert PROBLEMS == []
