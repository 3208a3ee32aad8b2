"""A scan report as a SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.

One run; the driver is "clearinghouse". Each vulnerability group is one rule (id: the group's
CVE, else its first record id) and each finding one result, pointing at the scanned file, with
the component's place in it (`components[12]`) and its purl as a logical location. SARIF has
no notion of a package, so the component is a logical location of kind "module".

GitHub reads `properties.security-severity` (a CVSS-like number as a string) on the rule, and
treats a rule as a security rule only when its tags include "security". A finding that the
SBOM's own VEX statements rule out keeps its result, with an external suppression carrying the
author's justification; components that could not be checked become tool notifications, so a
SARIF viewer, too, learns what was not seen.

The schema in `schemas/sarif-schema-2.1.0.json` is the OASIS text (errata01), vendored
unchanged from oasis-tcs/sarif-spec `Schemata/sarif-schema-2.1.0.json` @ 0a8091f7; the tests
validate every log this module writes against it. No SARIF library in Python writes 2.1.0
logs from our own model better than a dict does (`sarif-om` only mirrors the schema as
classes), so the log is built by hand here and checked against the standard's schema instead.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any
from urllib.parse import quote, urlsplit

import orjson

from clearinghouse import __version__
from clearinghouse.formats.components import Component, SkippedComponent
from clearinghouse.matching.findings import Finding, ScanReport, Severity
from clearinghouse.matching.render import finding_order, severity_name, timestamp

__all__ = [
    "SARIF_SCHEMA_URI",
    "SARIF_VERSION",
    "dump_sarif",
    "sarif_level",
    "scan_to_sarif",
    "security_severity",
]

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "clearinghouse"

_LEVELS = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.UNKNOWN: "note",
}
# Where a record has a severity word but no score: a number inside GitHub's band for the word
# (critical > 9.0, high 7.0-8.9, medium 4.0-6.9, low 0.1-3.9).
_BAND_SCORES = {
    Severity.CRITICAL: 9.5,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 5.5,
    Severity.LOW: 2.0,
}
# Id prefixes of the databases OSV.dev serves, so that its page for the id exists.
_OSV_PREFIXES = (
    "CVE-",
    "GHSA-",
    "PYSEC-",
    "GO-",
    "RUSTSEC-",
    "OSV-",
    "MAL-",
    "GSD-",
    "DSA-",
    "DLA-",
    "DTSA-",
    "USN-",
    "ALSA-",
    "ALBA-",
    "RHSA-",
    "RLSA-",
    "CGA-",
    "BIT-",
    "PSF-",
)
_SHORT_DESCRIPTION = 200


def sarif_level(severity: Severity) -> str:
    """critical/high -> error, medium -> warning, low and unknown -> note."""
    return _LEVELS[severity]


def security_severity(severity: Severity, score: float | None) -> str | None:
    """GitHub's `security-severity`: the CVSS score, else a number in the word's band."""
    if score is not None:
        return f"{score:.1f}"
    band = _BAND_SCORES.get(severity)
    return None if band is None else f"{band:.1f}"


def _artifact_uri(path: str) -> str:
    """A relative path stays relative (GitHub wants paths from the repository root)."""
    windows = PureWindowsPath(path)
    if windows.drive:
        return windows.as_uri()
    posix = PurePosixPath(path.replace("\\", "/"))
    if posix.is_absolute():
        return posix.as_uri()
    return quote(posix.as_posix(), safe="/")


def _http_url(text: str) -> str | None:
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if any(ch.isspace() or ch in '<>"{}|\\^`' for ch in text):
        return None
    return text


def _help_uri(finding: Finding) -> str | None:
    for ident in (finding.primary_id, *finding.record_ids):
        if ident.upper().startswith(_OSV_PREFIXES):
            return f"https://osv.dev/vulnerability/{quote(ident, safe='')}"
    return next((url for url in map(_http_url, finding.references) if url), None)


# Inline Markdown only: the text is joined into one line and never starts one, so block markers
# (#, -, +, 1.) cannot take effect; escaping them too would only make the help hard to read.
_MARKDOWN_SPECIAL = str.maketrans({ch: "\\" + ch for ch in "\\`*_[]<>|~"})


def _markdown(text: str) -> str:
    """Untrusted text as literal Markdown: no links, images or HTML can hide in a summary."""
    return " ".join(text.split()).translate(_MARKDOWN_SPECIAL)


def _first_line(text: str, limit: int = _SHORT_DESCRIPTION) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def _sentence(text: str) -> str:
    line = _first_line(text).rstrip(".")
    return f"{line}." if line else "No summary."


def _rule_help(group: Sequence[Finding]) -> dict[str, str]:
    first = group[0]
    others = [a for a in first.aliases if a != first.primary_id]
    fixes = sorted(
        {
            (f.component.name, f.component.version, f.fixed_version or "")
            for f in group
            if f.fixed_version
        }
    )
    due = min((f.kev_due_date for f in group if f.kev_due_date), default=None)
    text = [f"{first.primary_id}: {' '.join(first.summary.split()) or 'no summary'}"]
    markdown = [f"**{_markdown(first.primary_id)}**: {_markdown(first.summary) or 'no summary'}"]
    if others:
        text.append("Also known as: " + ", ".join(others) + ".")
        markdown.append("Also known as: " + ", ".join(_markdown(a) for a in others) + ".")
    for name, version, fixed in fixes:
        text.append(f"Upgrade {name} {version} to {fixed} or later.")
        markdown.append(
            f"Upgrade `{_markdown(name)}` {_markdown(version)} to {_markdown(fixed)} or later."
        )
    if not fixes:
        text.append("No fixed version is known.")
        markdown.append("No fixed version is known.")
    if any(f.known_exploited for f in group):
        exploited = "Known to be exploited (CISA KEV)" + (
            f"; remediation due {due.isoformat()} under BOD 22-01." if due else "."
        )
        text.append(exploited)
        markdown.append(exploited)
    links = [url for url in dict.fromkeys(map(_http_url, first.references)) if url]
    if links:
        text.append("References:\n" + "\n".join(f"- {url}" for url in links))
        markdown.append("References:\n\n" + "\n".join(f"- <{url}>" for url in links))
    return {"text": "\n\n".join(text), "markdown": "\n\n".join(markdown)}


def _rule(rule_id: str, group: Sequence[Finding]) -> dict[str, Any]:
    worst = max(group, key=lambda f: (f.severity, f.score or 0.0))
    scores = [f.score for f in group if f.score is not None]
    summary = worst.summary.strip() or rule_id
    properties: dict[str, Any] = {"tags": ["security", "vulnerability", "dependency"]}
    severity_text = security_severity(worst.severity, max(scores) if scores else None)
    if severity_text is not None:
        properties["security-severity"] = severity_text
    if any(f.known_exploited for f in group):
        properties["tags"].append("known-exploited")
    rule: dict[str, Any] = {
        "id": rule_id,
        "shortDescription": {"text": _first_line(summary)},
        "fullDescription": {"text": " ".join(summary.split())},
        "help": _rule_help(group),
        "defaultConfiguration": {"level": sarif_level(worst.severity)},
        "properties": properties,
    }
    help_uri = _help_uri(worst)
    if help_uri:
        rule["helpUri"] = help_uri
    return rule


def _logical_location(component: Component | SkippedComponent) -> dict[str, Any]:
    name = f"{component.name}@{component.version}" if component.version else component.name
    location: dict[str, Any] = {"name": name}
    if component.location:
        location["fullyQualifiedName"] = component.location
    if component.purl:
        location["decoratedName"] = component.purl
    location["kind"] = "module"
    return location


def _location(artifact: str, component: Component | SkippedComponent) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": artifact, "index": 0},
            # Readers give no line numbers; GitHub needs a region, so the file's first line.
            "region": {"startLine": 1},
        },
        "logicalLocations": [_logical_location(component)],
    }


def _fingerprint(finding: Finding) -> str:
    # Our own stable identity for the result: without it GitHub hashes line 1 of the file,
    # and every finding of one rule in one file (two copies of a package) would merge.
    c = finding.component
    key = "\x1f".join((finding.primary_id, c.ecosystem, c.name, c.version, c.location))
    return hashlib.sha256(key.encode()).hexdigest()[:32] + ":1"


def _message(finding: Finding) -> str:
    c = finding.component
    score = f", CVSS {finding.score:.1f}" if finding.score is not None else ""
    parts = [
        f"{c.name} {c.version} is affected by {finding.primary_id} "
        f"({severity_name(finding.severity)}{score}): {_sentence(finding.summary)}"
    ]
    parts.append(
        f"Fixed in {finding.fixed_version}." if finding.fixed_version else "No fixed version known."
    )
    if finding.known_exploited:
        due = finding.kev_due_date
        parts.append("Known exploited (CISA KEV)" + (f", due {due.isoformat()}." if due else "."))
    if finding.suppressed and finding.vex is not None:
        why = f" ({finding.vex.justification})" if finding.vex.justification else ""
        parts.append(f"The SBOM's VEX statement rules it out: {finding.vex.state}{why}.")
    return " ".join(parts)


def _suppression(finding: Finding) -> dict[str, Any]:
    vex = finding.vex
    assert vex is not None
    justification = "; ".join(part for part in (vex.state, vex.justification, vex.detail) if part)
    return {"kind": "external", "status": "accepted", "justification": justification}


def _result(finding: Finding, rule_id: str, rule_index: int, artifact: str) -> dict[str, Any]:
    c = finding.component
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "kind": "fail",
        "level": sarif_level(finding.severity),
        "message": {"text": _message(finding)},
        "locations": [_location(artifact, c)],
        "partialFingerprints": {"primaryLocationLineHash": _fingerprint(finding)},
    }
    if finding.suppressed:
        result["suppressions"] = [_suppression(finding)]
    properties: dict[str, Any] = {
        "ecosystem": c.ecosystem,
        "package": c.name,
        "version": c.version,
        "aliases": list(finding.aliases),
        "records": list(finding.record_ids),
        "severity": severity_name(finding.severity),
    }
    optional = {
        "purl": c.purl,
        "score": finding.score,
        "fixedVersion": finding.fixed_version,
        "kevDueDate": finding.kev_due_date.isoformat() if finding.kev_due_date else None,
    }
    properties.update({k: v for k, v in optional.items() if v is not None})
    properties["knownExploited"] = finding.known_exploited
    if finding.vex is not None:
        properties["vex"] = {
            k: v
            for k, v in (
                ("state", finding.vex.state),
                ("justification", finding.vex.justification),
                ("detail", finding.vex.detail),
            )
            if v
        }
    result["properties"] = properties
    return result


def _notifications(report: ScanReport, artifact: str) -> list[dict[str, Any]]:
    notes: list[dict[str, Any]] = [
        {
            "level": "warning",
            "message": {"text": f"{_skipped_name(s)} was not checked: {s.reason}"},
            "locations": [_location(artifact, s)],
            "descriptor": {"id": "component-not-checked"},
        }
        for s in report.document.skipped
    ]
    notes.extend(
        {"level": "warning", "message": {"text": warning}, "descriptor": {"id": "input-warning"}}
        for warning in report.document.warnings
    )
    return notes


def _skipped_name(skipped: SkippedComponent) -> str:
    return " ".join(p for p in (skipped.name, skipped.version) if p) or "a component without name"


def _rules(findings: Iterable[Finding]) -> tuple[list[dict[str, Any]], dict[int, str]]:
    """One rule per vulnerability group, sorted by id; and each group's rule id."""
    groups: dict[int, list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[finding.group_id].append(finding)
    ids: dict[int, str] = {}
    taken: set[str] = set()
    for group_id in sorted(groups, key=lambda g: (groups[g][0].primary_id, g)):
        rule_id = groups[group_id][0].primary_id
        if rule_id in taken:  # two groups that share an id: keep the rules apart
            rule_id = f"{rule_id}/{group_id}"
        taken.add(rule_id)
        ids[group_id] = rule_id
    rules = [_rule(ids[g], sorted(groups[g], key=finding_order)) for g in groups]
    rules.sort(key=lambda rule: rule["id"])
    return rules, ids


def scan_to_sarif(report: ScanReport, *, artifact: str) -> dict[str, Any]:
    """The SARIF 2.1.0 log of a scan of the file `artifact` (a path, as the user gave it)."""
    uri = _artifact_uri(artifact)
    findings = sorted(report.findings, key=finding_order)
    rules, rule_ids = _rules(findings)
    index = {rule["id"]: position for position, rule in enumerate(rules)}
    results = [_result(f, rule_ids[f.group_id], index[rule_ids[f.group_id]], uri) for f in findings]
    document = report.document
    invocation: dict[str, Any] = {
        "executionSuccessful": True,
        "endTimeUtc": timestamp(report.scanned_at),
    }
    notifications = _notifications(report, uri)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "fullName": f"{TOOL_NAME} {__version__}",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": rules,
            }
        },
        "invocations": [invocation],
        "artifacts": [{"location": {"uri": uri}, "roles": ["analysisTarget"]}],
        "results": results,
        "properties": {
            "document": {
                k: v
                for k, v in (
                    ("format", document.format),
                    ("version", document.format_version),
                    ("encoding", document.encoding),
                    ("name", document.name),
                )
                if v
            },
            "componentsDeclared": document.declared,
            "componentsChecked": len(document.components),
            "recordsConsidered": report.records_considered,
        },
    }
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def dump_sarif(report: ScanReport, *, artifact: str) -> bytes:
    """`scan_to_sarif` as indented UTF-8 JSON, ready to upload."""
    return orjson.dumps(scan_to_sarif(report, artifact=artifact), option=orjson.OPT_INDENT_2)
