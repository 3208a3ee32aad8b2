"""CycloneDX 1.2 to 1.6, JSON and XML: components, skipped entries with reasons, VEX, and the
first schema problem named with its place."""

from __future__ import annotations

import contextlib
from pathlib import Path

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.formats.components import Component, SbomDocument, VexStatement
from clearinghouse.formats.cyclonedx import (
    SUPPORTED_VERSIONS,
    _json_validator,
    component_from_purl,
    read_cyclonedx,
    read_cyclonedx_json,
    read_cyclonedx_xml,
)
from clearinghouse.formats.errors import FormatError, InvalidRecord

DATA = Path(__file__).parent / "data" / "sbom" / "cyclonedx"


def _read(name: str) -> SbomDocument:
    return read_cyclonedx((DATA / name).read_bytes(), source=name)


def _bom(version: str = "1.6", **fields: object) -> dict[str, object]:
    return {"bomFormat": "CycloneDX", "specVersion": version, "version": 1, **fields}


def test_json_components_and_their_ecosystems() -> None:
    document = _read("payments-api.cdx.json")
    assert (document.format, document.format_version, document.encoding) == (
        "CycloneDX",
        "1.6",
        "json",
    )
    assert document.name == "payments-api"  # metadata.component: the subject, not a component
    found = {(c.ecosystem, c.name, c.version) for c in document.components}
    assert found == {
        ("PyPI", "requests", "2.31.0"),
        ("PyPI", "jinja2", "3.1.2"),
        ("npm", "@babel/traverse", "7.22.5"),
        ("Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"),
        ("Go", "golang.org/x/net", "v0.17.0"),
        ("Debian:12", "openssl", "3.0.11-1~deb12u2"),
        ("Debian:12", "zlib1g", "1:1.2.13.dfsg-1"),
    }
    jinja = next(c for c in document.components if c.name == "jinja2")
    assert jinja.purl == "pkg:pypi/Jinja2@3.1.2"  # kept as written, for VEX refs by purl
    assert jinja.bom_ref == "jinja2" and jinja.location == "components[1]"


def test_json_nested_components_are_walked() -> None:
    document = _read("payments-api.cdx.json")
    locations = {c.name: c.location for c in document.components}
    assert locations["openssl"] == "components[5].components[0]"
    assert locations["zlib1g"] == "components[5].components[1]"
    assert document.declared == 13  # 11 top-level components, 2 nested in the container


def test_json_skipped_components_say_why() -> None:
    reasons = {s.bom_ref: s.reason for s in _read("payments-api.cdx.json").skipped}
    assert reasons == {
        "python-base-image": "purl type 'oci' is not matched",
        "internal-utils": "no purl",
        "left-pad": "purl has no version",
        "vendored-openssl": "purl type 'generic' is not matched",
        "fraud-model": "component type 'machine-learning-model' is not software",
        "iban-registry": "component type 'data' is not software",
    }


def test_json_vex_statements() -> None:
    document = _read("payments-api.cdx.json")
    statements = {v.vulnerability: v for v in document.vex}
    assert statements["CVE-2021-44228"] == VexStatement(
        "CVE-2021-44228",
        "not_affected",
        "code_not_reachable",
        "JndiLookup.class is removed from the shaded jar at build time.",
        ("log4j-core",),
    )
    assert statements["CVE-2021-44228"].suppresses
    assert statements["CVE-2023-44487"].refs == ("pkg:golang/golang.org/x/net@v0.17.0",)
    assert not statements["CVE-2023-44487"].suppresses  # exploitable
    # A statement about the subject (the product as a whole) holds for every component.
    assert statements["CVE-2024-22195"].refs == ()
    assert statements["GHSA-67hx-6x53-jw92"].refs == (
        "urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#babel-traverse",
    )
    # A vulnerability without an analysis (a VDR entry) is no statement.
    assert "CVE-2023-32681" not in statements
    assert document.warnings == ("1 service is listed; services are not matched against packages",)


