// The modeler page: bpmn-js (our bundle, window.LoanflowModeler) for the diagram and
// dmn-js (window.DmnJS) for its decision tables. Saving, validating and deploying go to
// the JSON API; problems come back by element id and are listed beside the diagram and
// marked on it, and nothing the user drew is lost: the diagram stays as it is.
(function () {
  "use strict";

  const $ = (sel) => document.querySelector(sel);
  // changed: edited since the page opened (a re-serialised but unchanged diagram would
  // hash differently and deploy as a new version, so an untouched version is not sent)
  const state = { modeler: null, tables: [], data: null, busy: false, changed: false };

  function readJson(id) {
    return JSON.parse(document.getElementById(id).textContent || "{}");
  }

  function base() {
    return "/api/process-definitions/" + encodeURIComponent(state.data.process_id);
  }

  function say(node, kind) {
    const box = $("#editor-status");
    box.replaceChildren(...(typeof node === "string" ? [document.createTextNode(node)] : node));
    box.className = "alert " + (kind || "info");
    box.hidden = false;
  }

  function link(href, text, id) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    if (id) a.id = id;
    return a;
  }

  function setDirty(dirty) {
    state.changed = state.changed || dirty;
    $("#editor").dataset.dirty = dirty ? "true" : "false";
  }

  async function call(method, url, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const resp = await fetch(url, init);
    let json = null;
    try { json = await resp.json(); } catch (e) { json = null; }
    return { ok: resp.ok, status: resp.status, json: json || {} };
  }

  async function collect() {
    const { xml } = await state.modeler.saveXML({ format: true });
    const dmn = [];
    for (const table of state.tables) {  // one that could not be opened goes back as it came
      dmn.push(table.modeler ? (await table.modeler.saveXML({ format: true })).xml : table.xml);
    }
    return { bpmn_xml: xml, dmn_xml: dmn };
  }

  // -- problems -------------------------------------------------------------------------

  function clearMarkers() {
    const canvas = state.modeler.get("canvas");
    state.modeler.get("elementRegistry").getAll().forEach(function (el) {
      canvas.removeMarker(el, "lf-problem");
    });
  }

  function showProblems(problems) {
    clearMarkers();
    const list = $("#problems");
    list.replaceChildren();
    const registry = state.modeler.get("elementRegistry");
    const canvas = state.modeler.get("canvas");
    problems.forEach(function (p) {
      const li = document.createElement("li");
      li.dataset.elementId = p.element_id;
      const target = document.createElement("button");
      target.type = "button";
      target.className = "link mono problem-element";
      target.textContent = p.element_id;
      target.addEventListener("click", function () { reveal(p.element_id); });
      const reason = document.createElement("span");
      reason.textContent = ": " + p.reason;
      li.append(target, reason);
      list.append(li);
      if (registry.get(p.element_id)) {
        canvas.addMarker(p.element_id, "lf-problem");
      }
    });
    $("#problems-card").hidden = problems.length === 0;
  }

  function reveal(elementId) {
    const table = /^dmn#(\d+)$/.exec(elementId);
    if (table) {
      showTab("dmn-" + (Number(table[1]) - 1));
      return;
    }
    const element = state.modeler.get("elementRegistry").get(elementId);
    if (!element) return;
    showTab("bpmn");
    state.modeler.get("selection").select(element);
    state.modeler.get("canvas").scrollToElement(element);
  }

  // -- the three actions ------------------------------------------------------------------

  async function saveDraft() {
    const body = { ...(await collect()), based_on_version: state.data.based_on_version };
    const r = await call("PUT", base() + "/draft", body);
    if (!r.ok) {
      showProblems(r.json.errors || []);
      say("The draft could not be saved: " + (r.json.detail || r.status), "error");
      return false;
    }
    setDirty(false);
    state.data.source = "draft";
    say("Draft saved at " + new Date().toLocaleTimeString() + ".");
    return true;
  }

  async function validate() {
    const r = await call("POST", "/api/process-definitions/validate", await collect());
    if (!r.ok) {
      say("Could not validate: " + (r.json.detail || r.status), "error");
      return;
    }
    showProblems(r.json.problems);
    say(r.json.valid ? "No problems: the diagram can be deployed."
      : r.json.problems.length + " problem(s): see the list; the elements are marked red.",
        r.json.valid ? "info" : "error");
  }

  async function deploy() {
    if (state.data.source === "version" && !state.changed) {
      say("Nothing changed since version " + state.data.based_on_version
          + ": there is nothing to deploy.");
      return;
    }
    if (!(await saveDraft())) return;
    const r = await call("POST", base() + "/draft/deploy");
    if (r.status === 422) {
      showProblems(r.json.errors || []);
      say("Not deployed: " + (r.json.errors || []).length + " problem(s). Your draft is kept.",
          "error");
      return;
    }
    if (!r.ok) {
      say("Not deployed: " + (r.json.detail || r.status), "error");
      return;
    }
    const d = r.json.definition;
    showProblems([]);
    state.data.based_on_version = d.version;
    state.data.latest_version = d.version;
    state.data.source = "version";
    state.changed = false;
    const href = "/processes/" + encodeURIComponent(d.process_id) + "/versions/" + d.version;
    say(r.json.created
      ? ["Deployed as ", link(href, "version " + d.version, "deployed-link"),
         ". New applications use it; running ones stay on their version."]
      : ["Nothing new to deploy: this is ", link(href, "version " + d.version, "deployed-link"),
         "."]);
  }

  function guarded(action) {
    return async function () {
      if (state.busy) return;
      state.busy = true;
      document.querySelectorAll(".editor-actions button").forEach((b) => { b.disabled = true; });
      try {
        await action();
      } catch (err) {
        say("Something went wrong: " + err.message, "error");
      } finally {
        state.busy = false;
        document.querySelectorAll(".editor-actions button").forEach((b) => { b.disabled = false; });
      }
    };
  }

  // -- tabs: the diagram and each decision table ----------------------------------------

  function showTab(name) {
    document.querySelectorAll("#editor-tabs .tab").forEach(function (tab) {
      const on = tab.dataset.tab === name;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", on ? "true" : "false");
    });
    document.querySelectorAll("#editor .editor-view").forEach(function (view) {
      view.classList.toggle("active", view.dataset.view === name);
    });
    if (name === "bpmn") state.modeler.get("canvas").resized();
  }

  async function openTable(xml, index) {
    const name = "dmn-" + index;
    const view = document.createElement("div");
    view.className = "editor-view dmn-view";
    view.dataset.view = name;
    $("#editor").append(view);
    const modeler = new window.DmnJS({ container: view });
    const result = await modeler.importXML(xml);
    const table = modeler.getViews().find((v) => v.type === "decisionTable");
    if (table) await modeler.open(table);
    const defs = modeler.getDefinitions();
    const tab = document.createElement("button");
    tab.type = "button";
    tab.className = "tab";
    tab.dataset.tab = name;
    tab.setAttribute("role", "tab");
    tab.textContent = "Decision table: " + ((table && table.element.name) || defs.name
                                            || "#" + (index + 1));
    tab.addEventListener("click", () => showTab(name));
    $("#editor-tabs").append(tab);
    modeler.on("views.changed", function () {
      const viewer = modeler.getActiveViewer();
      if (viewer) viewer.on("elements.changed", () => setDirty(true));
    });
    const active = modeler.getActiveViewer();
    if (active) active.on("elements.changed", () => setDirty(true));
    state.tables.push({ modeler, xml, warnings: result.warnings || [] });
  }

  async function start() {
    const box = $("#editor");
    const note = $("#canvas .diagram-note");
    state.data = readJson("editor-data");
    if (!window.LoanflowModeler) {
      note.textContent = "The modeler is not installed (npm ci has not run).";
      box.dataset.ready = "error";
      return;
    }
    state.modeler = window.LoanflowModeler.createModeler($("#canvas"), $("#properties"),
                                                         readJson("editor-catalog"));
    window.lfModeler = state.modeler; // for the browser tests and the console
    try {
      const result = await state.modeler.importXML(state.data.bpmn_xml);
      note.remove();
      state.modeler.get("canvas").zoom("fit-viewport", "auto");
      // loanflow attributes the panel does not know still round-trip: not worth a warning
      const warnings = result.warnings.filter(
        (w) => !/^unknown attribute <loanflow:/.test(w.message));
      if (warnings.length) {
        say("The diagram opened with " + warnings.length + " warning(s): "
            + warnings.map((w) => w.message).slice(0, 3).join("; "), "error");
      }
    } catch (err) {
      note.textContent = "The diagram could not be opened: " + err.message;
      box.dataset.ready = "error";
      return;
    }
    state.modeler.on("commandStack.changed", () => setDirty(true));
    $("#editor-tabs .tab[data-tab=bpmn]").addEventListener("click", () => showTab("bpmn"));
    const tables = state.data.dmn_xml || [];
    for (let i = 0; i < tables.length; i++) {
      try {
        await openTable(tables[i], i);
      } catch (err) {
        state.tables.push({ modeler: null, xml: tables[i] });
        say("Decision table " + (i + 1) + " could not be opened (it is kept as it is): "
            + err.message, "error");
      }
    }
    $("#save-draft").addEventListener("click", guarded(saveDraft));
    $("#validate").addEventListener("click", guarded(validate));
    $("#deploy").addEventListener("click", guarded(deploy));
    document.querySelectorAll(".editor-actions button").forEach((b) => { b.disabled = false; });
    window.addEventListener("beforeunload", function (event) {
      if (box.dataset.dirty === "true") event.preventDefault();
    });
    box.dataset.ready = "true";
  }

  document.addEventListener("DOMContentLoaded", start);
})();
