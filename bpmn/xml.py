"""Hardened reading of BPMN and DMN documents.

Diagrams arrive from browsers and other tools; lxml's defaults are not a defence. Read
bytes (so the XML declaration decides the encoding: UTF-16 and Latin-1 diagrams work),
refuse any DTD (entity expansion, external entities, external DTDs), never touch the
network, never XInclude, and cap depth and size."""

from __future__ import annotations

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
LOANFLOW_NS = "https://loanflow.dev/schema/bpmn"
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
    "https://www.omg.org/spec/DMN/20240513/MODEL/",
)
MAX_BYTES = 5_000_000
MAX_DEPTH = 200


class XmlRefused(ValueError):
    """The document is not acceptable XML; the message says why."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parse_document(data: bytes | str, what: str = "diagram") -> etree._Element:
    """Parse a BPMN/DMN document safely, or raise XmlRefused with a plain reason."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not raw.strip():
        raise XmlRefused(f"the {what} is empty")
    if len(raw) > MAX_BYTES:
        raise XmlRefused(f"the {what} is {len(raw)} bytes; the limit is {MAX_BYTES}")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise XmlRefused(
            f"the {what} declares a DTD (<!DOCTYPE>); entity declarations are refused "
            "because they enable entity-expansion and external-entity attacks"
        )
    if isinstance(data, str) and data.lstrip().startswith("<?xml"):
        # A str has already been decoded: drop a declared encoding lxml would reject.
        end = data.find("?>")
        raw = data[end + 2 :].encode("utf-8")
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as err:
        raise XmlRefused(f"the {what} is not well-formed XML: {err.msg}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRefused(
            f"the {what} declares a DTD (<!DOCTYPE>); entity declarations are refused "
            "because they enable entity-expansion and external-entity attacks"
        )
    if any(isinstance(el, etree._Entity) for el in root.iter()):
        raise XmlRefused(f"the {what} contains entity references, which are refused")
    for el in root.iter():
        if el.tag == "{http://www.w3.org/2001/XInclude}include":
            raise XmlRefused(f"the {what} uses XInclude, which is refused")
    _check_depth(root, what)
    return root


def _check_depth(root: etree._Element, what: str) -> None:
    stack: list[tuple[etree._Element, int]] = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise XmlRefused(f"the {what} nests elements more than {MAX_DEPTH} levels deep")
        stack.extend((child, depth + 1) for child in el)


def strip_layout(root: etree._Element) -> etree._Element:
    """A copy without diagram interchange (layout): the executable copy is stored apart."""
    copy = etree.fromstring(etree.tostring(root), _parser())
    for di in copy.findall(f"{{{BPMNDI_NS}}}BPMNDiagram"):
        copy.remove(di)
    return copy


def to_bytes(root: etree._Element) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
