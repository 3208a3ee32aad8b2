"""OSV records (and their CISA KEV facts) as STIX 2.1 objects, built with the `stix2` library.

One record becomes:
- a `vulnerability` SDO named by the record's own id, with external references to every
  identifier it carries (CVE at cve.org, GHSA at github.com/advisories, the rest at osv.dev),
  its CWEs and its references;
- a `software` SCO per affected package, and a `related-to` relationship from the
  vulnerability to it. STIX 2.1 defines no relationship type between a vulnerability and
  software (its vulnerability relationships are `targets`, `exploits`, `mitigates` and
  infrastructure `has`, none of them from software or to it), so the spec's generic
  `related-to` is the one it offers for this pair;
- a `course-of-action` per affected package that has fixed versions ("upgrade to ..."),
  linking the advisory, which `mitigates` the vulnerability; and one for the KEV required
  action when the record is known exploited;
- every object marked with the official TLP 2.0 marking definition of the record's label
  (OASIS's objects with fixed ids, defined through the TLP 2.0 extension definition;
  stix2 3.0 ships only TLP 1.0's, so they are built here from the published values).

STIX 2.1 `software` has `cpe` and `swid` but no field for a package URL, the identifier OSV
uses. The purl goes in the custom property `x_purl` (and the ecosystem in `x_osv_ecosystem`),
so a reader must parse with `allow_custom=True`. For the same reason the software's id is
not stix2's default (name/vendor/version only: `requests` on PyPI and on npm would be one
object) but a UUIDv5 in the SCO namespace of the purl, or of ecosystem/name without one.

Ids are UUIDv5 of the record id (and package), timestamps are the record's own: exporting
the same record twice gives the same objects, byte for byte. A publication date before
1970 (feeds write 0001-01-01 for "unknown") is ignored, and the other of `modified` and
`published` stands in for it; with neither, the time the record reached us (if the caller
knows it), or else the record is refused (`StixExportError`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import stix2

from clearinghouse.formats.errors import FormatError

__all__ = [
    "STIX_NAMESPACE",
    "TLP2_EXTENSION_DEFINITION_ID",
    "TLP2_MARKINGS",
    "KevFacts",
    "StixExportError",
    "bundle",
    "marking_for",
    "record_objects",
    "serialize",
    "stix_id",
]

# Our namespace for the ids of the objects we author (SDOs, SROs): fixed forever, since
# changing it would make every re-export look like new objects to every consumer.
STIX_NAMESPACE = uuid.UUID("4c1b0e7e-6a59-5c3b-9d27-5a0f0b9b8a11")
# STIX 2.1 section 2.9: the namespace of deterministic SCO ids.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

# Some feeds write 0001-01-01 for "unknown"; STIX timestamps cannot say that.
PLACEHOLDER_BEFORE_YEAR = 1970

TLP2_EXTENSION_DEFINITION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
_TLP2_IDS = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


class StixExportError(FormatError):
    """A record that cannot be expressed in STIX 2.1 (no id, bad timestamps)."""


def _tlp2_marking(label: str) -> stix2.MarkingDefinition:
    marking: stix2.MarkingDefinition = stix2.parse(
        {
            "type": "marking-definition",
            "spec_version": "2.1",
            "id": _TLP2_IDS[label],
            "created": "2022-10-01T00:00:00.000Z",
            "name": f"TLP:{label}",
            "extensions": {
                TLP2_EXTENSION_DEFINITION_ID: {
                    "extension_type": "property-extension",
                    "tlp_2_0": label.lower(),
                }
            },
        }
    )
    return marking


TLP2_MARKINGS: dict[str, stix2.MarkingDefinition] = {
    label: _tlp2_marking(label) for label in _TLP2_IDS
}


def marking_for(tlp: str) -> stix2.MarkingDefinition:
    """The TLP 2.0 marking of a stored label; an unknown label is marked RED (fails closed)."""
    return TLP2_MARKINGS.get(tlp, TLP2_MARKINGS["RED"])


@dataclass(frozen=True)
class KevFacts:
    """What CISA's KEV catalog says about one CVE of the record."""

    cve_id: str
    vendor_project: str
    product: str
    date_added: date
    due_date: date
    required_action: str
    known_ransomware_campaign_use: str


