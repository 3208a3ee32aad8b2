"""The advisory a case produces: Markdown, HTML and an OSV record, from one set of facts.

Pure: `AdvisoryFacts` in (plain values the service gathered), `AdvisoryDraft` out. The
OSV record is validated against the vendored OSV schema by `formats.osv.validate_osv`,
the check every record in the store passed, before anything is stored. The HTML is a Jinja
template with autoescaping; the Markdown escapes what would let a case's text turn into
markup (raw HTML, links, table cells), since every word of it came from outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from clearinghouse.disclosure.affected import osv_affected
from clearinghouse.formats.osv import validate_osv
from clearinghouse.web.templating import TEMPLATES_DIR, format_date, format_timestamp

# OSV reserves "x_" for databases of their own; the rest is ours to choose.
OSV_ID_PREFIX = "x_CLEARINGHOUSE-CASE-"
STATUS_WORDS = {"affected": "Affected", "not_affected": "Not affected", "fixed": "Fixed"}
_MARKDOWN_SPECIAL = "\\`<>&[]|"


def osv_id_of(case_id: int) -> str:
    return f"{OSV_ID_PREFIX}{case_id}"


@dataclass(frozen=True)
class VendorStatement:
    vendor: str
    status: str  # affected | not_affected | fixed
    versions: str
    statement: str
    stated_at: datetime

    @property
    def status_word(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)


@dataclass(frozen=True)
class AdvisoryFacts:
    case_id: int
    title: str
    summary: str
    description: str
    package_ecosystem: str | None
    package_name: str | None
    affected_versions: str | None
    cwe: str | None
    cvss_vector: str | None
    severity: str | None
    cve_id: str | None
    tlp: str
    embargo_ends_at: datetime
    statements: tuple[VendorStatement, ...] = field(default=())

    @property
    def osv_id(self) -> str:
        return osv_id_of(self.case_id)


@dataclass(frozen=True)
class AdvisoryDraft:
    osv_id: str
    markdown: str
    html: str
    osv: dict[str, Any]
    produced_at: datetime
    final: bool  # produced when the case was published or closed; a preview otherwise


def dump_json(document: dict[str, Any]) -> str:
    """The OSV record as people and tools read it: sorted keys, indented."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cvss_kind(vector: str) -> str:
    return "CVSS_V4" if vector.startswith("CVSS:4.0/") else "CVSS_V3"


def _affected(facts: AdvisoryFacts) -> list[dict[str, Any]]:
    if not (facts.package_ecosystem and facts.package_name):
        return []
    entry: dict[str, Any] = {
        "package": {"ecosystem": facts.package_ecosystem, "name": facts.package_name}
    }
    if facts.affected_versions:
        versions = osv_affected(facts.package_ecosystem, facts.affected_versions)
        if versions.ranges:
            entry["ranges"] = versions.ranges
        if versions.versions:
            entry["versions"] = versions.versions
        entry["database_specific"] = {"affected_versions": facts.affected_versions}
    return [entry]


def osv_record(facts: AdvisoryFacts, *, now: datetime) -> dict[str, Any]:
    """The case as an OSV record, validated against the OSV schema (`InvalidRecord` if not)."""
    document: dict[str, Any] = {
        "id": facts.osv_id,
        "modified": _timestamp(now),
        "published": _timestamp(now),
        "summary": facts.title,
        "details": _details_markdown(facts),
    }
    if facts.cve_id:
        document["aliases"] = [facts.cve_id]
    if facts.cvss_vector:
        document["severity"] = [{"type": _cvss_kind(facts.cvss_vector), "score": facts.cvss_vector}]
    affected = _affected(facts)
    if affected:
        document["affected"] = affected
    database_specific: dict[str, Any] = {"clearinghouse_case": facts.case_id, "tlp": facts.tlp}
    if facts.severity:
        database_specific["severity"] = facts.severity
    if facts.cwe:
        database_specific["cwe_ids"] = [facts.cwe]
    document["database_specific"] = database_specific
    return validate_osv(document, source=f"disclosure case {facts.case_id}")


