// Copies the dist bundles the pages load from node_modules into web/static/vendor/
// (git-ignored) and builds the modeler bundle (web/modeler/index.js: bpmn-js Modeler,
// properties panel, loanflow's group) with esbuild. Runs as npm's postinstall, or
// `npm run vendor`.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "web", "static", "vendor");
const files = {
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
  "bpmn-js/dist/bpmn-navigated-viewer.production.min.js": "bpmn-navigated-viewer.production.min.js",
  "bpmn-js/dist/assets/diagram-js.css": "diagram-js.css",
  "bpmn-js/dist/assets/bpmn-js.css": "bpmn-js.css",
  "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css": "bpmn-embedded.css",
  "@bpmn-io/properties-panel/dist/assets/properties-panel.css": "properties-panel.css",
  // Decision tables: dmn-js's own modeler bundle, as published.
  "dmn-js/dist/dmn-modeler.production.min.js": "dmn/dmn-modeler.production.min.js",
  "dmn-js/dist/assets/dmn-js-shared.css": "dmn/dmn-js-shared.css",
  "dmn-js/dist/assets/dmn-js-decision-table.css": "dmn/dmn-js-decision-table.css",
  "dmn-js/dist/assets/dmn-js-decision-table-controls.css": "dmn/dmn-js-decision-table-controls.css",
  "dmn-js/dist/assets/dmn-js-literal-expression.css": "dmn/dmn-js-literal-expression.css",
  "dmn-js/dist/assets/dmn-js-drd.css": "dmn/dmn-js-drd.css",
  "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css": "dmn/dmn-embedded.css",
};

mkdirSync(join(out, "dmn"), { recursive: true });
for (const [from, to] of Object.entries(files)) {
  copyFileSync(join(root, "node_modules", from), join(out, to));
}
await build({
  entryPoints: [join(root, "web", "modeler", "index.js")],
  outfile: join(out, "loanflow-modeler.js"),
  bundle: true,
  format: "iife",
  minify: true,
  target: ["es2020"],
  legalComments: "linked", // the licences of what is bundled, beside it
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});
console.log(`web/static/vendor: ${Object.values(files).join(", ")}, loanflow-modeler.js`);
