"""Turn one unit of input into records ready to store: detect, parse, validate, extract.

This is the CPU-heavy half of intake and it is pure (no database), so that it can run
in worker processes; what it returns is small and cheap to pickle.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from clearinghouse.errors import ClearinghouseError
from clearinghouse.formats import (
    Format,
    InvalidRecord,
    cve5_to_osv,
    detect_format,
    dump_osv,
    load_cve5,
    load_osv_json,
    load_osv_yaml,
    parse_rustsec,
    rustsec_to_osv,
)
from clearinghouse.formats.detect import HEAD_SIZE
from clearinghouse.formats.kev import kev_entry_errors
from clearinghouse.formats.osv import parse_timestamp
from clearinghouse.intake.errors import InputTooLarge
from clearinghouse.intake.sources import Limits, Refusal, Unit, UnitReader
from clearinghouse.vulnerabilities.package_names import package_name_key
from clearinghouse.vulnerabilities.severity import record_severity

MAX_IDENTIFIER = 255
SUMMARY_CHARS = 300


@dataclass(slots=True)
class ParsedRecord:
    osv_id: str
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    summary: str
    severity: str | None
    aliases: tuple[str, ...]
    packages: tuple[tuple[str, str, str, str | None], ...]  # ecosystem, name, key, purl
    document: str
    content_hash: str
    source: str
    source_file: str


@dataclass(slots=True)
class ParsedKevEntry:
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
    cwes: str
    content_hash: str


@dataclass(slots=True)
class ParsedKevCatalog:
    catalog_version: str
    entries: list[ParsedKevEntry]
    source_file: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file that holds no record of a known format (a LICENSE, a README)."""

    source: str


Parsed = ParsedRecord | ParsedKevCatalog | Refusal | Skipped


def _timestamp(document: dict[str, Any], key: str, source: str) -> datetime | None:
    value = document.get(key)
    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except InvalidRecord as exc:
        raise InvalidRecord(exc.reason, source=source, path=f"$.{key}") from None


def _first_line(details: str) -> str:
    return details.strip().split("\n", 1)[0]


def _shorten(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return f"{cut}\u2026"


def record_from_osv(document: dict[str, Any], *, source: str, source_file: str) -> ParsedRecord:
    """Extract what the store indexes from a validated OSV document."""
    osv_id = document["id"]
    aliases = tuple(dict.fromkeys(a for a in document.get("aliases") or () if a != osv_id))
    for index, identifier in enumerate((osv_id, *aliases)):
        if len(identifier) > MAX_IDENTIFIER:
            path = "$.id" if index == 0 else f"$.aliases[{index - 1}]"
            raise InvalidRecord(
                f"identifier longer than {MAX_IDENTIFIER} characters", source=source_file, path=path
            )
    modified = _timestamp(document, "modified", source_file)
    if modified is None:
        raise InvalidRecord("'modified' is required", source=source_file, path="$.modified")
    packages: dict[tuple[str, str], str | None] = {}
    for affected in document.get("affected") or ():
        package = affected.get("package") or {}
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if ecosystem and name:
            packages.setdefault((ecosystem, name), package.get("purl"))
    summary = document.get("summary") or _first_line(document.get("details") or "")
    return ParsedRecord(
        osv_id=osv_id,
        modified=modified,
        published=_timestamp(document, "published", source_file),
        withdrawn=_timestamp(document, "withdrawn", source_file),
        summary=_shorten(summary, SUMMARY_CHARS),
        severity=record_severity(document),
        aliases=aliases,
        packages=tuple(
            (eco, name, package_name_key(eco, name), purl) for (eco, name), purl in packages.items()
        ),
        document=orjson.dumps(document).decode(),
        content_hash=hashlib.sha256(dump_osv(document)).hexdigest(),
        source=source,
        source_file=source_file,
    )


def _kev_catalog(data: bytes, source_file: str) -> list[Parsed]:
    catalog, errors = kev_entry_errors(data, source=source_file)
    entries = []
    for entry in catalog.entries:
        fields: dict[str, Any] = {
            "cve_id": entry.cve_id,
            "vendor_project": entry.vendor_project,
            "product": entry.product,
            "vulnerability_name": entry.vulnerability_name,
            "date_added": entry.date_added,
            "due_date": entry.due_date,
            "short_description": entry.short_description,
            "required_action": entry.required_action,
            "known_ransomware_campaign_use": entry.known_ransomware_campaign_use,
            "notes": entry.notes,
            "cwes": ",".join(entry.cwes),
        }
        digest = hashlib.sha256(orjson.dumps(fields, default=str)).hexdigest()
        entries.append(ParsedKevEntry(**fields, content_hash=digest))
    results: list[Parsed] = [Refusal(e.source or source_file, str(e)) for e in errors]
    results.append(ParsedKevCatalog(catalog.catalog_version, entries, source_file))
    return results


def _osv_document(fmt: Format, data: bytes, source_file: str) -> dict[str, Any]:
    if fmt is Format.osv_json:
        return load_osv_json(data, source=source_file)
    if fmt is Format.osv_yaml:
        return load_osv_yaml(data, source=source_file)
    if fmt is Format.rustsec:
        return rustsec_to_osv(parse_rustsec(data, source=source_file))
    if fmt is Format.cve5:
        return cve5_to_osv(load_cve5(data, source=source_file))
    raise AssertionError(f"not a record format: {fmt}")


class UnitParser:
    """Parses units one after another; one per worker process."""

    def __init__(self, limits: Limits, forced_format: Format | None = None) -> None:
        self.limits = limits
        self.forced_format = forced_format
        self.reader = UnitReader(limits)

    def __call__(self, unit: Unit) -> list[Parsed]:
        source_file = unit.name
        try:
            # One read, bounded by the largest document we accept (a KEV catalog); the
            # per-format limit is applied once the format is known.
            data = self.reader.read(unit, self.limits.catalog_bytes)
            fmt = self.forced_format or detect_format(unit.basename, data[:HEAD_SIZE])
            if fmt is None:
                return [Skipped(source_file)]
            if fmt is not Format.kev and len(data) > self.limits.record_bytes:
                raise InputTooLarge(
                    f"{len(data)} bytes exceeds the {self.limits.record_bytes}-byte limit "
                    "for one record"
                )
            if fmt is Format.kev:
                return _kev_catalog(data, source_file)
            document = _osv_document(fmt, data, source_file)
            return [record_from_osv(document, source=fmt.value, source_file=source_file)]
        except InvalidRecord as exc:
            return [Refusal(exc.source or source_file, f"{exc.path}: {exc.reason}")]
        except ClearinghouseError as exc:
            return [Refusal(source_file, str(exc))]
        except (OSError, RecursionError, MemoryError) as exc:
            return [Refusal(source_file, f"{exc.__class__.__name__}: {exc}")]

    def close(self) -> None:
        self.reader.close()