# --- Markdown ------------------------------------------------------------------------------


def markdown_text(text: str) -> str:
    """`text` as Markdown that renders as that text: no raw HTML, links or table breaks."""
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char for char in text)


def _cell(text: str) -> str:
    return markdown_text(" ".join(text.split())) or "—"


def _statements_markdown(statements: tuple[VendorStatement, ...]) -> list[str]:
    if not statements:
        return ["No vendor has made a statement."]
    lines = ["| Vendor | Status | Versions | Statement |", "| --- | --- | --- | --- |"]
    for s in statements:
        row = [_cell(s.vendor), s.status_word, _cell(s.versions), _cell(s.statement)]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _details_markdown(facts: AdvisoryFacts) -> str:
    parts = [markdown_text(facts.description.strip())]
    if facts.statements:
        parts += ["", "## Vendor statements", "", *_statements_markdown(facts.statements)]
    return "\n".join(parts)


def _facts_line(facts: AdvisoryFacts, produced_at: datetime, final: bool) -> str:
    items = [f"**{facts.osv_id}**"]
    if facts.cve_id:
        items.append(markdown_text(facts.cve_id))
    if facts.severity:
        items.append(f"Severity: {markdown_text(facts.severity)}")
    items.append(f"TLP:{facts.tlp}")
    when = format_date(produced_at)
    items.append(f"Published {when}" if final else f"Draft of {when}")
    return " · ".join(items)


def render_markdown(facts: AdvisoryFacts, *, produced_at: datetime, final: bool) -> str:
    lines = [f"# {markdown_text(facts.title)}", "", _facts_line(facts, produced_at, final), ""]
    if facts.summary:
        lines += ["## Summary", "", markdown_text(facts.summary), ""]
    lines += ["## Details", "", markdown_text(facts.description.strip()), ""]
    if facts.package_name:
        lines += [
            "## Affected",
            "",
            "| Ecosystem | Package | Versions |",
            "| --- | --- | --- |",
            f"| {_cell(facts.package_ecosystem or '')} | {_cell(facts.package_name)} "
            f"| {_cell(facts.affected_versions or 'not stated')} |",
            "",
        ]
    if facts.cvss_vector or facts.cwe:
        lines += ["## Severity and weakness", ""]
        if facts.cvss_vector:
            lines.append(f"- CVSS: `{facts.cvss_vector}`")
        if facts.cwe:
            lines.append(f"- Weakness: {markdown_text(facts.cwe)}")
        lines.append("")
    lines += ["## Vendor statements", "", *_statements_markdown(facts.statements), ""]
    lines.append(
        f"Coordinated disclosure case {facts.case_id}. Shared under TLP:{facts.tlp}; "
        f"embargoed until {format_timestamp(facts.embargo_ends_at)}."
    )
    return "\n".join(lines) + "\n"


# --- HTML ----------------------------------------------------------------------------------


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["timestamp"] = format_timestamp
    env.filters["day"] = format_date
    return env


_ENVIRONMENT = _environment()


def render_html(facts: AdvisoryFacts, *, produced_at: datetime, final: bool) -> str:
    """The advisory as an HTML `<article>` (autoescaped), to publish inside any page."""
    template = _ENVIRONMENT.get_template("disclosure_advisory_article.html")
    return template.render(advisory=facts, produced_at=produced_at, final=final)


def draft(facts: AdvisoryFacts, *, now: datetime, final: bool = False) -> AdvisoryDraft:
    """The advisory of `facts` at `now`: a preview, or (`final`) what the case publishes."""
    return AdvisoryDraft(
        osv_id=facts.osv_id,
        markdown=render_markdown(facts, produced_at=now, final=final),
        html=render_html(facts, produced_at=now, final=final),
        osv=osv_record(facts, now=now),
        produced_at=now,
        final=final,
    )
