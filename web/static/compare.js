// Diagrams coloured by change: every .compare-diagram[data-src] gets a bpmn-js viewer
// and the markers in data-markers ({"added": [...], "removed": [...], "changed": [...]}).
(function () {
  "use strict";

  async function show(box) {
    const note = box.querySelector(".diagram-note");
    if (typeof window.BpmnJS === "undefined") {
      note.textContent = "The diagram viewer is not installed (npm ci has not run).";
      box.dataset.ready = "error";
      return;
    }
    const viewer = new window.BpmnJS({ container: box });
    try {
      const resp = await fetch(box.dataset.src, { credentials: "same-origin" });
      if (!resp.ok) throw new Error("the server answered " + resp.status);
      await viewer.importXML(await resp.text());
      viewer.get("canvas").zoom("fit-viewport", "auto");
      const canvas = viewer.get("canvas");
      const registry = viewer.get("elementRegistry");
      let markers = {};
      try { markers = JSON.parse(box.dataset.markers || "{}"); } catch (e) { markers = {}; }
      let marked = 0;
      ["added", "removed", "changed"].forEach(function (kind) {
        (markers[kind] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, "lf-" + kind); marked += 1; }
        });
      });
      box.dataset.marked = String(marked);
      note.remove();
      box.dataset.ready = "true";
    } catch (err) {
      note.textContent = "The diagram could not be shown: " + err.message;
      box.dataset.ready = "error";
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".compare-diagram[data-src]").forEach(show);
  });
})();
