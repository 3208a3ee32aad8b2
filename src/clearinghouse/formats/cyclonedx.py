"""Read CycloneDX 1.2 to 1.6 SBOMs (JSON and XML) into an `SbomDocument`: components and VEX.

Every document is checked against the specification's own schema for the version it declares
before anything is read from it, so that a participant whose SBOM is malformed learns the first
place at fault instead of getting a partial scan. The schemas are the ones cyclonedx-python-lib
ships; nothing is fetched over the network.

- XML: cyclonedx-python-lib's `XmlValidator` (lxml, its own hardened parser: no DTD, no network,
  no entities). The document is first parsed with defusedxml, which refuses DTDs and entity
  declarations, so lxml only ever sees XML that defusedxml has already accepted.
- JSON: the library's `JsonStrictValidator` runs pure-Python `jsonschema`, whose `uniqueItems`
  check compares every pair of components: 10,000 components took 95 to 130 s here. We give the
  same schema files (the library's strict ones, with the SPDX, JSF and cryptography definitions
  they reference) to `jsonschema_rs`, which validates the same document in about 15 ms. Its
  retriever refuses every URL, so a schema that needed a document from the network would fail
  at first use (a test compiles all five versions) instead of skipping validation.

`metadata.component` is the subject (its name becomes `SbomDocument.name`), not a component.
Components nest (`components[].components`); every one of them is either a `Component` (a purl
with a version, of a type the matcher knows) or a `SkippedComponent` with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import jsonschema_rs
import orjson
from cyclonedx.schema import SchemaVersion
from cyclonedx.schema._res import BOM_JSON_STRICT, CRYPTOGRAPHY_DEFS, JSF, SPDX_JSON
from cyclonedx.validation.xml import XmlValidator
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from lxml.etree import Error as LxmlError

from clearinghouse.formats.components import (
    Component,
    SbomDocument,
    SkippedComponent,
    VexStatement,
)
from clearinghouse.formats.errors import InvalidRecord, schema_error
from clearinghouse.matching.errors import InvalidPackageUrl, UnsupportedPackage
from clearinghouse.matching.purl import parse_purl

__all__ = [
    "NOT_SOFTWARE",
    "SUPPORTED_VERSIONS",
    "component_from_purl",
    "cyclonedx_from_json",
    "read_cyclonedx",
    "read_cyclonedx_json",
    "read_cyclonedx_xml",
]

SUPPORTED_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6")
# Component types that are not software a vulnerability database describes (CycloneDX 1.5, 1.6).
NOT_SOFTWARE = frozenset({"cryptographic-asset", "data", "device", "machine-learning-model"})

_BOM = b"\xef\xbb\xbf"
_SCHEMA_BASE = "http://cyclonedx.org/schema/"
_XML_ROOT = re.compile(r"\{http://cyclonedx\.org/schema/bom/([^}]*)\}bom")
# jsonschema_rs quotes the offending value in full; a whole component list helps nobody.
_MESSAGE_LIMIT = 300


def read_cyclonedx(data: bytes, *, source: str = "") -> SbomDocument:
    """A CycloneDX SBOM in JSON or XML, told apart by its first character."""
    first = data.removeprefix(_BOM).lstrip()[:1]
    if first == b"{":
        return read_cyclonedx_json(data, source=source)
    if first == b"<":
        return read_cyclonedx_xml(data, source=source)
    raise InvalidRecord("not a CycloneDX document: neither JSON nor XML", source=source)


def read_cyclonedx_json(data: bytes, *, source: str = "") -> SbomDocument:
    """A CycloneDX JSON SBOM (1.2 to 1.6), validated against the schema of its specVersion."""
    try:
        document = orjson.loads(data.removeprefix(_BOM))
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord(f"not valid JSON: {exc}", source=source) from exc
    return cyclonedx_from_json(document, source=source)


def cyclonedx_from_json(document: object, *, source: str = "") -> SbomDocument:
    """The `SbomDocument` of an already parsed CycloneDX JSON document."""
    if not isinstance(document, dict):
        raise InvalidRecord("a CycloneDX document is a JSON object", source=source)
    if document.get("bomFormat") != "CycloneDX":
        raise InvalidRecord(
            f"not a CycloneDX document: bomFormat is {_shorten(repr(document.get('bomFormat')))}",
            source=source,
            path="$.bomFormat",
        )
    version = _supported(document.get("specVersion"), source=source, path="$.specVersion")
    try:
        error = next(_json_validator(version).iter_errors(document), None)
    except ValueError as exc:  # jsonschema_rs stops converting at a nesting depth of its own
        raise InvalidRecord(f"cannot be validated: {exc}", source=source) from exc
    if error is not None:
        found = schema_error(error, source=source)
        raise InvalidRecord(
            f"not valid CycloneDX {version}: {_shorten(found.reason)}",
            source=source,
            path=found.path,
        )
    return _json_document(document, version)


def read_cyclonedx_xml(data: bytes, *, source: str = "") -> SbomDocument:
    """A CycloneDX XML SBOM (1.2 to 1.6), validated against the XSD of its namespace."""
    try:
        root = parse_xml(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise InvalidRecord(
            f"XML with a DTD or entities is refused: {exc}", source=source, path="/"
        ) from exc
    except ParseError as exc:
        line, column = exc.position  # expat counts columns from 0; people, from 1
        raise InvalidRecord(
            f"not well-formed XML: {str(exc.msg).rsplit(': line', 1)[0]}",
            source=source,
            path=f"line {line}, column {column + 1}",
        ) from exc
    match = _XML_ROOT.fullmatch(root.tag)
    if match is None:
        raise InvalidRecord(
            f"not a CycloneDX document: the root element is {root.tag}", source=source, path="/"
        )
    version = _supported(match.group(1), source=source, path="/bom/@xmlns")
    _validate_xml(data, version, source=source)
    return _xml_document(root, version)


def component_from_purl(
    purl: str | None,
    *,
    name: str,
    version: str | None = None,
    bom_ref: str | None = None,
    location: str = "",
) -> Component | SkippedComponent:
    """A component the matcher can use (a purl of a known type, with a version), or why not.

    `name` and `version` are what the file says, kept for the skipped entry's message; the
    component's identity comes from the purl alone. The purl is kept as written, so that a VEX
    statement naming the component by purl finds it.
    """

    def skipped(reason: str) -> SkippedComponent:
        return SkippedComponent(name, reason, version, purl, bom_ref, location)

    if not purl or not purl.strip():
        return skipped("no purl")
    try:
        package = parse_purl(purl)
    except UnsupportedPackage as exc:
        return skipped(f"purl type {exc.purl_type!r} is not matched")
    except InvalidPackageUrl as exc:
        return skipped(f"invalid purl: {exc}")
    if not package.version:
        return skipped("purl has no version")
    return Component(
        package.ecosystem, package.name, package.version, purl.strip(), bom_ref, location
    )


def _supported(declared: object, *, source: str, path: str) -> str:
    if not isinstance(declared, str) or not declared:
        found = "missing" if declared is None else _shorten(repr(declared))
        raise InvalidRecord(
            f"the CycloneDX spec version is {found}, not a version string",
            source=source,
            path=path,
        )
    if declared not in SUPPORTED_VERSIONS:
        raise InvalidRecord(
            f"unsupported spec version {declared!r}: CycloneDX 1.2 to 1.6 are read",
            source=source,
            path=path,
        )
    return declared


def _shorten(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 3] + "..."


def _refuse_retrieval(uri: str) -> Any:
    raise ValueError(f"the CycloneDX schemas are read offline; {uri} is not available")


@cache
def _json_validator(version: str) -> Any:
    """The spec's JSON schema for `version` (strict: no unknown properties), compiled once."""

    def load(path: str | None) -> Any:
        if path is None:
            raise LookupError(f"cyclonedx-python-lib has no JSON schema for CycloneDX {version}")
        with open(path, "rb") as schema:
            return orjson.loads(schema.read())

    registry = jsonschema_rs.Registry(
        [
            (f"{_SCHEMA_BASE}spdx.SNAPSHOT.schema.json", load(SPDX_JSON)),
            (f"{_SCHEMA_BASE}jsf-0.82.SNAPSHOT.schema.json", load(JSF)),
            (f"{_SCHEMA_BASE}cryptography-defs.SNAPSHOT.schema.json", load(CRYPTOGRAPHY_DEFS)),
        ]
    )
    schema = load(BOM_JSON_STRICT[SchemaVersion.from_version(version)])
    return jsonschema_rs.Draft7Validator(
        schema, registry=registry, retriever=_refuse_retrieval, validate_formats=True
    )


