"""The fields of a case, each checked as untrusted input, and how they fit together.

A coordinator's changes arrive as `CaseChanges` (None leaves a field alone, "" clears
it); `apply_changes` checks each one, naming the field at fault, then the whole: a
package needs its ecosystem, affected versions must read as OSV ranges, and a CVSS vector
decides the severity (scored by the `cvss` library, never by hand).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from clearinghouse.disclosure import embargo
from clearinghouse.disclosure.affected import check_ecosystem, osv_affected
from clearinghouse.disclosure.errors import InvalidCaseField
from clearinghouse.disclosure.models import DisclosureCase
from clearinghouse.identity.tlp import Tlp
from clearinghouse.vulnerabilities.severity import cvss_severity

LIMITS = {
    "title": 300,
    "summary": 1000,
    "description": 100_000,
    "package_name": 400,
    "versions": 2000,
    "statement": 20_000,
    "body": 20_000,
    "reason": 2000,
}
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE")
_CVE = re.compile(r"CVE-\d{4}-\d{4,19}")
_CWE = re.compile(r"CWE-\d{1,6}")


@dataclass(frozen=True)
class CaseChanges:
    """What a coordinator sets on a case: None leaves a field as it is, "" clears it."""

    title: str | None = None
    summary: str | None = None
    description: str | None = None
    package_ecosystem: str | None = None
    package_name: str | None = None
    affected_versions: str | None = None
    cwe: str | None = None
    cvss_vector: str | None = None
    severity: str | None = None
    cve_id: str | None = None
    tlp: str | None = None
    embargo_ends_at: datetime | None = None

    def given(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }


def text_field(field: str, value: str, *, limit: str | None = None, required: bool = False) -> str:
    value = value.strip()
    maximum = LIMITS[limit or field]
    if required and not value:
        raise InvalidCaseField(field, "must not be empty")
    if len(value) > maximum:
        raise InvalidCaseField(field, f"at most {maximum} characters")
    return value


def _optional(value: str) -> str | None:
    return value or None


def _cvss(vector: str) -> str:
    kind = "CVSS_V4" if vector.startswith("CVSS:4.0/") else "CVSS_V3"
    scored = cvss_severity(kind, vector) if vector.startswith("CVSS:") else None
    if scored is None:
        raise InvalidCaseField(
            "cvss_vector", f"{vector!r} is not a valid CVSS 3.0, 3.1 or 4.0 base vector"
        )
    return scored[1]


def report_tlp(label: str) -> str:
    # A report's label that is not TLP 2.0 fails closed, as the policy reads stored labels.
    try:
        return Tlp.parse(label).value
    except ValueError:
        return Tlp.RED.value


def apply_changes(case: DisclosureCase, changes: CaseChanges, now: datetime) -> None:
    """Apply `changes` to `case`, each field checked; then check the fields together."""
    given = changes.given()
    for name in ("title", "description"):
        if name in given:
            setattr(case, name, text_field(name, given[name], required=True))
    if "summary" in given:
        case.summary = text_field("summary", given["summary"])
    if "package_ecosystem" in given:
        text = given["package_ecosystem"].strip()
        case.package_ecosystem = check_ecosystem(text) if text else None
    if "package_name" in given:
        case.package_name = _optional(text_field("package_name", given["package_name"]))
    if "affected_versions" in given:
        case.affected_versions = _optional(
            text_field("affected_versions", given["affected_versions"], limit="versions")
        )
    if "cwe" in given:
        cwe = given["cwe"].strip().upper()
        if cwe and not _CWE.fullmatch(cwe):
            raise InvalidCaseField("cwe", f"{given['cwe']!r} is not a CWE id such as CWE-787")
        case.cwe = _optional(cwe)
    if "cve_id" in given:
        cve = given["cve_id"].strip().upper()
        if cve and not _CVE.fullmatch(cve):
            raise InvalidCaseField("cve_id", f"{given['cve_id']!r} is not a CVE id")
        case.cve_id = _optional(cve)
    if "cvss_vector" in given:
        case.cvss_vector = _optional(given["cvss_vector"].strip())
    if "severity" in given:
        word = given["severity"].strip().upper()
        if word and word not in SEVERITIES:
            raise InvalidCaseField("severity", f"one of {', '.join(SEVERITIES)}")
        if word and case.cvss_vector and word != _cvss(case.cvss_vector):
            raise InvalidCaseField(
                "severity", "follows the CVSS vector; clear the vector to set it by hand"
            )
        case.severity = _optional(word)
    if "tlp" in given:
        case.tlp = embargo.check_tlp(given["tlp"])
    if "embargo_ends_at" in given:
        case.embargo_ends_at = embargo.check_ends_at(given["embargo_ends_at"], now=now)
    _check_together(case)


def _check_together(case: DisclosureCase) -> None:
    if case.cvss_vector:
        case.severity = _cvss(case.cvss_vector)
    if bool(case.package_ecosystem) != bool(case.package_name):
        raise InvalidCaseField(
            "package_name" if case.package_ecosystem else "package_ecosystem",
            "a package needs both its ecosystem and its name",
        )
    if case.affected_versions and not case.package_name:
        raise InvalidCaseField("affected_versions", "name the package they are versions of")
    if case.package_ecosystem and case.affected_versions:
        osv_affected(case.package_ecosystem, case.affected_versions)  # raises, naming the field
