"""Compiling a diagram into SpiffWorkflow's spec: hardened parsing, our checks, and one
compiled copy per content hash for the life of the process (re-exported by bpmn.engine)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from bpmn import compile_checks as checks
from bpmn.compile_checks import DefinitionError
from bpmn.engine_errors import first_line
from bpmn.spiff_parser import LoanflowParser
from bpmn.xml import XmlRefused, parse_document, strip_layout


@dataclass
class CompiledProcess:
    sha256: str
    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]
    allow_scripts: bool


def definition_sha256(bpmn_xml: bytes | str, dmn_xml: Sequence[bytes | str] = ()) -> str:
    h = hashlib.sha256()
    for part in (bpmn_xml, *dmn_xml):
        raw = part.encode("utf-8") if isinstance(part, str) else part
        h.update(hashlib.sha256(raw).digest())
    return h.hexdigest()


def compile_definition(
    bpmn_xml: bytes | str,
    dmn_xml: Sequence[bytes | str] = (),
    process_id: str | None = None,
    allow_scripts: bool = False,
    extra_bpmn: Sequence[bytes | str] = (),
) -> CompiledProcess:
    """Parse (hardened) and build the Spiff spec; raise DefinitionError on any problem."""
    try:
        root = strip_layout(parse_document(bpmn_xml))
        dmn_roots = [parse_document(d, "decision table") for d in dmn_xml]
        extra_roots = [strip_layout(parse_document(b)) for b in extra_bpmn]
    except XmlRefused as err:
        raise DefinitionError([("document", str(err))]) from None
    ids = checks.check_documents(root, dmn_roots, extra_roots)
    pid = process_id or ids[0]
    renamed = checks.rename_reserved_ids([root, *extra_roots])
    parser = LoanflowParser()
    try:
        parser.add_bpmn_xml(root, filename="diagram.bpmn")
        for extra in extra_roots:
            parser.add_bpmn_xml(extra, filename="called.bpmn")
        for d in dmn_roots:
            parser.add_dmn_xml(d, filename="decision.dmn")
        spec = parser.get_spec(pid)
        subprocess_specs = parser.get_subprocess_specs(pid)
    except ValidationException as err:
        element = getattr(err, "id", None) or getattr(err, "name", None) or pid
        raise DefinitionError([(renamed.get(str(element), str(element)), first_line(err))]) \
            from None
    except (SpiffWorkflowException, KeyError, TypeError, AttributeError, ValueError,
            IndexError, AssertionError) as err:
        raise DefinitionError([(pid, f"{type(err).__name__}: {first_line(err)}")]) from None
    checks.restore_reserved_ids([spec, *subprocess_specs.values()], renamed)
    checks.refuse_recursive_calls(pid, spec, subprocess_specs)
    sha = definition_sha256(bpmn_xml, dmn_xml)
    return CompiledProcess(sha, pid, spec, subprocess_specs, allow_scripts)


_cache: dict[tuple[str, str | None, bool], CompiledProcess] = {}
_cache_lock = threading.Lock()


def compiled(
    sha256: str,
    load: Callable[[], tuple[str, list[str]]],
    process_id: str | None = None,
    allow_scripts: bool = False,
) -> CompiledProcess:
    """Parse once per sha256 (per worker process) and reuse the spec."""
    key = (sha256, process_id, allow_scripts)
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None:
        return hit
    try:
        bpmn_xml, dmn_xml = load()
    except ValueError as err:  # documents that cannot be read back (a damaged history)
        raise DefinitionError([("document", str(err))]) from None
    proc = compile_definition(bpmn_xml, dmn_xml, process_id, allow_scripts)
    if proc.sha256 != sha256:
        raise DefinitionError([("document", f"content hash {proc.sha256} != pinned {sha256}")])
    with _cache_lock:
        _cache[key] = proc
    return proc
