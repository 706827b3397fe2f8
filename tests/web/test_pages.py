"""The pages, clicked through as people use them: alice applies, uma reviews, alice sees
the outcome, carl reads the history, olga looks at the diagrams. Screenshots go to
test-artifacts/web/."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.support import sample_application

pytestmark = pytest.mark.slow


def flat(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            out.update(flat(item, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = item
    return out


PROBLEMS: list[str] = []  # script errors and 5xx answers seen by any page of a test


async def sign_in(browser: Any, url: str, user: str, goto: str = "/", shot: Any = None) -> Page:
    context = await browser.new_context(base_url=url, viewport={"width": 1366, "height": 900})
    page = await context.new_page()
    page.on("pageerror", lambda err: PROBLEMS.append(f"{user}: script error {err}"))
    page.on("response", lambda r: r.status >= 500 and PROBLEMS.append(f"{user}: {r.status} {r.url}"))
    await page.goto(goto)
    await expect(page).to_have_url(re.compile(r"/login\?next="))  # not signed in: sent to sign in
    await page.fill("#username", user)
    await page.fill("#password", "demo")
    if shot:
        await page.screenshot(path=shot)
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_load_state()
    return page


async def fill_application(page: Page, app: dict[str, Any]) -> None:
    for name, value in flat(app).items():
        field = page.locator(f"[name='{name}']")
        tag = await field.evaluate("el => el.tagName.toLowerCase() + ':' + (el.type || '')")
        if tag.startswith("select"):
            await field.select_option(str(value))
        elif tag.endswith("checkbox"):
            await field.set_checked(bool(value))
        else:
            await field.fill(str(value))


async def test_apply_review_and_follow(site, browser, artifacts):
    PROBLEMS.clear()
    # alice applies; a wrong ID number is named next to its field, nothing typed is lost
    alice = await sign_in(browser, site.url, "alice", "/apply", artifacts / "00-login.png")
    await expect(alice).to_have_url(f"{site.url}/apply")
    await expect(alice.locator("nav")).to_contain_text("My applications")
    await expect(alice.locator("nav")).not_to_contain_text("Inbox")
    business = alice.locator("#section-business")
    await expect(business).to_be_hidden()
    await alice.select_option("[name='loan_type']", "business")
    await expect(business).to_be_visible()
    app = sample_application(amount=60_000)
    await fill_application(alice, {**app, "applicant": {**app["applicant"], "national_id": "12345"}})
    await alice.click("text=Submit application")
    error = alice.locator("#f-applicant-national_id-error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("expected format")
    await expect(alice.locator("[name='applicant.full_name']")).to_have_value("Zhang Wei")
    await expect(alice.locator("[name='amount']")).to_have_value("60000")
    await expect(alice.locator("[name='purpose']")).to_have_value("car_used")
    await expect(alice.locator("[name='consent_bureau_check']")).to_be_checked()
    await alice.screenshot(path=artifacts / "01-apply-error.png", full_page=True)
    await alice.fill("[name='applicant.national_id']", app["applicant"]["national_id"])
    await alice.click("text=Submit application")

    # the status page: waiting for the underwriter, the diagram marks that step
    await expect(alice).to_have_url(re.compile(r"/applications/[0-9a-f-]{36}$"))
    app_id = alice.url.rsplit("/", 1)[1]
    await expect(alice.locator("#app-status")).to_have_text("Waiting for approval", timeout=20_000)
    await expect(alice.locator("#current-step")).to_have_text("Underwriter review")
    await expect(alice.locator("#diagram")).to_have_attribute("data-ready", "true")
    await expect(alice.locator(".djs-element.lf-current[data-element-id='uw_review']")).to_have_count(1)
    await expect(alice.locator(".djs-element.lf-done[data-element-id='score']")).to_have_count(1)
    await expect(alice.locator("#status")).to_contain_text("Validate application")
    await alice.screenshot(path=artifacts / "02-application-waiting.png", full_page=True)
    await alice.goto("/tasks")
    await expect(alice.locator("h1")).to_have_text("Not allowed")
    await alice.screenshot(path=artifacts / "02b-forbidden.png")
    await alice.goto("/applications")
    await expect(alice.locator(f"a[href='/applications/{app_id}']")).to_be_visible()

    # uma finds it in her inbox, claims, may not decline without a reason, approves
    uma = await sign_in(browser, site.url, "uma")
    await expect(uma).to_have_url(f"{site.url}/tasks")
    row = uma.locator(f"tr[data-task-id^='application-{app_id}/']")
    await expect(row).to_contain_text("Underwriter review")
    await expect(row).to_contain_text(re.compile(r"left"))
    await uma.screenshot(path=artifacts / "03-inbox.png", full_page=True)
    await uma.click("text=Due last")  # sorted by htmx, the address follows
    await expect(uma).to_have_url(f"{site.url}/tasks?sort=-due")
    await expect(uma.locator(".sorter a.active")).to_have_text("Due last")
    await row.locator("a").first.click()
    await expect(uma.locator("h1")).to_have_text("Underwriter review")
    await expect(uma.locator(".data-sections")).to_contain_text("Zhang Wei")
    await expect(uma.locator(".checks")).to_contain_text("score_application")
    await expect(uma.locator("#diagram")).to_have_attribute("data-ready", "true")
    await expect(uma.locator(".djs-element.lf-current[data-element-id='uw_review']")).to_have_count(1)
    await uma.click("#claim")
    await uma.check("input[name=decision][value=decline]")
    await uma.click("#submit-decision")
    await expect(uma.locator("#reason-error")).to_contain_text("needs a reason")
    await uma.screenshot(path=artifacts / "04-task-decline-without-reason.png", full_page=True)
    await uma.check("input[name=decision][value=approve]")
    await uma.fill("#reason", "payslips match")
    await uma.click("#submit-decision")
    await expect(uma.locator("#decision")).to_have_text("Approve", timeout=15_000)
    await uma.screenshot(path=artifacts / "05-task-approved.png", full_page=True)

    # alice sees the outcome (the panel refreshes itself)
    await alice.goto(f"/applications/{app_id}")
    await expect(alice.locator("#app-status")).to_have_text("Approved", timeout=20_000)
    await expect(alice.locator(".reasons")).to_contain_text("payslips match")
    await expect(alice.locator(".djs-element.lf-done[data-element-id='end_approved']")).to_have_count(1)
    await alice.screenshot(path=artifacts / "06-application-approved.png", full_page=True)

    # carl reads the decision records
    carl = await sign_in(browser, site.url, "carl", f"/applications/{app_id}/history")
    table = carl.locator("table.records")
    await expect(table).to_contain_text("uma")
    await expect(table).to_contain_text("payslips match")
    await expect(table).to_contain_text("LoanProcessWorkflow")
    await expect(table.locator("tr.kind-human")).to_contain_text("approve")
    await carl.screenshot(path=artifacts / "07-history.png", full_page=True)
    await carl.goto("/apply")
    await expect(carl.locator(".status-code")).to_have_text("403")

    # olga looks at the deployed diagrams
    olga = await sign_in(browser, site.url, "olga")
    await expect(olga).to_have_url(f"{site.url}/processes")
    await olga.locator("a", has_text="View diagram").first.click()
    await expect(olga.locator("#diagram")).to_have_attribute("data-ready", "true")
    await olga.screenshot(path=artifacts / "08-diagram.png", full_page=True)
    assert PROBLEMS == []


async def test_no_page_answers_500(site):
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as anon:
        r = await anon.get("/tasks")
        assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Ftasks"
        anon.cookies.set("loanflow_token", "forged.token.x")
        r = await anon.get("/applications")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        r = await anon.post("/login", data={"username": "alice", "password": "wrong"})
        assert r.status_code == 401 and "Wrong user name or password" in r.text
        r = await anon.post("/login", data={"username": "uma", "password": "demo",
                                             "next": "//evil.example/"})
        assert r.status_code == 303 and r.headers["location"] == "/tasks"
        assert "httponly" in r.headers["set-cookie"].lower()
        r = await anon.post("/tasks/x/claim", headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        urls = ["/", "/apply", "/applications", "/applications/nope", "/applications/nope/history",
                "/applications/nope/status", "/tasks", "/tasks?sort=bogus", "/tasks/nope",
                "/tasks/a/b/c", "/processes", "/processes/loan_personal/versions/1",
                "/processes/loan_personal/versions/99", "/processes/x/versions/abc",
                "/processes/x/versions/99999999999999999999", "/login",
                "/login?next=/tasks"]
        for user in ("alice", "uma", "carl", "olga", "root"):
            anon.cookies.clear()
            r = await anon.post("/login", data={"username": user, "password": "demo"})
            assert r.status_code == 303, (user, r.text)
            for url in urls:
                r = await anon.get(url)
                assert r.status_code < 500, (user, url, r.status_code, r.text[:300])
                assert r.status_code in (200, 303, 403, 404), (user, url, r.status_code)
                if r.status_code in (403, 404):
                    assert "text/html" in r.headers["content-type"], (user, url)
            for url in ("/tasks/nope/claim", "/tasks/nope/complete", "/tasks/nope/release"):
                r = await anon.post(url, data={"decision": "approve"})
                assert r.status_code in (403, 404), (user, url, r.status_code)
            r = await anon.post("/apply", data={"amount": "lots"})
            assert r.status_code in (403, 422), (user, r.status_code)
            r = await anon.post("/apply", data={**flat(sample_application()),
                                                "consent_bureau_check": "on",
                                                "process_version": "99999999999999999999"})
            assert r.status_code in (403, 422), (user, r.status_code)