def _validate_xml(data: bytes, version: str, *, source: str) -> None:
    # The library validates text; XML that is not UTF-8 would be re-encoded wrongly.
    try:
        text = data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(
            f"CycloneDX XML is read as UTF-8, and byte {exc.start} is not UTF-8", source=source
        ) from exc
    # A new validator each time: its schema compiles in milliseconds, and lxml's error log
    # belongs to one validator, so sharing one across threads would mix their errors.
    try:
        error = XmlValidator(SchemaVersion.from_version(version)).validate_str(text)
    except LxmlError as exc:
        raise InvalidRecord(f"not well-formed XML: {exc}", source=source, path="/") from exc
    if error is not None:
        entry = error.data
        # lxml names every element with its namespace; the reader knows which one it is.
        message = str(entry.message).replace(f"{{http://cyclonedx.org/schema/bom/{version}}}", "")
        raise InvalidRecord(
            f"not valid CycloneDX {version}: {_shorten(message)}",
            source=source,
            path=f"line {entry.line}",
        )


# --- JSON --------------------------------------------------------------------------------------


def _json_document(document: Mapping[str, Any], version: str) -> SbomDocument:
    metadata = _mapping(document.get("metadata"))
    subject = _mapping(metadata.get("component"))
    components: list[Component] = []
    skipped: list[SkippedComponent] = []
    for location, entry in _nested(document.get("components"), "components", "components"):
        found = _entry(
            kind=entry.get("type"),
            group=entry.get("group"),
            name=entry.get("name"),
            version=entry.get("version"),
            purl=entry.get("purl"),
            bom_ref=entry.get("bom-ref"),
            location=location,
        )
        if isinstance(found, Component):
            components.append(found)
        else:
            skipped.append(found)
    warnings: list[str] = []
    vex = [
        statement
        for index, vulnerability in enumerate(_list(document.get("vulnerabilities")))
        if (statement := _json_vex(vulnerability, index, subject.get("bom-ref"), warnings))
    ]
    services = sum(1 for _ in _nested(document.get("services"), "services", "services"))
    if services:
        warnings.append(_services_warning(services))
    return SbomDocument(
        format="CycloneDX",
        format_version=version,
        encoding="json",
        name=_text(subject.get("name")),
        components=tuple(components),
        skipped=tuple(skipped),
        vex=tuple(vex),
        warnings=tuple(warnings),
    )