def test_xml_components_nested_vex_and_skips() -> None:
    document = _read("billing-worker.cdx.xml")
    assert (document.format_version, document.encoding, document.name) == (
        "1.5",
        "xml",
        "billing-worker",
    )
    assert [(c.ecosystem, c.name, c.version, c.location) for c in document.components] == [
        ("crates.io", "serde", "1.0.188", "components[0]"),
        ("Maven", "org.springframework:spring-web", "5.3.20", "components[1]"),
        (
            "Maven",
            "com.fasterxml.jackson.core:jackson-databind",
            "2.13.2.1",
            "components[1].components[0]",
        ),
        ("Alpine:v3.18", "musl", "1.2.4-r2", "components[2]"),
    ]
    assert {s.name: s.reason for s in document.skipped} == {
        "alpine": "no purl",
        "Luna Network HSM": "component type 'device' is not software",
    }
    assert document.vex == (
        VexStatement(
            "CVE-2022-42003",
            "not_affected",
            "requires_configuration",
            "UNWRAP_SINGLE_VALUE_ARRAYS is never enabled.",
            ("jackson-databind",),
        ),
        VexStatement("CVE-2023-5363", "resolved", None, None, ()),
    )


def test_oldest_supported_json() -> None:
    document = _read("lhc-editor-1.2.json")
    assert document.format_version == "1.2" and document.name == "lhc-vdm-editor"
    assert [c.name for c in document.components] == ["debug", "ms", "minimist"]


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.7", "2.0", "1.5.1"])
def test_unsupported_json_versions(version: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_cyclonedx_json(orjson.dumps(_bom(version)), source="bom.json")
    assert caught.value.path == "$.specVersion"
    assert f"unsupported spec version '{version}'" in str(caught.value)
    assert str(caught.value).startswith("bom.json: ")


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.7"])
def test_unsupported_xml_versions(version: str) -> None:
    xml = f'<bom xmlns="http://cyclonedx.org/schema/bom/{version}" version="1"/>'
    with pytest.raises(InvalidRecord, match=f"unsupported spec version '{version}'"):
        read_cyclonedx_xml(xml.encode(), source="bom.xml")


def test_the_first_schema_problem_is_named_with_its_path() -> None:
    bom = _bom(components=[{"type": "library", "name": "a"}, {"type": "librar", "name": "b"}])
    with pytest.raises(InvalidRecord) as caught:
        read_cyclonedx_json(orjson.dumps(bom), source="bom.json")
    assert caught.value.path == "$.components[1].type"
    assert "not valid CycloneDX 1.6" in caught.value.reason and '"librar"' in caught.value.reason


def test_a_missing_required_property_is_named() -> None:
    bom = _bom(components=[{"type": "library", "version": "1.0"}])
    with pytest.raises(InvalidRecord) as caught:
        read_cyclonedx_json(orjson.dumps(bom), source="bom.json")
    assert caught.value.path == "$.components[0].name"


def test_strict_schema_refuses_unknown_properties() -> None:
    bom = _bom("1.4", components=[{"type": "library", "name": "a", "colour": "blue"}])
    with pytest.raises(InvalidRecord, match="colour"):
        read_cyclonedx_json(orjson.dumps(bom))


def test_formats_are_checked() -> None:
    bom = _bom("1.5", metadata={"timestamp": "yesterday"})
    with pytest.raises(InvalidRecord) as caught:
        read_cyclonedx_json(orjson.dumps(bom))
    assert caught.value.path == "$.metadata.timestamp"


def test_long_messages_are_shortened() -> None:
    bom = _bom(components=[{"type": "library", "name": "x" * 2000, "licenses": "MIT"}])
    with pytest.raises(InvalidRecord) as caught:
        read_cyclonedx_json(orjson.dumps(bom))
    assert len(caught.value.reason) < 400


def test_xml_schema_problem_names_the_line() -> None:
    xml = (DATA / "billing-worker.cdx.xml").read_bytes().replace(b"<name>serde", b"<nam>serde")
    xml = xml.replace(b"</name>\n      <version>1.0.188", b"</nam>\n      <version>1.0.188")
    with pytest.raises(InvalidRecord) as caught:
        read_cyclonedx_xml(xml, source="bom.xml")
    assert caught.value.path == "line 12"
    assert "Element 'nam': This element is not expected" in caught.value.reason


@pytest.mark.parametrize(
    "xml",
    [
        b'<?xml version="1.0"?><!DOCTYPE bom [<!ENTITY a "aaaa">]><bom>&a;</bom>',
        b'<?xml version="1.0"?><!DOCTYPE bom SYSTEM "http://example.com/bom.dtd"><bom/>',
        b'<!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]><bom>&x;</bom>',
    ],
)
def test_xml_with_a_dtd_is_refused(xml: bytes) -> None:
    with pytest.raises(InvalidRecord, match="DTD or entities"):
        read_cyclonedx_xml(xml, source="bom.xml")


def test_malformed_xml_names_line_and_column() -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_cyclonedx_xml(b"<bom>\n  <components>\n</bom>", source="bom.xml")
    assert caught.value.path == "line 3, column 3"
    assert "mismatched tag" in caught.value.reason


def test_xml_that_is_not_utf8_is_refused() -> None:
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1"><metadata>'
        '<component type="application"><name>Café</name></component></metadata></bom>'
    )
    with pytest.raises(InvalidRecord, match="UTF-8"):
        read_cyclonedx_xml(xml.encode("latin-1"))


