"""Drafts of a process, as the modeler keeps them: per process and person, for process
owners and admins; deployed through the same validation as an upload, kept when refused."""

from __future__ import annotations

BASE = "/api/process-definitions/loan_personal"


async def shipped(api) -> tuple[int, dict]:
    listed = (await api.as_("olga", "GET", "/api/process-definitions")).json()
    version = max(d["version"] for d in listed if d["process_id"] == "loan_personal")
    return version, (await api.as_("olga", "GET", f"{BASE}/versions/{version}")).json()


async def test_draft_save_refuse_keep_deploy(api):
    version, detail = await shipped(api)
    assert (await api.as_("olga", "GET", f"{BASE}/draft")).status_code == 404
    broken = detail["bpmn_xml"].replace('loanflow:activity="score_application"', "")
    body = {"bpmn_xml": broken, "dmn_xml": detail["dmn_xml"], "based_on_version": version}
    r = await api.as_("olga", "PUT", f"{BASE}/draft", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["based_on_version"] == r.json()["latest_version"] == version
    assert r.json()["updated_by"] == "olga"

    # what deploying would say, without deploying
    r = await api.as_("olga", "POST", "/api/process-definitions/validate",
                      json={"bpmn_xml": broken, "dmn_xml": detail["dmn_xml"]})
    assert r.status_code == 200 and r.json()["valid"] is False
    assert r.json()["problems"][0]["element_id"] == "score"

    # refused with the element named; the draft stays as it was
    r = await api.as_("olga", "POST", f"{BASE}/draft/deploy")
    assert r.status_code == 422
    assert [e["element_id"] for e in r.json()["errors"]] == ["score"]
    kept = (await api.as_("olga", "GET", f"{BASE}/draft")).json()
    assert kept["bpmn_xml"] == broken and kept["dmn_xml"] == detail["dmn_xml"]

    # mended and deployed: a new version, and the draft is gone
    mended = detail["bpmn_xml"].replace('name="Underwriter review"', 'name="Underwriter check"')
    r = await api.as_("olga", "PUT", f"{BASE}/draft", json={**body, "bpmn_xml": mended})
    assert r.status_code == 200
    r = await api.as_("olga", "POST", f"{BASE}/draft/deploy")
    assert r.status_code == 201, r.text
    new = r.json()["definition"]
    assert new["version"] == version + 1 and new["created_by"] == "olga"
    assert new["loan_type"] == "personal"  # a new version keeps its loan type
    assert (await api.as_("olga", "GET", f"{BASE}/draft")).status_code == 404
    assert (await api.as_("olga", "POST", f"{BASE}/draft/deploy")).status_code == 404
    xml = (await api.as_("olga", "GET", f"{BASE}/versions/{version + 1}/diagram.bpmn")).text
    assert "Underwriter check" in xml


async def test_drafts_are_per_person_and_for_owners_only(api):
    version, detail = await shipped(api)
    body = {"bpmn_xml": detail["bpmn_xml"], "dmn_xml": detail["dmn_xml"]}
    assert (await api.as_("olga", "PUT", f"{BASE}/draft", json=body)).status_code == 200
    assert (await api.as_("root", "GET", f"{BASE}/draft")).status_code == 404  # olga's only
    assert (await api.as_("root", "PUT", f"{BASE}/draft", json=body)).status_code == 200
    for user in ("alice", "uma", "carl"):
        assert (await api.as_(user, "GET", f"{BASE}/draft")).status_code == 403
        assert (await api.as_(user, "PUT", f"{BASE}/draft", json=body)).status_code == 403
        assert (await api.as_(user, "POST", f"{BASE}/draft/deploy")).status_code == 403
        r = await api.as_(user, "POST", "/api/process-definitions/validate", json=body)
        assert r.status_code == 403
    # the same content as the latest version: nothing new is deployed
    r = await api.as_("root", "POST", f"{BASE}/draft/deploy")
    assert r.status_code == 200 and r.json()["created"] is False
    assert r.json()["definition"]["version"] == version
    assert (await api.as_("olga", "DELETE", f"{BASE}/draft")).status_code == 204
    assert (await api.as_("olga", "DELETE", f"{BASE}/draft")).status_code == 404


async def test_a_draft_must_be_readable_and_of_its_process(api):
    _, detail = await shipped(api)
    other = detail["bpmn_xml"].replace('id="loan_personal"', 'id="loan_other"')
    r = await api.as_("olga", "PUT", f"{BASE}/draft", json={"bpmn_xml": other})
    assert r.status_code == 422
    assert r.json()["errors"][0]["element_id"] == "loan_other"
    r = await api.as_("olga", "PUT", f"{BASE}/draft", json={"bpmn_xml": "<not xml"})
    assert r.status_code == 422 and r.json()["errors"][0]["element_id"] == "document"
    xxe = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           "<d>&x;</d>")
    r = await api.as_("olga", "PUT", f"{BASE}/draft", json={"bpmn_xml": xxe})
    assert r.status_code == 422 and "DTD" in r.json()["errors"][0]["reason"]
    r = await api.as_("olga", "PUT", f"{BASE}/draft",
                      json={"bpmn_xml": detail["bpmn_xml"], "dmn_xml": ["<broken"]})
    assert r.status_code == 422 and r.json()["errors"][0]["element_id"] == "dmn#1"
    r = await api.as_("olga", "PUT", f"{BASE}/draft", json={"bpmn_xml": ""})
    assert r.status_code == 422
    assert (await api.as_("olga", "GET", f"{BASE}/draft")).status_code == 404