def _nested(items: object, key: str, prefix: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each object of a list and of the lists nested under `key`, in document order."""
    stack = [(f"{prefix}[{i}]", item) for i, item in enumerate(_list(items))][::-1]
    while stack:  # a loop, not recursion: nesting depth is the author's choice
        location, item = stack.pop()
        if not isinstance(item, dict):
            continue
        yield location, item
        children = _list(item.get(key))
        stack.extend(reversed([(f"{location}.{key}[{i}]", c) for i, c in enumerate(children)]))


def _json_vex(
    vulnerability: object, index: int, subject_ref: object, warnings: list[str]
) -> VexStatement | None:
    entry = _mapping(vulnerability)
    analysis = _mapping(entry.get("analysis"))
    state = _text(analysis.get("state"))
    if state is None:
        return None  # a VDR's disclosure, not the author's analysis
    vulnerability_id = _text(entry.get("id"))
    if vulnerability_id is None:
        warnings.append(f"vulnerabilities[{index}] has an analysis but no id; it is not used")
        return None
    refs = [_text(_mapping(affected).get("ref")) for affected in _list(entry.get("affects"))]
    return _statement(
        vulnerability_id,
        state,
        _text(analysis.get("justification")),
        _text(analysis.get("detail")),
        [ref for ref in refs if ref],
        _text(subject_ref),
    )


# --- XML ---------------------------------------------------------------------------------------


def _xml_document(root: Element, version: str) -> SbomDocument:
    ns = f"{{http://cyclonedx.org/schema/bom/{version}}}"
    subject = root.find(f"{ns}metadata/{ns}component")
    components: list[Component] = []
    skipped: list[SkippedComponent] = []
    for location, element in _xml_nested(root.find(f"{ns}components"), ns, "component"):
        found = _entry(
            kind=element.get("type"),
            group=_child_text(element, f"{ns}group"),
            name=_child_text(element, f"{ns}name"),
            version=_child_text(element, f"{ns}version"),
            purl=_child_text(element, f"{ns}purl"),
            bom_ref=element.get("bom-ref"),
            location=location,
        )
        if isinstance(found, Component):
            components.append(found)
        else:
            skipped.append(found)
    warnings: list[str] = []
    subject_ref = subject.get("bom-ref") if subject is not None else None
    vex = [
        statement
        for index, element in enumerate(root.findall(f"{ns}vulnerabilities/{ns}vulnerability"))
        if (statement := _xml_vex(element, ns, index, subject_ref, warnings))
    ]
    services = sum(1 for _ in _xml_nested(root.find(f"{ns}services"), ns, "service"))
    if services:
        warnings.append(_services_warning(services))
    return SbomDocument(
        format="CycloneDX",
        format_version=version,
        encoding="xml",
        name=_child_text(subject, f"{ns}name") if subject is not None else None,
        components=tuple(components),
        skipped=tuple(skipped),
        vex=tuple(vex),
        warnings=tuple(warnings),
    )


def _xml_nested(parent: Element | None, ns: str, tag: str) -> Iterator[tuple[str, Element]]:
    """Each `tag` element under `parent` and under their nested `<{tag}s>`, in document order."""
    if parent is None:
        return
    plural = f"{tag}s"
    stack = [(f"{plural}[{i}]", e) for i, e in enumerate(parent.findall(f"{ns}{tag}"))][::-1]
    while stack:
        location, element = stack.pop()
        yield location, element
        children = element.findall(f"{ns}{plural}/{ns}{tag}")
        stack.extend(reversed([(f"{location}.{plural}[{i}]", c) for i, c in enumerate(children)]))


def _xml_vex(
    element: Element, ns: str, index: int, subject_ref: str | None, warnings: list[str]
) -> VexStatement | None:
    state = _child_text(element, f"{ns}analysis/{ns}state")
    if state is None:
        return None
    vulnerability_id = _child_text(element, f"{ns}id")
    if vulnerability_id is None:
        warnings.append(f"vulnerabilities[{index}] has an analysis but no id; it is not used")
        return None
    refs = [
        text
        for target in element.findall(f"{ns}affects/{ns}target")
        if (text := _child_text(target, f"{ns}ref"))
    ]
    return _statement(
        vulnerability_id,
        state,
        _child_text(element, f"{ns}analysis/{ns}justification"),
        _child_text(element, f"{ns}analysis/{ns}detail"),
        refs,
        subject_ref,
    )


def _child_text(element: Element, path: str) -> str | None:
    found = element.find(path)
    return _text(found.text) if found is not None else None


# --- both --------------------------------------------------------------------------------------


def _entry(
    *,
    kind: object,
    group: object,
    name: object,
    version: object,
    purl: object,
    bom_ref: object,
    location: str,
) -> Component | SkippedComponent:
    group_text, name_text = _text(group), _text(name) or ""
    label = f"{group_text}/{name_text}" if group_text else name_text
    purl_text, version_text, ref_text = _text(purl), _text(version), _text(bom_ref)
    if kind in NOT_SOFTWARE:
        return SkippedComponent(
            label,
            f"component type {kind!r} is not software",
            version_text,
            purl_text,
            ref_text,
            location,
        )
    return component_from_purl(
        purl_text, name=label, version=version_text, bom_ref=ref_text, location=location
    )


def _statement(
    vulnerability_id: str,
    state: str,
    justification: str | None,
    detail: str | None,
    refs: Iterable[str],
    subject_ref: str | None,
) -> VexStatement:
    named = tuple(refs)
    # A statement about the SBOM's subject (the product as a whole) holds for every component
    # in it: "product ABC is not affected by CVE-x" rules CVE-x out wherever it matched.
    if subject_ref and subject_ref in named:
        named = ()
    return VexStatement(vulnerability_id, state, justification, detail, named)


def _services_warning(count: int) -> str:
    noun = "service is" if count == 1 else "services are"
    return f"{count} {noun} listed; services are not matched against packages"


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return value.strip() or None
