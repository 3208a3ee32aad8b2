"""What a scan found, for people and for programs: a JSON document, a terminal report, an exit code.

`report_as_json` gives the one JSON shape that the CLI (`--format json`), the inventory and the
pages share. It is stable within `"schema": "clearinghouse-scan/1"`: members are only ever
added, never renamed or removed, without a new schema name.

```
{
  "schema": "clearinghouse-scan/1",
  "scanned_at": "2026-01-02T03:04:05Z",        # UTC, RFC 3339
  "records_considered": 58,                     # stored records naming any scanned package
  "document": {
    "format": "CycloneDX", "version": "1.6", "encoding": "json", "name": "shop" | null,
    "declared": 9,                              # components the file lists
    "checked": 7,                               # of which were matched
    "skipped": [{"name", "version", "purl", "bom_ref", "location", "reason"}],
    "warnings": ["..."]
  },
  "counts": {"critical": 1, "high": 1, "medium": 1, "low": 1, "unknown": 3,   # active only
             "active": 7, "suppressed": 1},
  "findings": [                                 # severity (highest first), id, package
    {
      "component": {"ecosystem", "name", "version", "purl", "bom_ref", "location"},
      "id": "CVE-2020-28493",                   # the group's CVE, else its first record id
      "aliases": ["CVE-2020-28493", "GHSA-g3rq-g295-4j3m", "PYSEC-2021-66"],
      "records": ["PYSEC-2021-66"],             # the stored records that matched
      "summary": "...", "severity": "medium", "score": 5.3 | null,
      "known_exploited": false, "kev_due_date": "2022-05-03" | null,
      "fixed_version": "2.11.3" | null, "references": ["https://..."],
      "vex": {"state", "justification", "detail"} | null,
      "suppressed": false                       # true: a VEX statement rules it out
    }
  ],
  "advice": [                                   # per affected component, by package
    {"component": {...}, "finding_count": 2, "upgrade_to": "2.11.3" | null}
  ]
}
```

Severities are the lower-case names of `Severity`. Nothing the scan saw is left out: suppressed
findings stay in `findings` (with `suppressed: true`) and unusable components in `skipped`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from clearinghouse.formats.components import Component, SkippedComponent, VexStatement
from clearinghouse.matching.errors import MatchingError
from clearinghouse.matching.findings import ComponentAdvice, Finding, ScanReport, Severity

__all__ = [
    "FAIL_ON_CHOICES",
    "REPORT_SCHEMA",
    "UnknownThreshold",
    "exit_code",
    "fail_threshold",
    "print_report",
    "report_as_json",
]

REPORT_SCHEMA = "clearinghouse-scan/1"

# Highest first, as people read them; "unknown" (a record without a score) fails on anything.
FAIL_ON_CHOICES = ("critical", "high", "medium", "low", "unknown", "none")

_STYLES = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.UNKNOWN: "dim",
}
_SUMMARY_WIDTH = 90
_WITH_SUMMARY = 110  # terminal columns


class UnknownThreshold(MatchingError):
    """A `--fail-on` severity that is not one of the choices."""

    title = "Unknown severity threshold"

    def __init__(self, text: str) -> None:
        self.text = text
        super().__init__(
            f"unknown severity threshold {text!r}: use one of " + ", ".join(FAIL_ON_CHOICES)
        )


def fail_threshold(fail_on: str | None) -> Severity | None:
    """The severity that `--fail-on` names; None for no threshold (absent or "none")."""
    if fail_on is None or fail_on.strip().lower() == "none":
        return None
    word = fail_on.strip().lower()
    if word not in FAIL_ON_CHOICES:
        raise UnknownThreshold(fail_on)
    return Severity[word.upper()]


def exit_code(report: ScanReport | None, fail_on: str | None) -> int:
    """1 when an active finding is at or above `fail_on`, else 0.

    Suppressed findings never count. With `report` None it only checks the threshold, so that
    the CLI can refuse a misspelt `--fail-on` before scanning anything.
    """
    threshold = fail_threshold(fail_on)
    if report is None or threshold is None:
        return 0
    return 1 if report.fails(threshold) else 0


# --- JSON ---------------------------------------------------------------------------------


def timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`; a naive datetime is taken to be UTC already."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _component_json(component: Component) -> dict[str, Any]:
    return {
        "ecosystem": component.ecosystem,
        "name": component.name,
        "version": component.version,
        "purl": component.purl,
        "bom_ref": component.bom_ref,
        "location": component.location,
    }


def _skipped_json(skipped: SkippedComponent) -> dict[str, Any]:
    return {
        "name": skipped.name,
        "version": skipped.version,
        "purl": skipped.purl,
        "bom_ref": skipped.bom_ref,
        "location": skipped.location,
        "reason": skipped.reason,
    }


def _vex_json(vex: VexStatement | None) -> dict[str, Any] | None:
    if vex is None:
        return None
    return {"state": vex.state, "justification": vex.justification, "detail": vex.detail}


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "component": _component_json(finding.component),
        "id": finding.primary_id,
        "aliases": list(finding.aliases),
        "records": list(finding.record_ids),
        "summary": finding.summary,
        "severity": severity_name(finding.severity),
        "score": finding.score,
        "known_exploited": finding.known_exploited,
        "kev_due_date": finding.kev_due_date.isoformat() if finding.kev_due_date else None,
        "fixed_version": finding.fixed_version,
        "references": list(finding.references),
        "vex": _vex_json(finding.vex),
        "suppressed": finding.suppressed,
    }


def _component_key(component: Component) -> tuple[str, ...]:
    return (component.ecosystem, component.name, component.version, component.location)


def finding_order(finding: Finding) -> tuple[Any, ...]:
    """Severity (highest first), then id, then package: the order every output uses."""
    return (-finding.severity, finding.primary_id, *_component_key(finding.component))


def severity_name(severity: Severity) -> str:
    return severity.name.lower()


def severity_counts(report: ScanReport) -> dict[str, int]:
    """Active findings per severity (every severity present, highest first), and the totals."""
    active = Counter(f.severity for f in report.active)
    counts = {severity_name(s): active[s] for s in sorted(Severity, reverse=True)}
    counts["active"] = len(report.active)
    counts["suppressed"] = len(report.suppressed)
    return counts


def report_as_json(report: ScanReport) -> dict[str, Any]:
    """The report in the documented `clearinghouse-scan/1` shape (see the module docstring)."""
    document = report.document
    return {
        "schema": REPORT_SCHEMA,
        "scanned_at": timestamp(report.scanned_at),
        "records_considered": report.records_considered,
        "document": {
            "format": document.format,
            "version": document.format_version,
            "encoding": document.encoding,
            "name": document.name,
            "declared": document.declared,
            "checked": len(document.components),
            "skipped": [_skipped_json(s) for s in document.skipped],
            "warnings": list(document.warnings),
        },
        "counts": severity_counts(report),
        "findings": [_finding_json(f) for f in sorted(report.findings, key=finding_order)],
        "advice": [
            {
                "component": _component_json(a.component),
                "finding_count": a.finding_count,
                "upgrade_to": a.upgrade_to,
            }
            for a in sorted(report.advice, key=lambda a: _component_key(a.component))
        ],
    }


# --- terminal -----------------------------------------------------------------------------


def plain(text: object, limit: int | None = None) -> str:
    """Untrusted text made safe for a terminal: one line, no control or format characters.

    Names, summaries and reasons come from SBOMs and feeds; an escape sequence or a bidi
    override in one must not repaint the operator's terminal or disguise what is printed.
    """
    cleaned = "".join(
        " " if ch in "\t\n\r" else ch
        for ch in str(text)
        if ch in "\t\n\r" or unicodedata.category(ch) not in ("Cc", "Cf")
    )
    cleaned = " ".join(cleaned.split())
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "\u2026"
    return cleaned


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _describe_document(report: ScanReport) -> Text:
    document = report.document
    kind = " ".join(plain(p) for p in (document.format, document.format_version) if p)
    subject = plain(document.name) if document.name else "an unnamed document"
    return Text.assemble(
        ("Scanned ", ""),
        (subject, "bold"),
        f" ({kind}, {plain(document.encoding)}): ",
        f"{_plural(document.declared, 'component')} declared, "
        f"{len(document.components)} checked, {len(document.skipped)} not checked; "
        f"{_plural(report.records_considered, 'record')} considered.",
    )


def _summary_line(report: ScanReport) -> Text:
    active = report.active
    if not active:
        checked = _plural(len(report.document.components), "component")
        line = Text(f"No known vulnerabilities in the {checked} checked.", style="green")
        if report.suppressed:
            line.append(f" {_plural(len(report.suppressed), 'finding')} suppressed by VEX.")
        return line
    counts = Counter(f.severity for f in active)
    parts = [
        (f"{counts[s]} {severity_name(s)}", _STYLES[s])
        for s in sorted(Severity, reverse=True)
        if counts[s]
    ]
    line = Text(f"{_plural(len(active), 'finding')}: ", style="bold")
    for index, (words, style) in enumerate(parts):
        line.append(", " if index else "")
        line.append(words, style=style)
    if report.suppressed:
        line.append(f"; {len(report.suppressed)} suppressed by VEX")
    return line


def _ids_cell(finding: Finding) -> Text:
    # The other ids are in the JSON; the table counts them, to leave its width to the summary.
    cell = Text(plain(finding.primary_id), style="bold")
    others = sum(1 for alias in finding.aliases if alias != finding.primary_id)
    if others:
        cell.append(f" +{others}", style="dim")
    if finding.known_exploited:  # under the id, not in a column of its own: it is rare
        due = finding.kev_due_date
        cell.append("\nKEV" + (f", due {due.isoformat()}" if due else ""), style="bold red")
    return cell


def _severity_cell(finding: Finding) -> Text:
    cell = Text(severity_name(finding.severity), style=_STYLES[finding.severity])
    if finding.score is not None:
        cell.append(f" {finding.score:.1f}")
    return cell


def _findings_table(findings: Iterable[Finding], width: int) -> Table:
    # Below _WITH_SUMMARY columns the summaries would squeeze the package names to nothing:
    # the table then leaves them out (they are in the JSON and on the finding's page).
    with_summary = width >= _WITH_SUMMARY
    table = Table(header_style="bold", box=box.SIMPLE_HEAD, pad_edge=False)
    # Fold, never crop: on a narrow terminal an id breaks over two lines but stays whole.
    for column in ("severity", "package", "version", "vulnerability", "fixed in"):
        table.add_column(column, overflow="fold")
    if with_summary:
        table.add_column("summary", ratio=1)
    previous: Severity | None = None
    for finding in findings:
        if previous is not None and finding.severity != previous:
            table.add_section()
        previous = finding.severity
        cells = [
            _severity_cell(finding),
            Text(plain(finding.component.name)),
            Text(plain(finding.component.version)),
            _ids_cell(finding),
            Text(plain(finding.fixed_version) if finding.fixed_version else "none"),
        ]
        if with_summary:
            cells.append(Text(plain(finding.summary, _SUMMARY_WIDTH)))
        table.add_row(*cells)
    return table


def advice_line(advice: ComponentAdvice) -> str:
    """`upgrade jinja2 2.10 -> 2.11.3 fixes 3 findings`, or why no single upgrade does."""
    component = advice.component
    name, version = plain(component.name), plain(component.version)
    findings = _plural(advice.finding_count, "finding")
    if advice.upgrade_to:
        return f"upgrade {name} {version} -> {plain(advice.upgrade_to)} fixes {findings}"
    return f"{name} {version}: no single fixed version is known for its {findings}"


def _suppressed_line(finding: Finding) -> Text:
    vex = finding.vex
    assert vex is not None  # a suppressed finding has its statement
    line = Text.assemble(
        (plain(finding.primary_id), "bold"),
        f" in {plain(finding.component.name)} {plain(finding.component.version)}: ",
        (plain(vex.state), "green"),
    )
    if vex.justification:
        line.append(f" ({plain(vex.justification)})")
    if vex.detail:
        line.append(f": {plain(vex.detail, 200)}")
    return line


def _skipped_line(skipped: SkippedComponent) -> Text:
    what = " ".join(plain(p) for p in (skipped.name, skipped.version) if p) or "(no name)"
    where = f" ({plain(skipped.location)})" if skipped.location else ""
    return Text.assemble((what, "bold"), where, f": {plain(skipped.reason, 200)}")


def print_report(report: ScanReport, console: Console) -> None:
    """The report for a person at a terminal: what is vulnerable, what to do, what was not seen.

    Active findings in one table, highest severity first; one line of upgrade advice per
    affected component; then the findings an SBOM's VEX statements suppress, with the
    author's justification, and the components that could not be checked, with the reason.
    """
    console.print(_describe_document(report), highlight=False)
    for warning in report.document.warnings:
        console.print(Text.assemble(("warning: ", "yellow"), plain(warning)), highlight=False)
    console.print(_summary_line(report), highlight=False)

    active = sorted(report.active, key=finding_order)
    if active:
        console.print(_findings_table(active, console.width))
        advice = sorted(
            (a for a in report.advice if a.finding_count),
            key=lambda a: _component_key(a.component),
        )
        if advice:
            console.print(Text("Fix advice", style="bold"))
            for item in advice:
                console.print(Text("  " + advice_line(item)), highlight=False)

    suppressed = sorted(report.suppressed, key=finding_order)
    if suppressed:
        console.print(Text(f"Suppressed by the SBOM's VEX statements ({len(suppressed)})"))
        for finding in suppressed:
            console.print(Text("  ").append_text(_suppressed_line(finding)), highlight=False)

    skipped = report.document.skipped
    if skipped:
        console.print(Text(f"Not checked ({len(skipped)})", style="bold yellow"))
        for component in skipped:
            console.print(Text("  ").append_text(_skipped_line(component)), highlight=False)
