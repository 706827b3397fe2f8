// The "loanflow" group of the properties panel: what loanflow reads from a diagram.
// The lists (registered activities, approver roles) come from the page, which the server
// fills from bpmn.registry, so the panel offers exactly what the validator accepts.
import { h } from "@bpmn-io/properties-panel/preact";
import {
  SelectEntry,
  TextAreaEntry,
  TextFieldEntry,
  isSelectEntryEdited,
  isTextAreaEntryEdited,
  isTextFieldEntryEdited,
} from "@bpmn-io/properties-panel";
import { useService } from "bpmn-js-properties-panel";
import { getBusinessObject, is, isAny } from "bpmn-js/lib/util/ModelUtil";

const PRIORITY = 400;

// Attribute fields of a user task: [attribute, label, description].
const USER_TASK_FIELDS = [
  ["skills", "Required skills", "Comma separated, e.g. personal, business."],
  ["language", "Language", "ISO 639-1 code the approver must speak, e.g. zh."],
  ["industry", "Industry", "For business loans: the approver's industry."],
  ["minAuthority", "Minimum authority", "The approver's authority limit must reach this amount."],
  ["effort", "Effort", "How much of an approver's capacity the task takes (default 1)."],
  ["priority", "Priority", "Higher first in the inbox (default 0)."],
  ["due", "Due", "ISO 8601 duration from assignment, e.g. P2D or PT4H."],
];

function attr(element, name) {
  return getBusinessObject(element).get("loanflow:" + name) || "";
}

function useSetter(element, name) {
  const modeling = useService("modeling");
  return (value) => {
    modeling.updateProperties(element, { ["loanflow:" + name]: value || undefined });
  };
}

function TextAttr(props) {
  const { element, id, name, label, description } = props;
  return h(TextFieldEntry, {
    element, id, label, description,
    debounce: useService("debounceInput"),
    getValue: () => attr(element, name),
    setValue: useSetter(element, name),
  });
}

function SelectAttr(props) {
  const { element, id, name, label, options, describe } = props;
  const current = attr(element, name);
  const known = options.some((o) => o.value === current);
  return h(SelectEntry, {
    element, id, label,
    description: describe ? describe(current) : props.description,
    getValue: () => attr(element, name),
    setValue: useSetter(element, name),
    getOptions: () => (known || !current ? options
      : [...options, { value: current, label: current + " (not registered)" }]),
  });
}

function laneName(element) {
  const bo = getBusinessObject(element);
  const lanes = bo.get("lanes") || [];
  return lanes.length ? lanes[0].name || lanes[0].id : "";
}

function Condition(props) {
  const { element, id } = props;
  const modeling = useService("modeling");
  const bpmnFactory = useService("bpmnFactory");
  const bo = getBusinessObject(element);
  const isDefault = bo.sourceRef && bo.sourceRef.default === bo;
  return h(TextAreaEntry, {
    element, id,
    label: "Condition",
    monospace: true,
    rows: 2,
    debounce: useService("debounceInput"),
    description: isDefault
      ? "The gateway's default flow: taken when no other condition holds."
      : "A Python-like expression over the process data, e.g. score.grade in ('A', 'B').",
    getValue: () => (bo.conditionExpression && bo.conditionExpression.body) || "",
    setValue: (value) => {
      const body = (value || "").trim();
      modeling.updateProperties(element, {
        conditionExpression: body
          ? bpmnFactory.create("bpmn:FormalExpression", { body }) : undefined,
      });
    },
  });
}

function entry(component, id, extra) {
  return { id: "loanflow-" + id, component, ...extra };
}

function serviceEntries(catalog) {
  const services = catalog.services || [];
  const byName = Object.fromEntries(services.map((s) => [s.name, s.description]));
  return [
    entry(SelectAttr, "activity", {
      name: "activity", label: "Activity", isEdited: isSelectEntryEdited,
      options: [{ value: "", label: "— choose a registered activity —" },
        ...services.map((s) => ({ value: s.name, label: s.name }))],
      describe: (current) => byName[current] || "What this step runs.",
    }),
    entry(SelectAttr, "onError", {
      name: "onError", label: "On error", isEdited: isSelectEntryEdited,
      options: [{ value: "", label: "stop the process (after retries)" },
        { value: "continue", label: "continue (record the error in service_errors)" }],
      description: "What happens when the activity fails for good.",
    }),
  ];
}

function userTaskEntries(element, catalog) {
  const lane = laneName(element);
  const roles = catalog.roles || [];
  return [
    entry(SelectAttr, "role", {
      name: "role", label: "Role", isEdited: isSelectEntryEdited,
      options: [{ value: "", label: lane ? "from the lane: " + lane : "(no lane: choose a role)" },
        ...roles.map((r) => ({ value: r.value, label: r.label }))],
      description: "Who may take the task: the lane's role unless set here.",
    }),
    ...USER_TASK_FIELDS.map(([name, label, description]) => entry(TextAttr, name, {
      name, label, description, isEdited: isTextFieldEntryEdited,
    })),
  ];
}

function fromGateway(element) {
  const bo = getBusinessObject(element);
  return bo.sourceRef && isAny(bo.sourceRef,
    ["bpmn:ExclusiveGateway", "bpmn:InclusiveGateway", "bpmn:ComplexGateway"]);
}

export default function LoanflowPropertiesProvider(propertiesPanel, config) {
  const catalog = config || {};

  this.getGroups = function (element) {
    return function (groups) {
      let entries = [];
      if (is(element, "bpmn:ServiceTask")) {
        entries = serviceEntries(catalog);
      } else if (is(element, "bpmn:UserTask")) {
        entries = userTaskEntries(element, catalog);
      } else if (is(element, "bpmn:SequenceFlow")
                 && (fromGateway(element) || getBusinessObject(element).conditionExpression)) {
        entries = [entry(Condition, "condition", { isEdited: isTextAreaEntryEdited })];
      }
      if (entries.length) {
        groups.splice(1, 0, { id: "loanflow", label: "loanflow", entries });
      }
      return groups;
    };
  };

  propertiesPanel.registerProvider(PRIORITY, this);
}

LoanflowPropertiesProvider.$inject = ["propertiesPanel", "config.loanflow"];
