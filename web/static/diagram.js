// The bpmn-js viewer on a page: loads the pinned diagram version's XML and marks the
// steps done and the current one. The status panel (polled by htmx) carries fresh
// markers in data-markers; they are applied after every swap.
(function () {
  "use strict";

  function applyMarkers(viewer, markers) {
    const canvas = viewer.get("canvas");
    const registry = viewer.get("elementRegistry");
    registry.getAll().forEach(function (el) {
      canvas.removeMarker(el, "lf-done");
      canvas.removeMarker(el, "lf-current");
    });
    (markers.done || []).forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, "lf-done");
    });
    (markers.current || []).forEach(function (id) {
      if (registry.get(id)) canvas.addMarker(id, "lf-current");
    });
  }

  function parse(text) {
    try { return JSON.parse(text || "{}"); } catch (e) { return {}; }
  }

  async function show(box) {
    const note = box.querySelector(".diagram-note");
    if (typeof window.BpmnJS === "undefined") {
      note.textContent = "The diagram viewer is not installed (npm ci has not run).";
      box.dataset.ready = "error";
      return;
    }
    const viewer = new window.BpmnJS({ container: box });
    box.lfViewer = viewer;
    try {
      const resp = await fetch(box.dataset.src, { credentials: "same-origin" });
      if (!resp.ok) throw new Error("the server answered " + resp.status);
      await viewer.importXML(await resp.text());
      viewer.get("canvas").zoom("fit-viewport", "auto");
      applyMarkers(viewer, parse(box.dataset.markers));
      note.remove();
      box.dataset.ready = "true";
    } catch (err) {
      note.textContent = "The diagram could not be shown: " + err.message;
      box.dataset.ready = "error";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".diagram[data-src]").forEach(show);
  });

  document.addEventListener("htmx:afterSettle", function () {
    const panel = document.getElementById("status");
    const box = document.getElementById("diagram");
    if (!panel || !box || !box.lfViewer || box.dataset.ready !== "true") return;
    box.dataset.markers = panel.dataset.markers;
    applyMarkers(box.lfViewer, parse(panel.dataset.markers));
  });
})();
