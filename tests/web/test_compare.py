"""The diff and what-if pages, clicked through by the process owner: a decided
application, a new version with a stricter rule, the two versions side by side, and
what-if by version and by a pasted candidate. Screenshots go to test-artifacts/web/."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from playwright.async_api import expect
from sqlmodel import Session
from temporalio.client import Client

from core.temporal import converter_for
from store.db import engine_for
from store.definitions import deploy, latest_for_loan_type
from tests.support import sample_application, start_application
from tests.web.test_pages import PROBLEMS, sign_in

pytestmark = pytest.mark.slow
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"


def stricter(dmn: str) -> str:
    """Small, low-risk loans are declined instead of approved."""
    root = etree.fromstring(dmn.encode())
    [rule] = root.xpath("//*[@id='rule_2']")
    rule.find(f"{DMN}outputEntry").find(f"{DMN}text").text = '"auto_decline"'
    return etree.tostring(root, encoding="unicode")


async def test_diff_and_what_if_pages(site, browser, artifacts):
    PROBLEMS.clear()
    client = await Client.connect(site.settings.temporal_address,
                                  data_converter=converter_for(site.settings))
    handle = await start_application(client, site.settings, sample_application(amount=10_000))
    assert (await handle.result()).status == "approved"
    app_id = handle.id.removeprefix("application-")
    with Session(engine_for(site.settings.db_url)) as s:
        old = latest_for_loan_type(s, "personal")
        bpmn, dmn = old.bpmn_xml, stricter(json.loads(old.dmn_xml)[0])
        new = deploy(s, bpmn, [dmn], created_by="olga").row.version
        v = old.version

    olga = await sign_in(browser, site.url, "olga", "/processes")
    await olga.locator("section", has_text="loan_personal").locator("text=Compare versions").click()
    await expect(olga.locator("h1")).to_contain_text("what changed")
    table = olga.locator("#changes")
    await expect(table.locator("tr[data-element='rule_2'][data-kind='changed']")).to_contain_text(
        "auto_decline")
    await expect(table.locator("tr[data-element='route_rule']")).to_have_count(1)
    for side in ("#diagram-from", "#diagram-to"):
        await expect(olga.locator(side)).to_have_attribute("data-ready", "true")
    await expect(olga.locator("#diagram-to .djs-element.lf-changed[data-element-id='route_rule']")
                 ).to_have_count(1)
    await olga.screenshot(path=artifacts / "20-diff.png", full_page=True)
    await olga.goto(f"/processes/loan_personal/diff?from={v}&to={v}")
    await expect(olga.locator("#no-changes")).to_be_visible()

    # what-if with the deployed version
    await olga.locator("text=What if…").click()
    await expect(olga.locator("#version")).to_have_value(str(new))
    await olga.click("#whatif-form button[type=submit]")
    report = olga.locator("#whatif-report")
    await expect(report.locator("#count-changed strong")).to_have_text("1", timeout=20_000)
    row = report.locator(f"#apps-changed tr[data-application='{app_id}']")
    await expect(row).to_contain_text("approved")
    await expect(row).to_contain_text("declined")
    await expect(row).to_contain_text("route=auto_decline")
    await expect(olga.locator("#diagram-report")).to_have_attribute("data-ready", "true")
    await expect(olga.locator("#diagram-report .djs-element.lf-changed[data-element-id='route_rule']")
                 ).to_have_count(1)
    await olga.screenshot(path=artifacts / "21-what-if-version.png", full_page=True)

    # what-if with a pasted candidate; then a broken one is refused with the element
    await olga.check("input[name=source][value=candidate]")
    await olga.fill("#bpmn_text", bpmn)
    await olga.fill("#dmn_text", dmn)
    await olga.click("#whatif-form button[type=submit]")
    await expect(olga.locator("#count-changed strong")).to_have_text("1", timeout=20_000)
    await expect(olga.locator("#whatif-report h2")).to_contain_text("The candidate")
    await olga.fill("#bpmn_text", bpmn.replace('loanflow:activity="score_application"',
                                               'loanflow:activity="magic"'))
    await olga.click("#whatif-form button[type=submit]")
    await expect(olga.locator("#whatif-problem")).to_contain_text("score")
    await expect(olga.locator("#whatif-report")).to_have_count(0)
    await olga.screenshot(path=artifacts / "22-what-if-refused.png", full_page=True)

    # an underwriter may not
    uma = await sign_in(browser, site.url, "uma", "/processes/loan_personal/what-if")
    await expect(uma.locator("h1")).to_have_text("Not allowed")
    assert PROBLEMS == []
