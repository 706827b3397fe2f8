"""bpmn-js opens every diagram of the BPMN MIWG reference set (tests/fixtures/miwg, CC BY
3.0): loanflow's modeler bundle and the viewer the version pages use, in Chromium, one
page, the files in a loop. Each must import without error and draw every shape and edge
its diagram interchange (BPMNDI) names; import warnings are collected and reported."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from tests.support import LiveServer
from web.render import STATIC_DIR

pytestmark = pytest.mark.slow

MIWG = Path(__file__).resolve().parents[1] / "fixtures" / "miwg"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BUNDLES = ("loanflow-modeler.js", "bpmn-navigated-viewer.production.min.js")
PAGE = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/static/vendor/diagram-js.css">
<link rel="stylesheet" href="/static/vendor/bpmn-js.css">
<link rel="stylesheet" href="/static/vendor/bpmn-embedded.css">
<link rel="stylesheet" href="/static/vendor/properties-panel.css">
<script src="/static/vendor/loanflow-modeler.js"></script>
<script src="/static/vendor/bpmn-navigated-viewer.production.min.js"></script>
</head><body style="margin:0;display:flex">
<div id="canvas" style="width:1100px;height:760px"></div><div id="panel" style="width:260px"></div>
</body></html>"""

# Imports one diagram in the modeler, then in the viewer; counts what each drew.
OPEN = """async ([xml]) => {
  const container = document.getElementById("canvas");
  const panel = document.getElementById("panel");
  const out = {};
  const makers = {
    modeler: () => window.LoanflowModeler.createModeler(container, panel, {}),
    viewer: () => new window.BpmnJS({ container }),
  };
  for (const [kind, make] of Object.entries(makers)) {
    const m = make();
    try {
      const result = await m.importXML(xml);
      m.get("canvas").zoom("fit-viewport");
      const all = m.get("elementRegistry").getAll();
      out[kind] = {
        warnings: result.warnings.map((w) => w.message),
        ids: all.filter((e) => e.type !== "label").map((e) => e.businessObject && e.businessObject.id),
        svg: container.querySelectorAll(".djs-element .djs-visual > *").length,
      };
    } catch (err) {
      out[kind] = { error: String(err.message || err), warnings: (err.warnings || []).map((w) => w.message) };
    }
    if (kind === "modeler") {
      window.lastModeler = m;
    } else {
      m.destroy();
    }
  }
  return out;
}"""


def _drawn_by_di(xml: bytes) -> set[str]:
    """The elements the file's first diagram draws (bpmn-js opens that one): its shapes and
    edges, less those of a process the diagram's collaboration has no participant for
    (bpmn-js draws a collaboration's participants, not every process of the file)."""
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    diagram = root.find(f"{DI}BPMNDiagram")
    if diagram is None:
        return set()
    plane = diagram.find(f"{DI}BPMNPlane")
    scope = plane.get("bpmnElement") if plane is not None else None
    by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    shown = {scope}
    top = by_id.get(scope)
    if top is not None and etree.QName(top).localname == "collaboration":
        shown |= {p.get("processRef") for p in top.iter(f"{BPMN}participant")}
    expected = set()
    for el in diagram.iter(f"{DI}BPMNShape", f"{DI}BPMNEdge"):
        ref = el.get("bpmnElement")
        semantic = by_id.get(ref)
        if semantic is None:
            continue
        owner = next((a for a in semantic.iterancestors()
                      if etree.QName(a).localname in ("process", "collaboration")), None)
        if owner is None or owner.get("id") in shown:
            expected.add(str(ref))
    return expected


def _all_di(xml: bytes) -> set[str]:
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    diagram = root.find(f"{DI}BPMNDiagram")
    return set() if diagram is None else {
        str(el.get("bpmnElement")) for el in diagram.iter(f"{DI}BPMNShape", f"{DI}BPMNEdge")
        if el.get("bpmnElement")}


@pytest.fixture
def static_site() -> Iterator[str]:
    missing = [b for b in BUNDLES if not (STATIC_DIR / "vendor" / b).exists()]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"web/static/vendor lacks {missing}: npm ci has not run")
        pytest.skip(f"web/static/vendor lacks {missing} (run npm ci)")

    async def page(_: Any) -> HTMLResponse:
        return HTMLResponse(PAGE)

    app = Starlette(routes=[Route("/", page),
                            Mount("/static", app=StaticFiles(directory=STATIC_DIR))])
    with LiveServer(app) as server:
        yield server.url


async def test_bpmn_js_opens_every_miwg_reference_file(static_site, browser, artifacts):
    files = sorted(MIWG.glob("*.bpmn"))
    assert len(files) == 21, [f.name for f in files]
    context = await browser.new_context(viewport={"width": 1366, "height": 800})
    page = await context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda err: script_errors.append(str(err)))
    await page.goto(static_site)
    shots = artifacts / "miwg"
    shots.mkdir(exist_ok=True)
    failures, warned = [], {}
    for path in files:
        xml = path.read_bytes()
        expected = _drawn_by_di(xml)
        result = await page.evaluate(OPEN, [xml.decode("utf-8")])
        for kind in ("modeler", "viewer"):
            got = result[kind]
            if "error" in got:
                failures.append(f"{path.name} ({kind}): {got['error']}")
                continue
            if got["warnings"]:
                warned.setdefault(path.name, got["warnings"])
            skipped = _all_di(xml) - set(got["ids"])
            if skipped and kind == "modeler":  # drawn on the plane, of no participant's process
                warned.setdefault(path.name, []).append(
                    f"{len(skipped)} DI element(s) of a process with no participant not drawn")
            missing = expected - set(got["ids"])
            if missing or got["svg"] == 0:
                failures.append(f"{path.name} ({kind}): {len(missing)} of {len(expected)} "
                                f"elements not drawn: {sorted(missing)[:5]}")
        await page.screenshot(path=shots / f"{path.stem}.png")
        await page.evaluate("() => window.lastModeler.destroy()")
    report = "\n".join(f"{name}: {w}" for name, w in sorted(warned.items()))
    (shots / "warnings.txt").write_text(report or "no import warnings\n")
    print(f"\nMIWG import warnings:\n{report or 'none'}")
    await context.close()
    assert failures == []
    assert script_errors == []
