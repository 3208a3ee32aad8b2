"""What a scan finds: one `Finding` per (component, vulnerability group), and the whole report.

The shapes every output (terminal table, JSON, SARIF 2.1, CycloneDX VDR), the inventory and the
OSV-compatible API read. `matching.scan` produces them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum

from clearinghouse.formats.components import Component, SbomDocument, VexStatement

__all__ = ["ComponentAdvice", "Finding", "ScanReport", "Severity"]


class Severity(IntEnum):
    """Ordered severities; UNKNOWN (no score in the record) sorts lowest but still counts."""

    UNKNOWN = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str | None) -> Severity:
        if not text:
            return cls.UNKNOWN
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r}: use one of " + ", ".join(s.name.lower() for s in cls)
            ) from None


@dataclass(frozen=True, slots=True)
class Finding:
    """One vulnerability group that affects one component."""

    component: Component
    group_id: int
    primary_id: str  # the id to show: the group's CVE where it has one, else its first record
    record_ids: tuple[str, ...]  # the stored records that matched (GHSA-..., PYSEC-..., GO-...)
    aliases: tuple[str, ...]  # every identifier of the group, sorted
    summary: str
    severity: Severity
    score: float | None  # the highest CVSS base score in the records, where they carry one
    known_exploited: bool
    kev_due_date: date | None  # BOD 22-01 due date from the KEV catalog
    fixed_version: str | None  # the nearest version above the component's that fixes this one
    references: tuple[str, ...]  # advisory links
    vex: VexStatement | None = None  # the SBOM author's statement on it, if any

    @property
    def suppressed(self) -> bool:
        return self.vex is not None and self.vex.suppresses


@dataclass(frozen=True, slots=True)
class ComponentAdvice:
    """The one upgrade that fixes every active finding of a component, where one exists."""

    component: Component
    finding_count: int
    upgrade_to: str | None  # None: no single fixed version is known for all of them


@dataclass(frozen=True, slots=True)
class ScanReport:
    document: SbomDocument
    findings: tuple[Finding, ...]  # active and suppressed, sorted by severity then id
    advice: tuple[ComponentAdvice, ...]
    scanned_at: datetime
    records_considered: int = 0  # stored records naming any of the packages

    @property
    def active(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.suppressed)

    @property
    def suppressed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.suppressed)

    def fails(self, threshold: Severity) -> bool:
        """`--fail-on`: whether an active finding is at or above the threshold."""
        return any(f.severity >= threshold for f in self.active)
