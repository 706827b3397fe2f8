// The modeler bundle (built by web/vendor.mjs with esbuild into
// web/static/vendor/loanflow-modeler.js): bpmn-js's Modeler with the properties panel,
// loanflow's own group in it, and the loanflow moddle extension so that loanflow:*
// attributes are typed properties and round-trip through import and export.
import BpmnModeler from "bpmn-js/lib/Modeler";
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
} from "bpmn-js-properties-panel";

import loanflowModdle from "./loanflow-moddle.json";
import LoanflowPropertiesProvider from "./provider.js";

const LoanflowPropertiesModule = {
  __init__: ["loanflowPropertiesProvider"],
  loanflowPropertiesProvider: ["type", LoanflowPropertiesProvider],
};

// catalog: { services: [{name, description}], roles: [{value, label}] } from the server.
function createModeler(container, panel, catalog) {
  return new BpmnModeler({
    container,
    // loanflow's group open, the others as the user leaves them
    propertiesPanel: { parent: panel, layout: { groups: { loanflow: { open: true } } } },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      LoanflowPropertiesModule,
    ],
    moddleExtensions: { loanflow: loanflowModdle },
    loanflow: catalog || {},
  });
}

function createViewer(container) {
  return new NavigatedViewer({ container, moddleExtensions: { loanflow: loanflowModdle } });
}

window.LoanflowModeler = { createModeler, createViewer, moddle: loanflowModdle };
