"""Diff and what-if over HTTP: real applications run on the dev server, then a candidate
with a higher auto-approval threshold is replayed against them from their histories.
Exactly the expected applications change, for the expected reason, and nothing is
deployed."""

from __future__ import annotations

import asyncio

from lxml import etree

from tests.api.test_applications import wait_for
from tests.support import sample_application

FINAL = ("approved", "declined", "failed")
DMN = "{https://www.omg.org/spec/DMN/20191111/MODEL/}"


def higher_threshold(dmn: str) -> str:
    """Approve without a review up to 100,000 instead of 20,000."""
    root = etree.fromstring(dmn.encode())
    for rule_id, amount in (("rule_2", "<= 100000"), ("rule_3", "? > 100000 and ? <= 200000")):
        [rule] = root.xpath("//*[@id=$id]", id=rule_id)
        rule.findall(f"{DMN}inputEntry")[3].find(f"{DMN}text").text = amount
    return etree.tostring(root, encoding="unicode")


async def submit(api, **overrides) -> str:
    r = await api.as_("alice", "POST", "/api/applications", json=sample_application(**overrides))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def review(api, app_id: str, decision: str) -> None:
    """Whichever underwriter the review was assigned to decides it."""
    for _ in range(100):
        for who in ("uma", "ursula"):
            inbox = (await api.as_(who, "GET", "/api/tasks")).json()
            task = next((t for t in inbox if t["application_id"] == app_id), None)
            if task is not None and task.get("assignee") in (who, None):
                break
        else:
            await asyncio.sleep(0.1)
            continue
        break
    else:
        raise AssertionError(f"no review task for {app_id}")
    assert (await api.as_(who, "POST", f"/api/tasks/{task['id']}/claim")).status_code == 200
    body = {"decision": decision, "reason": "checked the payslips"}
    if decision == "decline":
        body["reason_codes"] = ["INCOME_INSUFFICIENT"]
    r = await api.as_(who, "POST", f"/api/tasks/{task['id']}/complete", json=body)
    assert r.status_code == 200, r.text


async def test_diff_and_what_if_with_a_higher_threshold(api):
    auto = await submit(api, amount=10_000)  # approved without a person: unchanged
    reviewed_ok = await submit(api, amount=50_000)  # approved after review: rerouted
    reviewed_no = await submit(api, amount=60_000)  # declined after review: now approved
    auto_no = await submit(api, amount=500_000, employment={"monthly_income": 5_000})
    await asyncio.gather(review(api, reviewed_ok, "approve"), review(api, reviewed_no, "decline"))
    final = {a: (await wait_for(api, "alice", a, lambda b: b["status"] in FINAL))["status"]
             for a in (auto, reviewed_ok, reviewed_no, auto_no)}
    assert final == {auto: "approved", reviewed_ok: "approved", reviewed_no: "declined",
                     auto_no: "declined"}

    listed = (await api.as_("olga", "GET", "/api/process-definitions")).json()
    current = max(d["version"] for d in listed if d["process_id"] == "loan_personal")
    detail = (await api.as_("olga", "GET",
                            f"/api/process-definitions/loan_personal/versions/{current}")).json()
    candidate = {"bpmn_xml": detail["bpmn_xml"],
                 "dmn_xml": [higher_threshold(detail["dmn_xml"][0])], "last": 50}

    r = await api.as_("carl", "POST", "/api/process-definitions/loan_personal/what-if",
                      json=candidate)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["replayed"], report["changed"], report["rerouted"], report["unchanged"],
            report["undecidable"]) == (4, 1, 1, 2, 0), report
    assert report["candidate_version"] is None and report["deployed"] is False
    [changed] = report["applications"]
    assert changed["application_id"] == reviewed_no
    assert (changed["old_outcome"], changed["new_outcome"]) == ("declined", "approved")
    assert (changed["element_id"], changed["before"], changed["after"]) == (
        "route_rule", "route=manual", "route=auto_approve")
    [rerouted] = report["rerouted_applications"]
    assert rerouted["application_id"] == reviewed_ok and rerouted["element_id"] == "route_rule"
    [by_rule] = report["by_element"]
    assert by_rule["element_id"] == "route_rule"
    assert by_rule["transitions"] == {"declined → approved": 1}

    # nothing was deployed
    again = (await api.as_("olga", "GET", "/api/process-definitions")).json()
    assert len(again) == len(listed)

    # the candidate deployed: the diff names the changed rules, what-if by version agrees
    files = {"bpmn": ("loan_personal.bpmn", detail["bpmn_xml"].encode()),
             "dmn": ("approval_route.dmn", candidate["dmn_xml"][0].encode())}
    r = await api.as_("olga", "POST", "/api/process-definitions", files=files)
    assert r.status_code == 201, r.text
    new = r.json()["definition"]["version"]
    r = await api.as_("carl", "GET",
                      f"/api/process-definitions/loan_personal/diff?from={current}&to={new}")
    assert r.status_code == 200, r.text
    d = r.json()
    assert not d["added"] and not d["removed"]
    assert {(c["document"], c["element_id"]) for c in d["changed"]} == {
        ("dmn", "rule_2"), ("dmn", "rule_3"), ("bpmn", "route_rule")}
    assert d["markers"]["changed"] == ["route_rule"]
    r = await api.as_("olga", "POST", "/api/process-definitions/loan_personal/what-if",
                      json={"version": new, "last": 2})
    assert r.status_code == 200, r.text
    assert r.json()["replayed"] == 2 and r.json()["candidate_version"] == new


async def test_what_if_refuses_what_it_cannot_run(api):
    listed = (await api.as_("olga", "GET", "/api/process-definitions")).json()
    v = max(d["version"] for d in listed if d["process_id"] == "loan_personal")
    detail = (await api.as_("olga", "GET",
                            f"/api/process-definitions/loan_personal/versions/{v}")).json()
    url = "/api/process-definitions/loan_personal/what-if"
    bad = detail["bpmn_xml"].replace('loanflow:activity="score_application"',
                                     'loanflow:activity="magic"')
    r = await api.as_("olga", "POST", url, json={"bpmn_xml": bad, "dmn_xml": detail["dmn_xml"]})
    assert r.status_code == 422
    assert any(p["element_id"] == "score" for p in r.json()["errors"])
    r = await api.as_("olga", "POST", url, json={"version": v, "bpmn_xml": bad})
    assert r.status_code == 422
    assert (await api.as_("olga", "POST", url, json={"version": v, "last": 5001})).status_code == 422
    for who in ("alice", "uma"):
        assert (await api.as_(who, "POST", url, json={"version": v})).status_code == 403
        r = await api.as_(who, "GET", f"/api/process-definitions/loan_personal/diff?from={v}&to={v}")
        assert r.status_code == 403
    r = await api.as_("carl", "GET", f"/api/process-definitions/loan_personal/diff?from={v}&to=99")
    assert r.status_code == 404
    r = await api.as_("root", "GET", f"/api/process-definitions/loan_personal/diff?from={v}&to={v}")
    assert r.status_code == 200 and r.json()["changed"] == []
    r = await api.as_("olga", "POST", "/api/process-definitions/nope/what-if", json={"version": 1})
    assert r.status_code == 404