def test_other_json_and_xml_are_not_cyclonedx() -> None:
    with pytest.raises(InvalidRecord, match="bomFormat"):
        read_cyclonedx_json(b'{"spdxVersion": "SPDX-2.3"}')
    with pytest.raises(InvalidRecord, match="root element"):
        read_cyclonedx_xml(b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    with pytest.raises(InvalidRecord, match="neither JSON nor XML"):
        read_cyclonedx(b"bomFormat: CycloneDX")


def test_every_supported_json_schema_compiles_offline() -> None:
    # The retriever refuses every URL: a schema that needed the network would fail here.
    for version in SUPPORTED_VERSIONS:
        assert _json_validator(version).is_valid(_bom(version))


def test_every_supported_xml_schema_validates_offline() -> None:
    for version in SUPPORTED_VERSIONS:
        xml = f'<bom xmlns="http://cyclonedx.org/schema/bom/{version}" version="1"/>'
        assert read_cyclonedx_xml(xml.encode()).declared == 0


def _nested_bom(depth: int) -> bytes:
    text = '{"type": "library", "name": "leaf", "purl": "pkg:npm/leaf@1.0.0"}'
    for level in range(depth):
        text = f'{{"type": "library", "name": "n{level}", "components": [{text}]}}'
    return f'{{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{text}]}}'.encode()


_AGREEMENT_CASES = [
    _bom("1.2", components=[{"type": "library", "name": "a"}]),  # 1.2 wants a version
    _bom("1.3", components=[{"type": "library", "name": "a", "version": "1", "x": 1}]),
    _bom("1.4", vulnerabilities=[{"id": "CVE-1", "analysis": {"state": "maybe"}}]),
    _bom("1.5", components=[{"type": "library", "name": "a", "hashes": [{"alg": "MD5"}]}]),
    _bom("1.6", metadata={"timestamp": "2024-13-01T00:00:00Z"}),
    _bom("1.6", serialNumber="urn:uuid:not-a-uuid"),
    _bom("1.6", components=[{"type": "library", "name": "a", "bom-ref": ""}]),
]


@pytest.mark.parametrize(
    "document",
    [
        # The library's first IRI check compiles rfc3987's grammar: seconds, once.
        pytest.param(
            orjson.loads((DATA / "payments-api.cdx.json").read_bytes()), marks=pytest.mark.slow
        ),
        orjson.loads((DATA / "lhc-editor-1.2.json").read_bytes()),
        *_AGREEMENT_CASES,
    ],
)
def test_schema_verdicts_agree_with_cyclonedx_python_lib(document: dict[str, object]) -> None:
    """Our validator runs the library's own strict schemas; its verdicts must be the library's."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    version = str(document["specVersion"])
    library = JsonStrictValidator(SchemaVersion.from_version(version))
    library_valid = library.validate_str(orjson.dumps(document).decode()) is None
    assert _json_validator(version).is_valid(document) == library_valid


def test_deep_nesting_is_walked_without_recursion() -> None:
    document = read_cyclonedx_json(_nested_bom(400))
    assert document.declared == 401
    assert document.components[0].location.count("components") == 401


@pytest.mark.parametrize("depth", [1000, 5000])
def test_nesting_beyond_the_parsers_limits_is_an_error(depth: int) -> None:
    with pytest.raises(InvalidRecord, match=r"depth|[Rr]ecursion"):
        read_cyclonedx_json(_nested_bom(depth))
    arrays = b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "metadata": {"component": '
    with pytest.raises(InvalidRecord):
        read_cyclonedx_json(arrays + b"[" * (depth // 2) + b"]" * (depth // 2) + b"}}")


def test_large_sbom_reads_quickly() -> None:
    components = [
        {"type": "library", "bom-ref": f"c{i}", "name": f"p{i}", "purl": f"pkg:pypi/p{i}@1.{i}"}
        for i in range(10_000)
    ]
    document = read_cyclonedx_json(orjson.dumps(_bom("1.5", components=components)))
    assert len(document.components) == 10_000


def test_component_from_purl_reasons() -> None:
    assert isinstance(component_from_purl("pkg:cargo/rand@0.8.5", name="rand"), Component)
    assert component_from_purl(None, name="x").reason == "no purl"
    assert component_from_purl("  ", name="x").reason == "no purl"
    assert component_from_purl("pkg:cargo/rand", name="x").reason == "purl has no version"
    assert component_from_purl("pkg:github/a/b@1", name="x").reason == (
        "purl type 'github' is not matched"
    )
    assert component_from_purl("not a purl", name="x").reason.startswith("invalid purl")
    assert component_from_purl("pkg:maven/log4j@1", name="x").reason.startswith("invalid purl")


purls = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.builds(
        lambda kind, ns, name, version: f"pkg:{kind}/{ns}{name}{version}",
        st.sampled_from(["pypi", "npm", "golang", "maven", "deb", "apk", "generic", "", "PYPI"]),
        st.sampled_from(["", "@scope/", "a/b/", "%40x/", "debian/"]),
        st.text(max_size=12),
        st.sampled_from(["", "@1.0", "@", "@v1?distro=debian-12", "@1#sub", "?x=y"]),
    ),
)
component_types = st.sampled_from(
    ["library", "framework", "application", "data", "device", "container", "file"]
)


@st.composite
def boms(draw: st.DrawFn) -> dict[str, object]:
    def component(depth: int) -> dict[str, object]:
        entry: dict[str, object] = {"type": draw(component_types), "name": draw(st.text())}
        purl = draw(purls)
        if purl is not None:
            entry["purl"] = purl
        if depth < 2 and draw(st.booleans()):
            entry["components"] = [component(depth + 1) for _ in range(draw(st.integers(0, 2)))]
        return entry

    return _bom(
        draw(st.sampled_from(SUPPORTED_VERSIONS)),
        components=[component(0) for _ in range(draw(st.integers(0, 4)))],
    )


@given(boms())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_purl_in_a_valid_bom_is_read_or_skipped(bom: dict[str, object]) -> None:
    try:
        document = read_cyclonedx_json(orjson.dumps(bom))
    except InvalidRecord as exc:  # e.g. 1.2 wants a version: the schema says so, with a path
        assert exc.path.startswith("$")
        return
    assert document.declared == _count(bom.get("components"))


def _count(items: object) -> int:
    if not isinstance(items, list):
        return 0
    return sum(1 + _count(item.get("components")) for item in items if isinstance(item, dict))


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_any_bytes_raise_only_format_errors(data: bytes) -> None:
    for candidate in (data, b"<" + data, b"{" + data):
        with contextlib.suppress(FormatError):
            read_cyclonedx(candidate, source="fuzz")


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_any_xml_text_under_a_cyclonedx_root_raises_only_format_errors(body: str) -> None:
    xml = f'<bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1">{body}</bom>'
    with contextlib.suppress(FormatError):
        read_cyclonedx_xml(xml.encode("utf-8", "surrogatepass"))
