"""STIX 2.1 from real OSV records: valid by stix2's own parser, stable, and golden-file checked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import stix2

from clearinghouse.formats import load_kev_catalog
from clearinghouse.formats.osv import load_osv_yaml
from clearinghouse.formats.stix import (
    TLP2_EXTENSION_DEFINITION_ID,
    TLP2_MARKINGS,
    KevFacts,
    StixExportError,
    bundle,
    record_objects,
    serialize,
    software_id,
)

RECEIVED = datetime(2026, 12, 1, tzinfo=UTC)
GOLDEN_RECORD = "salt/PYSEC-2020-102.yaml"  # fixed versions, a CVE alias and a KEV entry
OFFICIAL_TLP2_IDS = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


def _record(shared_data: Path, name: str) -> dict[str, Any]:
    path = shared_data / "osv" / "pypi" / name
    return load_osv_yaml(path.read_bytes(), source=str(path))


def _kev(shared_data: Path, document: dict[str, Any]) -> list[KevFacts]:
    path = shared_data / "kev" / "known_exploited_vulnerabilities.json"
    aliases = {document["id"], *document.get("aliases", [])}
    return [
        KevFacts(
            cve_id=entry.cve_id,
            vendor_project=entry.vendor_project,
            product=entry.product,
            date_added=entry.date_added,
            due_date=entry.due_date,
            required_action=entry.required_action,
            known_ransomware_campaign_use=entry.known_ransomware_campaign_use,
        )
        for entry in load_kev_catalog(path.read_bytes()).entries
        if entry.cve_id in aliases
    ]


def _by_type(objects: list[Any], kind: str) -> list[Any]:
    return [obj for obj in objects if obj["type"] == kind]


def test_golden_bundle_of_a_known_exploited_record(
    shared_data: Path, golden: Callable[[str, Any], None]
) -> None:
    document = _record(shared_data, GOLDEN_RECORD)
    kev = _kev(shared_data, document)
    assert [fact.cve_id for fact in kev] == ["CVE-2020-11651"]
    text = serialize(bundle(record_objects(document, tlp="AMBER", kev=kev)))
    parsed = stix2.parse(text, allow_custom=True)
    assert isinstance(parsed, stix2.Bundle)
    golden("stix/PYSEC-2020-102", orjson.loads(text))


def test_objects_say_what_the_record_says(shared_data: Path) -> None:
    document = _record(shared_data, GOLDEN_RECORD)
    objects = record_objects(document, tlp="GREEN", kev=_kev(shared_data, document))
    (vulnerability,) = _by_type(objects, "vulnerability")
    assert vulnerability.name == "PYSEC-2020-102"
    references = {
        (r.source_name, r.get("external_id")): r.get("url")
        for r in vulnerability.external_references
    }
    assert (
        references[("cve", "CVE-2020-11651")] == "https://www.cve.org/CVERecord?id=CVE-2020-11651"
    )
    assert references[("osv", "PYSEC-2020-102")] == "https://osv.dev/vulnerability/PYSEC-2020-102"
    assert vulnerability.x_cisa_kev[0]["due_date"] == "2022-05-03"
    (software,) = _by_type(objects, "software")
    assert (software.name, software.x_purl) == ("salt", "pkg:pypi/salt")
    assert software.id == software_id("PyPI", "salt", "pkg:pypi/salt")
    actions = _by_type(objects, "course-of-action")
    assert any(a.name.startswith("Upgrade salt to ") and "2019.2.4" in a.name for a in actions)
    assert any(a.name.startswith("CISA KEV required action") for a in actions)
    relationships = _by_type(objects, "relationship")
    kinds = sorted(
        (r.relationship_type, r.source_ref.split("--")[0], r.target_ref.split("--")[0])
        for r in relationships
    )
    assert kinds == [
        ("mitigates", "course-of-action", "vulnerability"),
        ("mitigates", "course-of-action", "vulnerability"),
        ("related-to", "vulnerability", "software"),
    ]
    green = OFFICIAL_TLP2_IDS["GREEN"]
    assert all(obj.object_marking_refs == [green] for obj in objects)


def test_official_tlp2_markings() -> None:
    assert {label: m.id for label, m in TLP2_MARKINGS.items()} == OFFICIAL_TLP2_IDS
    for label, marking in TLP2_MARKINGS.items():
        assert marking.name == f"TLP:{label}"
        extension = marking.extensions[TLP2_EXTENSION_DEFINITION_ID]
        assert extension["tlp_2_0"] == label.lower()
        assert extension["extension_type"] == "property-extension"


def test_unknown_label_is_marked_red(shared_data: Path) -> None:
    objects = record_objects(_record(shared_data, GOLDEN_RECORD), tlp="PURPLE")
    assert {ref for obj in objects for ref in obj.object_marking_refs} == {OFFICIAL_TLP2_IDS["RED"]}


def test_every_record_parses_back_and_reexports_identically(shared_data: Path) -> None:
    paths = sorted((shared_data / "osv" / "pypi").glob("*/*.yaml"))[:400]
    assert len(paths) == 400
    objects: list[Any] = []
    for path in paths:
        document = load_osv_yaml(path.read_bytes(), source=str(path))
        # Some records (PYSEC-2024-55) have neither date: the store passes its own.
        first = record_objects(document, tlp="CLEAR", received_at=RECEIVED)
        again = record_objects(document, tlp="CLEAR", received_at=RECEIVED)
        assert [serialize(o) for o in first] == [serialize(o) for o in again]
        objects += first
    text = serialize(bundle(objects))
    parsed = stix2.parse(text, allow_custom=True)
    ids = [obj.id for obj in parsed.objects]
    assert len(ids) == len(set(ids))
    refs = {
        ref
        for obj in parsed.objects
        for ref in (obj.get("source_ref"), obj.get("target_ref"))
        if ref
    }
    assert refs <= set(ids), "a relationship points at an object the bundle lacks"
    with pytest.raises(stix2.exceptions.STIXError):
        stix2.parse(text, allow_custom=False)


def test_a_package_in_two_ecosystems_is_two_software_objects() -> None:
    assert software_id("PyPI", "requests", None) != software_id("npm", "requests", None)


def test_a_record_without_timestamps_is_refused() -> None:
    with pytest.raises(StixExportError, match="modified"):
        record_objects({"id": "X-1"})
    with pytest.raises(StixExportError, match="placeholder"):
        record_objects({"id": "X-1", "modified": "0001-01-01T00:00:00Z"})
    (received,) = record_objects(
        {"id": "X-1", "modified": "0001-01-01T00:00:00Z"}, received_at=RECEIVED
    )
    assert received.modified == RECEIVED
    (fallback,) = record_objects(
        {"id": "X-1", "modified": "0001-01-01T00:00:00Z", "published": "2024-02-03T00:00:00Z"}
    )
    assert fallback.created == fallback.modified
    assert fallback.modified.isoformat().startswith("2024-02-03")
    with pytest.raises(StixExportError, match="no id"):
        record_objects({"modified": "2024-01-01T00:00:00Z"})
