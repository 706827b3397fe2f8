"""The process owner's modeler, clicked through in Chromium: olga opens the personal loan
process, changes a gateway condition by typing into the properties panel, saves a draft,
finds it after a reload, deploys it and sees the new version; a broken edit is refused
with the element named, marked on the canvas and nothing lost. Screenshots go to
test-artifacts/web/."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.web.test_pages import PROBLEMS, sign_in

pytestmark = pytest.mark.slow

FLOW = "f_gw_route_disburse"  # gw_route → disburse: the automatic approval
OLD = 'route == "auto_approve"'
NEW = 'route == "auto_approve" and score.grade in ("A", "B")'
CONDITION = "#bio-properties-panel-loanflow-condition"
ACTIVITY = "#bio-properties-panel-loanflow-activity"


async def open_editor(page: Page) -> None:
    await expect(page.locator("#editor")).to_have_attribute("data-ready", "true",
                                                           timeout=20_000)


async def click_element(page: Page, element_id: str) -> None:
    """A real click on the canvas: on the middle of a connection's longest segment or of a
    shape, wherever the diagram is drawn on the screen."""
    await page.evaluate("id => window.lfModeler.get('canvas').scrollToElement(id)", element_id)
    point = await page.evaluate("""id => {
        const m = window.lfModeler, el = m.get('elementRegistry').get(id);
        const box = m.get('canvas')._container.getBoundingClientRect();
        const vb = m.get('canvas').viewbox();
        const at = (p, q, t) => ({x: box.left + (p.x + (q.x - p.x) * t - vb.x) * vb.scale,
                                  y: box.top + (p.y + (q.y - p.y) * t - vb.y) * vb.scale});
        const pts = el.waypoints || [{x: el.x, y: el.y}, {x: el.x + el.width, y: el.y + el.height}];
        const points = pts.slice(1).flatMap(
            (q, i) => [0.5, 0.3, 0.7, 0.2, 0.8].map((t) => at(pts[i], q, t)));
        // on an edge: a point no other edge or label covers
        return points.find(({x, y}) => {
            const hit = document.elementFromPoint(x, y);
            const gfx = hit && hit.closest('.djs-element');
            return gfx && gfx.dataset.elementId === id;
        }) || points[0];
    }""", element_id)
    await page.mouse.click(point["x"], point["y"])
    await expect(page.locator(f".djs-element.selected[data-element-id='{element_id}']")) \
        .to_have_count(1)


async def test_change_a_condition_save_reload_deploy(site, browser, artifacts):
    PROBLEMS.clear()
    olga = await sign_in(browser, site.url, "olga")
    await olga.locator("a.edit-process[href='/processes/loan_personal/edit']").click()
    await expect(olga).to_have_url(f"{site.url}/processes/loan_personal/edit")
    await open_editor(olga)
    await expect(olga.locator("#editor-source")).to_contain_text("Version 1 (latest)")
    await expect(olga.locator("#editor-status")).to_be_hidden()  # opened without warnings
    await expect(olga.locator(".djs-element[data-element-id='uw_review']")).to_have_count(1)
    # the decision table opens in dmn-js beside the diagram
    await olga.locator("#editor-tabs .tab", has_text="Decision table").click()
    await expect(olga.locator(".dmn-view.active .tjs-table")).to_be_visible()
    await olga.screenshot(path=artifacts / "10-modeler-decision-table.png")
    await olga.locator("#editor-tabs .tab[data-tab=bpmn]").click()

    # the service task's activity is chosen from the registered ones
    await click_element(olga, "score")
    await expect(olga.locator(ACTIVITY)).to_have_value("score_application")
    assert "verify_identity" in await olga.locator(f"{ACTIVITY} option").all_inner_texts()

    # the condition, typed into the properties panel
    await click_element(olga, FLOW)
    field = olga.locator(CONDITION)
    await expect(field).to_have_value(OLD)
    await field.fill("")
    await field.press_sequentially(NEW, delay=5)
    await field.blur()
    await expect(olga.locator("#editor")).to_have_attribute("data-dirty", "true")
    await olga.screenshot(path=artifacts / "11-modeler-condition.png")
    await olga.click("#save-draft")
    await expect(olga.locator("#editor-status")).to_contain_text("Draft saved")
    await expect(olga.locator("#editor")).to_have_attribute("data-dirty", "false")

    # a reload opens the draft, with the change
    await olga.reload()
    await open_editor(olga)
    await expect(olga.locator("#editor-source")).to_contain_text("Your draft")
    await click_element(olga, FLOW)
    await expect(olga.locator(CONDITION)).to_have_value(NEW)
    await olga.goto("/processes")
    await expect(olga.locator("#my-drafts")).to_contain_text("loan_personal")
    await olga.locator("#my-drafts a", has_text="Continue editing").click()
    await open_editor(olga)

    # deploy: a link to the new version, listed as the latest
    await olga.click("#deploy")
    link = olga.locator("#deployed-link")
    await expect(link).to_have_text("version 2", timeout=15_000)
    await olga.screenshot(path=artifacts / "12-modeler-deployed.png")
    await link.click()
    await expect(olga).to_have_url(f"{site.url}/processes/loan_personal/versions/2")
    await expect(olga.locator("#diagram")).to_have_attribute("data-ready", "true")
    xml = await (await olga.request.get(
        "/api/process-definitions/loan_personal/versions/2/diagram.bpmn")).text()
    assert 'score.grade in ("A", "B")' in xml.replace("&#34;", '"').replace("&quot;", '"')
    # loanflow attributes round-trip, the panel's own and the others alike
    for attr in ('loanflow:activity="score_application"', 'loanflow:onError="continue"',
                 'loanflow:skills="personal"', 'loanflow:task="uw_review"',
                 'loanflow:outcome="approved"'):
        assert attr in xml, attr
    await olga.goto("/processes")
    latest = olga.locator("tr", has=olga.locator("a[href='/processes/loan_personal/versions/2']"))
    await expect(latest).to_contain_text("latest")
    await expect(latest).to_contain_text("olga")
    await expect(olga.locator("#my-drafts")).to_have_count(0)  # the draft became v2
    await olga.screenshot(path=artifacts / "13-processes-v2.png", full_page=True)
    assert PROBLEMS == []


async def test_a_broken_edit_is_refused_with_the_element_named(site, browser, artifacts):
    PROBLEMS.clear()
    olga = await sign_in(browser, site.url, "olga", "/processes/loan_personal/versions/1")
    await olga.locator("a", has_text=re.compile("^Edit$")).click()
    await expect(olga).to_have_url(re.compile(r"/processes/loan_personal/edit\?version=1$"))
    await open_editor(olga)
    await olga.click("#deploy")  # untouched: nothing to deploy
    await expect(olga.locator("#editor-status")).to_contain_text("Nothing changed since version 1")
    await click_element(olga, "score")
    await olga.select_option(ACTIVITY, "")  # the service task now runs nothing
    await olga.click("#validate")
    problem = olga.locator("#problems li[data-element-id='score']")
    await expect(problem).to_contain_text("names no activity")
    await olga.click("#deploy")
    await expect(olga.locator("#editor-status")).to_contain_text("Not deployed")
    await expect(olga.locator("#editor-status")).to_contain_text("Your draft is kept")
    await expect(problem).to_contain_text("names no activity")
    await expect(olga.locator(".djs-element.lf-problem[data-element-id='score']")).to_have_count(1)
    await expect(olga.locator("#deployed-link")).to_have_count(0)
    # clicking the problem selects the element; the edit is still there
    await olga.locator("body").click(position={"x": 5, "y": 5})
    await problem.locator("button").click()
    await expect(olga.locator(".djs-element.selected[data-element-id='score']")).to_have_count(1)
    await expect(olga.locator(ACTIVITY)).to_have_value("")
    await olga.screenshot(path=artifacts / "14-modeler-refused.png")
    # nothing was deployed; the draft keeps the broken edit for later
    listed = await (await olga.request.get("/api/process-definitions")).json()
    assert [d["version"] for d in listed if d["process_id"] == "loan_personal"] == [1]
    draft = await (await olga.request.get("/api/process-definitions/loan_personal/draft")).json()
    assert 'loanflow:activity="score_application"' not in draft["bpmn_xml"]
    assert PROBLEMS == []


async def test_upload_opens_a_draft_in_the_modeler(site):
    shipped = (Path(__file__).resolve().parents[2] / "bpmn" / "diagrams" / "loan_micro.bpmn")
    xml = shipped.read_text().replace('id="loan_micro"', 'id="loan_micro_new"')
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as http:
        r = await http.post("/login", data={"username": "olga", "password": "demo"})
        assert r.status_code == 303
        r = await http.post("/processes/new", files={"bpmn": ("new.bpmn", b"<nope")})
        assert r.status_code == 422 and "not well-formed" in r.text
        r = await http.post("/processes/new", files={"bpmn": ("micro.bpmn", xml.encode())})
        assert r.status_code == 303 and r.headers["location"] == "/processes/loan_micro_new/edit"
        page = await http.get("/processes/loan_micro_new/edit")
        assert page.status_code == 200 and "Your draft" in page.text
        assert "a new process" in (await http.get("/processes")).text
        for url, code in (("/processes/nope/edit", 404), ("/processes/loan_micro/edit?version=9", 404),
                          ("/processes/loan_micro/edit?version=abc", 400)):
            r = await http.get(url)
            assert r.status_code == code and "text/html" in r.headers["content-type"], url
        r = await http.post("/processes/new", files={"bpmn": ("x.bpmn", xml.encode())},
                            headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        r = await http.post("/login", data={"username": "carl", "password": "demo"})
        assert (await http.get("/processes/loan_personal/edit")).status_code == 403
        assert (await http.get("/processes/new")).status_code == 403
