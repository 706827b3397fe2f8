"""The diagram on a page: which steps are done and which is current, by element id, for
the bpmn-js viewer's markers; element names from the pinned version's diagram."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from sqlmodel import Session

from api.applications.service import ApplicationPublic
from api.errors import DomainError
from api.processes import service as processes
from bpmn.xml import BPMN_NS, XmlRefused, parse_document

# Waiting on these is part of the step they are attached to, not a step a person is at.
_ATTACHED = {f"{{{BPMN_NS}}}boundaryEvent"}


@lru_cache(maxsize=64)
def _element_names(sha256: str, bpmn_xml: str) -> dict[str, str]:
    """Element id → name ("" for the ones attached to another step)."""
    try:
        root = parse_document(bpmn_xml)
    except XmlRefused:
        return {}
    return {el.get("id", ""): "" if el.tag in _ATTACHED else el.get("name") or el.get("id", "")
            for el in root.iter() if isinstance(el.tag, str)
            and el.tag.startswith(f"{{{BPMN_NS}}}") and el.get("id")}


def element_names(s: Session, process_id: str, version: int) -> dict[str, str]:
    try:
        row = processes.get(s, process_id, version)
    except DomainError:
        return {}
    return _element_names(row.sha256, row.bpmn_xml)


def diagram_context(public: ApplicationPublic, names: dict[str, str]) -> dict[str, Any]:
    current = list(public.current_steps)
    done = [e for e in dict.fromkeys(s.element_id for s in public.steps) if e not in current]
    steps = [s for s in public.steps  # an unnamed gateway is wiring, not a step
             if not (s.kind == "gateway" and s.name in ("", s.element_id))]
    return {
        "steps": steps,
        "names": names,
        "diagram_url": f"/api/process-definitions/{public.process_id}/versions/"
                       f"{public.process_version}/diagram.bpmn",
        "markers": json.dumps({"done": done, "current": current}),
        "current_names": [n for n in (names.get(e, e) for e in current) if n],
    }