def stix_id(object_type: str, *parts: str) -> str:
    """A deterministic id for an object we author, from the record id and what it is about."""
    return f"{object_type}--{uuid.uuid5(STIX_NAMESPACE, '|'.join(parts))}"


def _timestamp(value: Any, what: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise StixExportError(f"{what} is missing or not a timestamp")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise StixExportError(f"{what} is not an RFC 3339 timestamp: {value!r}") from None
    if parsed.year < PLACEHOLDER_BEFORE_YEAR:
        raise StixExportError(f"{what} is a placeholder, not a date: {value!r}")
    return parsed


def _identifier_reference(identifier: str) -> dict[str, str]:
    if identifier.startswith("CVE-"):
        return {
            "source_name": "cve",
            "external_id": identifier,
            "url": f"https://www.cve.org/CVERecord?id={identifier}",
        }
    if identifier.startswith("GHSA-"):
        return {
            "source_name": "github",
            "external_id": identifier,
            "url": f"https://github.com/advisories/{identifier}",
        }
    return {
        "source_name": "osv",
        "external_id": identifier,
        "url": f"https://osv.dev/vulnerability/{identifier}",
    }


def _cwe_ids(document: Mapping[str, Any]) -> list[str]:
    specific = document.get("database_specific")
    cwes = specific.get("cwe_ids") if isinstance(specific, Mapping) else None
    if not isinstance(cwes, list):
        return []
    return [cwe for cwe in cwes if isinstance(cwe, str) and cwe.startswith("CWE-")]


def _external_references(document: Mapping[str, Any], osv_id: str) -> list[dict[str, str]]:
    aliases = [a for a in document.get("aliases") or [] if isinstance(a, str)]
    references = [_identifier_reference(osv_id)]
    references += [_identifier_reference(alias) for alias in aliases if alias != osv_id]
    references += [
        {
            "source_name": "cwe",
            "external_id": cwe,
            "url": f"https://cwe.mitre.org/data/definitions/{cwe.removeprefix('CWE-')}.html",
        }
        for cwe in _cwe_ids(document)
    ]
    for reference in document.get("references") or []:
        if isinstance(reference, Mapping) and isinstance(reference.get("url"), str):
            kind = str(reference.get("type") or "web").lower()
            references.append({"source_name": f"osv-{kind}", "url": reference["url"]})
    return references


def _advisory_url(document: Mapping[str, Any], osv_id: str) -> str:
    for reference in document.get("references") or []:
        if isinstance(reference, Mapping) and reference.get("type") == "ADVISORY":
            url = reference.get("url")
            if isinstance(url, str):
                return url
    return f"https://osv.dev/vulnerability/{osv_id}"


@dataclass(frozen=True)
class _Package:
    ecosystem: str
    name: str
    purl: str | None
    fixed: tuple[str, ...]
    ranges: str


def _fixed_versions(affected: Mapping[str, Any]) -> tuple[str, ...]:
    fixed: list[str] = []
    for range_ in affected.get("ranges") or []:
        if not isinstance(range_, Mapping):
            continue
        for event in range_.get("events") or []:
            value = event.get("fixed") if isinstance(event, Mapping) else None
            if isinstance(value, str) and value not in fixed:
                fixed.append(value)
    return tuple(fixed)


def _range_text(affected: Mapping[str, Any]) -> str:
    spans: list[str] = []
    for range_ in affected.get("ranges") or []:
        if not isinstance(range_, Mapping):
            continue
        introduced = "?"
        for event in range_.get("events") or []:
            if not isinstance(event, Mapping):
                continue
            if isinstance(event.get("introduced"), str):
                introduced = event["introduced"]
            for end, sign in (("fixed", "<"), ("last_affected", "<=")):
                if isinstance(event.get(end), str):
                    spans.append(f">={introduced}, {sign}{event[end]}")
        if introduced != "?" and not any(s.startswith(f">={introduced},") for s in spans):
            spans.append(f">={introduced}")
    return "; ".join(spans)


def _packages(document: Mapping[str, Any]) -> list[_Package]:
    packages: dict[tuple[str, str], _Package] = {}
    for affected in document.get("affected") or []:
        if not isinstance(affected, Mapping):
            continue
        package = affected.get("package")
        if not isinstance(package, Mapping):
            continue
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if not isinstance(ecosystem, str) or not isinstance(name, str) or not name:
            continue
        purl = package.get("purl") if isinstance(package.get("purl"), str) else None
        key = (ecosystem, name)
        previous = packages.get(key)
        fixed = _fixed_versions(affected)
        ranges = _range_text(affected)
        if previous is not None:  # one package named in several `affected` entries
            fixed = previous.fixed + tuple(v for v in fixed if v not in previous.fixed)
            ranges = "; ".join(r for r in (previous.ranges, ranges) if r)
            purl = previous.purl  # the first spelling, as the ingester keeps it
        packages[key] = _Package(ecosystem, name, purl, fixed, ranges)
    return list(packages.values())


def _vendor(package: _Package) -> str | None:
    # Only where the ecosystem's name itself says who publishes it.
    base = package.ecosystem.split(":", 1)[0]
    if base == "Maven" and ":" in package.name:
        return package.name.split(":", 1)[0]
    if base == "Packagist" and "/" in package.name:
        return package.name.split("/", 1)[0]
    return None


def software_id(package_ecosystem: str, package_name: str, purl: str | None) -> str:
    """The deterministic id of a package's `software` SCO (see the module docstring)."""
    key = purl or f"{package_ecosystem}/{package_name}"
    return f"software--{uuid.uuid5(SCO_NAMESPACE, key)}"


def _software(package: _Package, marking: str) -> stix2.Software:
    properties: dict[str, Any] = {
        "id": software_id(package.ecosystem, package.name, package.purl),
        "name": package.name,
        "x_osv_ecosystem": package.ecosystem,
        "object_marking_refs": [marking],
    }
    vendor = _vendor(package)
    if vendor:
        properties["vendor"] = vendor
    if package.purl:
        properties["x_purl"] = package.purl
    return stix2.Software(allow_custom=True, **properties)


def _kev_properties(kev: Sequence[KevFacts]) -> dict[str, Any]:
    if not kev:
        return {}
    return {
        "x_cisa_kev": [
            {
                "cve_id": fact.cve_id,
                "vendor_project": fact.vendor_project,
                "product": fact.product,
                "date_added": fact.date_added.isoformat(),
                "due_date": fact.due_date.isoformat(),
                "required_action": fact.required_action,
                "known_ransomware_campaign_use": fact.known_ransomware_campaign_use,
            }
            for fact in kev
        ]
    }


def _description(document: Mapping[str, Any]) -> str:
    summary = document.get("summary") if isinstance(document.get("summary"), str) else ""
    details = document.get("details") if isinstance(document.get("details"), str) else ""
    return "\n\n".join(part.strip() for part in (summary, details) if part and part.strip())


def _modified_and_created(
    document: Mapping[str, Any], osv_id: str, received_at: datetime | None
) -> tuple[datetime, datetime]:
    """(modified, created) for every object of the record; either date stands in for the other."""
    stamps: dict[str, datetime] = {}
    problems: list[str] = []
    for name in ("modified", "published"):
        try:
            stamps[name] = _timestamp(document.get(name), f"{osv_id}: {name}")
        except StixExportError as exc:
            problems.append(str(exc))
    if not stamps and received_at is not None:
        stamps["modified"] = received_at
    if not stamps:
        raise StixExportError("; ".join(problems))
    modified = stamps.get("modified") or stamps["published"]
    created = stamps.get("published") or modified
    return modified, min(created, modified)  # STIX: modified is never before created


def record_objects(
    document: Mapping[str, Any],
    *,
    tlp: str = "CLEAR",
    kev: Sequence[KevFacts] = (),
    received_at: datetime | None = None,
) -> list[Any]:
    """The STIX 2.1 objects of one OSV record (without the marking definition itself).

    `received_at` (when the record first reached us) dates a record that has neither a
    usable `modified` nor `published`.
    """
    osv_id = document.get("id")
    if not isinstance(osv_id, str) or not osv_id:
        raise StixExportError("the OSV record has no id")
    modified, created = _modified_and_created(document, osv_id, received_at)
    marking = marking_for(tlp).id
    common: dict[str, Any] = {
        "created": created,
        "modified": modified,
        "object_marking_refs": [marking],
    }
    vulnerability_id = stix_id("vulnerability", osv_id)
    vulnerability_properties: dict[str, Any] = {
        "id": vulnerability_id,
        "name": osv_id,
        "external_references": _external_references(document, osv_id),
        **common,
        **_kev_properties(kev),
    }
    description = _description(document)
    if description:
        vulnerability_properties["description"] = description
    if document.get("withdrawn"):
        vulnerability_properties["revoked"] = True
    objects: list[Any] = [stix2.Vulnerability(allow_custom=True, **vulnerability_properties)]
    advisory = _advisory_url(document, osv_id)
    for package in _packages(document):
        software = _software(package, marking)
        objects.append(software)
        objects.append(
            stix2.Relationship(
                id=stix_id("relationship", osv_id, "related-to", software.id),
                relationship_type="related-to",
                source_ref=vulnerability_id,
                target_ref=software.id,
                description=f"{osv_id} affects {package.ecosystem} {package.name}"
                + (f" ({package.ranges})" if package.ranges else ""),
                **common,
            )
        )
        if package.fixed:
            objects += _fix(osv_id, package, advisory, vulnerability_id, common)
    for fact in kev:
        objects += _kev_action(osv_id, fact, vulnerability_id, common)
    return objects


def _fix(
    osv_id: str,
    package: _Package,
    advisory: str,
    vulnerability_id: str,
    common: Mapping[str, Any],
) -> list[Any]:
    versions = ", ".join(package.fixed)
    action = stix2.CourseOfAction(
        id=stix_id("course-of-action", osv_id, "fix", package.ecosystem, package.name),
        name=f"Upgrade {package.name} to {versions}",
        description=(
            f"Upgrade the {package.ecosystem} package {package.name} to a fixed version "
            f"({versions}) or later, as the advisory says: {advisory}"
        ),
        external_references=[{"source_name": "advisory", "url": advisory}],
        **common,
    )
    return [action, _mitigates(osv_id, action.id, vulnerability_id, common)]


def _kev_action(
    osv_id: str, fact: KevFacts, vulnerability_id: str, common: Mapping[str, Any]
) -> list[Any]:
    action = stix2.CourseOfAction(
        id=stix_id("course-of-action", osv_id, "kev", fact.cve_id),
        name=f"CISA KEV required action for {fact.cve_id} (due {fact.due_date.isoformat()})",
        description=fact.required_action,
        external_references=[
            {
                "source_name": "cisa-kev",
                "external_id": fact.cve_id,
                "url": "https://www.cisa.gov/known-exploited-vulnerabilities-catalog",
            }
        ],
        **common,
    )
    return [action, _mitigates(osv_id, action.id, vulnerability_id, common)]


def _mitigates(
    osv_id: str, action_id: str, vulnerability_id: str, common: Mapping[str, Any]
) -> stix2.Relationship:
    return stix2.Relationship(
        id=stix_id("relationship", osv_id, "mitigates", action_id),
        relationship_type="mitigates",
        source_ref=action_id,
        target_ref=vulnerability_id,
        **common,
    )


def bundle(objects: Iterable[Any]) -> stix2.Bundle:
    """A bundle of `objects` and the TLP 2.0 marking definitions they use, each object once.

    The bundle's id is derived from its contents, so the same export is the same bundle.
    """
    unique: dict[tuple[str, str], Any] = {}
    for obj in objects:
        version = str(obj.get("modified") or obj.get("created") or "")
        unique.setdefault((obj["id"], version), obj)
    used = {ref for obj in unique.values() for ref in obj.get("object_marking_refs") or []}
    markings = [m for m in TLP2_MARKINGS.values() if m.id in used]
    members = markings + list(unique.values())
    key = "\n".join(f"{obj_id}@{version}" for obj_id, version in sorted(unique))
    bundle_id = f"bundle--{uuid.uuid5(STIX_NAMESPACE, key)}"
    return stix2.Bundle(objects=members, id=bundle_id, allow_custom=True)


def serialize(value: Any) -> str:
    """Stable JSON text of a STIX object or bundle (sorted keys, two-space indent)."""
    text: str = value.serialize(pretty=False, sort_keys=True, indent=2)
    return text
