"""CISA's Known Exploited Vulnerabilities catalog (BOD 22-01): the document and its entries."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime
from importlib.resources import files
from typing import Any

import jsonschema_rs
import orjson

from clearinghouse.formats.errors import InvalidRecord, schema_error

KEV_SCHEMA: dict[str, Any] = orjson.loads(
    files("clearinghouse.formats").joinpath("schemas/kev-schema.json").read_bytes()
)


def _document_schema() -> dict[str, Any]:
    # The catalog without its entries, so that one bad entry does not hide the others.
    schema = copy.deepcopy(KEV_SCHEMA)
    schema["properties"]["vulnerabilities"].pop("items", None)
    return schema


_DOCUMENT_VALIDATOR = jsonschema_rs.Draft7Validator(_document_schema(), validate_formats=True)
_ENTRY_VALIDATOR = jsonschema_rs.Draft7Validator(
    {"$defs": KEV_SCHEMA["$defs"], "$ref": "#/$defs/vulnerability"}, validate_formats=True
)


@dataclass(frozen=True)
class KevEntry:
    """One exploited vulnerability and the remediation CISA requires of federal agencies."""

    cve_id: str
    vendor_project: str
    product: str
    vulnerability_name: str
    date_added: date
    due_date: date
    short_description: str
    required_action: str
    known_ransomware_campaign_use: str
    notes: str
    cwes: tuple[str, ...]


@dataclass(frozen=True)
class KevCatalog:
    """One release of the catalog."""

    title: str
    catalog_version: str
    date_released: datetime
    count: int
    entries: tuple[KevEntry, ...]


def load_kev_catalog(data: bytes, *, source: str = "") -> KevCatalog:
    """The whole catalog, or InvalidRecord naming the first bad entry's field."""
    catalog, errors = kev_entry_errors(data, source=source)
    if errors:
        raise errors[0]
    return catalog


def kev_entry_errors(data: bytes, *, source: str = "") -> tuple[KevCatalog, list[InvalidRecord]]:
    """The catalog with its good entries, and one InvalidRecord per bad entry.

    A problem with the document itself (not JSON, a missing catalogVersion) still raises.
    """
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        reason = "not valid UTF-8" if "UTF-8" in str(exc) else f"not valid JSON: {exc}"
        raise InvalidRecord(reason, source=source) from exc
    if not isinstance(doc, dict):
        raise InvalidRecord("the KEV catalog must be an object", source=source)
    for error in _DOCUMENT_VALIDATOR.iter_errors(doc):
        raise schema_error(error, source=source)
    entries: list[KevEntry] = []
    errors: list[InvalidRecord] = []
    for i, item in enumerate(doc["vulnerabilities"]):
        try:
            entries.append(_entry(item, source=source, path=f"$.vulnerabilities[{i}]"))
        except InvalidRecord as exc:
            errors.append(exc)
    if len(doc["vulnerabilities"]) != doc["count"]:
        errors.append(
            InvalidRecord(
                f"count is {doc['count']} but the catalog lists "
                f"{len(doc['vulnerabilities'])} vulnerabilities",
                source=source,
                path="$.count",
            )
        )
    catalog = KevCatalog(
        title=doc.get("title", ""),
        catalog_version=doc["catalogVersion"],
        date_released=_date_released(doc["dateReleased"], source),
        count=doc["count"],
        entries=tuple(entries),
    )
    return catalog, errors


def _entry(item: object, *, source: str, path: str) -> KevEntry:
    for error in _ENTRY_VALIDATOR.iter_errors(item):
        raise schema_error(error, source=source, prefix=path)
    assert isinstance(item, dict)  # the schema says so
    return KevEntry(
        cve_id=item["cveID"],
        vendor_project=item["vendorProject"],
        product=item["product"],
        vulnerability_name=item["vulnerabilityName"],
        date_added=_date(item, "dateAdded", source=source, path=path),
        due_date=_date(item, "dueDate", source=source, path=path),
        short_description=item["shortDescription"],
        required_action=item["requiredAction"],
        known_ransomware_campaign_use=item.get("knownRansomwareCampaignUse", "Unknown"),
        notes=item.get("notes", ""),
        cwes=tuple(item.get("cwes", ())),
    )


def _date(item: dict[str, Any], field: str, *, source: str, path: str) -> date:
    value = item[field]
    try:
        if len(value) != len("YYYY-MM-DD"):  # fromisoformat also takes 'YYYYMMDD' and weeks
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRecord(
            f"not a date YYYY-MM-DD: {value!r}", source=source, path=f"{path}.{field}"
        ) from exc


def _date_released(value: str, source: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidRecord(
            f"not a date and time: {value!r}", source=source, path="$.dateReleased"
        ) from exc
    if moment.tzinfo is None:
        raise InvalidRecord(
            f"dateReleased has no time zone: {value!r}", source=source, path="$.dateReleased"
        )
    return moment
