"""Report intake: read a submission (structured report, OSV draft, SARIF log) and take it in.

Every shape becomes one or more `ReportDraft`s: the report's text, its package and OSV
`affected[]` entries, its weakness, CVSS vector, location, identifiers and provenance.
`submit_report` then stores the attachments as blobs, creates the report (`create_report`:
SLA clock, history, audit), fingerprints it, stores its text bands, scores it, and links
it to the earlier report or stored record it repeats. A duplicate is linked, never lost.

Nothing here trusts the submission: sizes are limited before parsing, every field is
validated (errors name the field: `$.affected.ranges[0].events`), CVSS vectors go through
the `cvss` library, and SARIF logs through the standard's schema.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.formats.errors import InvalidRecord, json_path
from clearinghouse.formats.osv import load_osv_yaml, validate_osv
from clearinghouse.formats.sarif_results import SarifResult, read_sarif_results
from clearinghouse.identity.policy import ReportAction, require_report
from clearinghouse.identity.principal import Principal
from clearinghouse.matching.errors import MatchingError
from clearinghouse.matching.purl import parse_purl
from clearinghouse.reports.attachments import (
    BlobStore,
    decode_attachment,
    safe_filename,
    safe_media_type,
)
from clearinghouse.reports.duplicates import (
    find_known_vulnerability,
    link_duplicates,
    record_terms,
    store_bands,
)
from clearinghouse.reports.errors import InvalidCvssVector, InvalidReport, ReportTooLarge
from clearinghouse.reports.fingerprint import normalise_cwe, report_fingerprint
from clearinghouse.reports.models import (
    DiscoveredBy,
    LinkKind,
    Report,
    ReportAttachment,
    ReportLink,
    SourceFormat,
)
from clearinghouse.reports.schemas import StructuredReportIn
from clearinghouse.reports.scoring import apply_scores, score_cvss
from clearinghouse.reports.service import create_report, report_state
from clearinghouse.reports.similarity import text_bands, text_terms
from clearinghouse.sharing.service import group_by_slug
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.package_names import package_name_key

__all__ = [
    "MAX_SUBMISSION_BYTES",
    "AttachmentDraft",
    "ReportDraft",
    "content_sha256",
    "draft_from_structured",
    "drafts_from_bytes",
    "drafts_from_osv",
    "drafts_from_sarif",
    "recheck_duplicates",
    "submit_report",
]

# A structured report with its attachments (5 MiB each, base64) fits; a SARIF log of a
# model run with thousands of results does too.
MAX_SUBMISSION_BYTES = 32 * 1024 * 1024
_CVE_LIKE = re.compile(r"^(CVE-\d{4}-\d{4,}|GHSA(-[23456789cfghjmpqrvwx]{4}){3}|[A-Z]+-\d{4}-\d+)$")


@dataclass(frozen=True)
class AttachmentDraft:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class ReportDraft:
    """One report, read from a submission, before it is stored."""

    title: str
    description: str
    source_format: SourceFormat
    content_sha256: str
    affected: tuple[Mapping[str, Any], ...] = ()
    affected_versions: str | None = None
    cwe: str | None = None
    cvss_vector: str | None = None
    identifiers: tuple[str, ...] = ()
    location: str | None = None
    discovered_by: DiscoveredBy = DiscoveredBy.person
    discovered_by_name: str | None = None
    model_version_id: int | None = None
    review_id: int | None = None
    model_run: str | None = None
    tlp: str = "AMBER"
    sharing_group: str | None = None
    attachments: tuple[AttachmentDraft, ...] = field(default=(), repr=False)

    @property
    def package(self) -> tuple[str, str] | None:
        for entry in self.affected:
            package = entry.get("package") or {}
            if package.get("ecosystem") and package.get("name"):
                return str(package["ecosystem"]), str(package["name"])
        return None


def content_sha256(document: object) -> str:
    """SHA-256 of a document's canonical JSON (sorted keys): how a client checks its report."""
    return hashlib.sha256(orjson.dumps(document, option=orjson.OPT_SORT_KEYS)).hexdigest()


# --- structured reports -------------------------------------------------------------------


def _validation_error(exc: ValidationError, source: str) -> InvalidReport:
    first = exc.errors()[0]
    path = json_path([part for part in first.get("loc", ()) if isinstance(part, str | int)])
    return InvalidReport(str(first.get("msg", "invalid")), path=path, source=source)


def _check_vector(vector: str | None, path: str, source: str) -> str | None:
    if vector is None or not vector.strip():
        return None
    try:
        return score_cvss(vector).vector
    except InvalidCvssVector as exc:
        where = f"{source}: {path}" if source else path
        raise InvalidCvssVector(f"{where}: {exc}") from None


def _versions_summary(ranges: Sequence[Mapping[str, Any]], versions: Sequence[str]) -> str:
    parts = []
    for osv_range in ranges:
        bounds = []
        for event in osv_range.get("events") or ():
            for kind, value in event.items():
                if kind == "introduced":
                    bounds.append(f">= {value}" if value != "0" else ">= 0")
                elif kind == "fixed":
                    bounds.append(f"< {value}")
                elif kind == "last_affected":
                    bounds.append(f"<= {value}")
        if bounds:
            parts.append(", ".join(bounds))
    if versions:
        shown = ", ".join(versions[:10]) + (" ..." if len(versions) > 10 else "")
        parts.append(f"versions {shown}")
    return "; ".join(parts)


def _identifiers(values: Sequence[str], path: str, source: str) -> tuple[str, ...]:
    cleaned = []
    for index, value in enumerate(values):
        text = value.strip()
        if not text or len(text) > 100 or any(c.isspace() for c in text):
            raise InvalidReport(
                "an identifier is one word of at most 100 characters (CVE-2024-1234, GHSA-...)",
                path=f"{path}[{index}]",
                source=source,
            )
        cleaned.append(text)
    return tuple(dict.fromkeys(cleaned))


def draft_from_structured(
    document: object, *, source: str = "", attachments_allowed: bool = True
) -> ReportDraft:
    """Validate a structured report (already parsed JSON) into a draft."""
    digest = content_sha256(document)
    try:
        body = StructuredReportIn.model_validate(document)
    except ValidationError as exc:
        raise _validation_error(exc, source) from None
    package: tuple[str, str] | None = None
    if body.purl:
        try:
            ref = parse_purl(body.purl)
        except MatchingError as exc:
            raise InvalidReport(str(exc), path="$.purl", source=source) from None
        package = (ref.ecosystem, ref.name)
    elif body.package:
        package = (body.package.ecosystem.strip(), body.package.name.strip())
    affected: tuple[Mapping[str, Any], ...] = ()
    summary = body.affected_versions
    if package is not None:
        entry: dict[str, Any] = {"package": {"ecosystem": package[0], "name": package[1]}}
        if body.affected is not None:
            ranges = [r.model_dump(exclude_none=True) for r in body.affected.ranges]
            for i, osv_range in enumerate(ranges):
                if not any("introduced" in event for event in osv_range["events"]):
                    raise InvalidReport(
                        "a range needs an 'introduced' event",
                        path=f"$.affected.ranges[{i}].events",
                        source=source,
                    )
            if ranges:
                entry["ranges"] = ranges
            if body.affected.versions:
                entry["versions"] = list(body.affected.versions)
            summary = summary or _versions_summary(ranges, body.affected.versions) or None
        affected = (entry,)
    elif body.affected is not None:
        raise InvalidReport(
            "affected versions need the package they are versions of",
            path="$.package",
            source=source,
        )
    if body.cwe and normalise_cwe(body.cwe) is None:
        raise InvalidReport("a CWE is written CWE-<number>", path="$.cwe", source=source)
    if body.attachments and not attachments_allowed:
        raise InvalidReport("attachments are not taken here", path="$.attachments", source=source)
    return ReportDraft(
        title=body.title.strip(),
        description=body.description.strip(),
        source_format=SourceFormat.structured,
        content_sha256=digest,
        affected=affected,
        affected_versions=summary,
        cwe=normalise_cwe(body.cwe),
        cvss_vector=_check_vector(body.cvss_vector, "$.cvss_vector", source),
        identifiers=_identifiers(body.identifiers, "$.identifiers", source),
        location=body.location.strip() if body.location else None,
        discovered_by=body.discovered_by,
        discovered_by_name=body.discovered_by_name,
        model_version_id=body.model_version_id,
        review_id=body.review_id,
        model_run=body.model_run.strip() if body.model_run else None,
        tlp=body.tlp,
        sharing_group=body.sharing_group or None,
        attachments=tuple(
            AttachmentDraft(
                safe_filename(a.filename),
                safe_media_type(a.media_type),
                decode_attachment(a.content_base64, path=f"$.attachments[{i}].content_base64"),
            )
            for i, a in enumerate(body.attachments)
        ),
    )


# --- OSV drafts ---------------------------------------------------------------------------


def _first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s+|\n", text.strip(), maxsplit=1)[0]
    return sentence[:297] + "..." if len(sentence) > 300 else sentence


def drafts_from_osv(
    document: object,
    *,
    source: str = "",
    discovered_by: DiscoveredBy = DiscoveredBy.person,
    discovered_by_name: str | None = None,
    model_run: str | None = None,
) -> list[ReportDraft]:
    """An OSV record written as a draft: one report for the vulnerability it describes.

    A draft may leave out `modified` (it has not been published); the rest of the schema
    applies as to any record.
    """
    if not isinstance(document, dict):
        raise InvalidReport("an OSV draft is a JSON object", source=source)
    digest = content_sha256(document)
    doc = dict(document)
    doc.setdefault("modified", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    try:
        doc = validate_osv(doc, source=source)
    except InvalidRecord as exc:
        raise InvalidReport(exc.reason, path=exc.path, source=source) from None
    details = str(doc.get("details") or "").strip()
    title = str(doc.get("summary") or "").strip() or _first_sentence(details)
    if not title:
        raise InvalidReport("an OSV draft needs a summary or details", path="$.summary")
    affected = tuple(doc.get("affected") or ())
    vector = None
    for index, entry in enumerate(doc.get("severity") or ()):
        if entry.get("type") in ("CVSS_V3", "CVSS_V4"):
            vector = _check_vector(str(entry["score"]), f"$.severity[{index}].score", source)
            break
    cwes = (doc.get("database_specific") or {}).get("cwe_ids") or []
    identifiers = [str(doc["id"]), *(str(a) for a in doc.get("aliases") or ())]
    package = next(
        ((e["package"]["ecosystem"], e["package"]["name"]) for e in affected if e.get("package")),
        None,
    )
    summary = None
    if package is not None:
        first = next(e for e in affected if e.get("package"))
        summary = _versions_summary(first.get("ranges") or (), first.get("versions") or ())
    return [
        ReportDraft(
            title=title[:300],
            description=details or title,
            source_format=SourceFormat.osv,
            content_sha256=digest,
            affected=affected,
            affected_versions=summary or None,
            cwe=normalise_cwe(str(cwes[0])) if cwes else None,
            cvss_vector=vector,
            identifiers=tuple(i for i in dict.fromkeys(identifiers) if _CVE_LIKE.match(i)),
            discovered_by=discovered_by,
            discovered_by_name=discovered_by_name,
            model_run=model_run,
        )
    ]


# --- SARIF --------------------------------------------------------------------------------


def _sarif_affected(result: SarifResult) -> tuple[Mapping[str, Any], ...]:
    ecosystem, name, version = result.ecosystem, result.package, result.version
    if result.purl:
        try:
            ref = parse_purl(result.purl)
        except MatchingError:
            ref = None
        if ref is not None:
            ecosystem, name, version = ref.ecosystem, ref.name, ref.version or version
    if not ecosystem or not name:
        return ()
    entry: dict[str, Any] = {"package": {"ecosystem": ecosystem, "name": name}}
    if version:
        entry["versions"] = [version]
    return (entry,)


def drafts_from_sarif(
    data: bytes,
    *,
    source: str = "",
    discovered_by: DiscoveredBy = DiscoveredBy.tool,
    discovered_by_name: str | None = None,
    model_run: str | None = None,
) -> list[ReportDraft]:
    """One report per result of a SARIF 2.1.0 log (a scanner's, or an AI reviewer's)."""
    try:
        results = read_sarif_results(data, source=source)
    except InvalidRecord as exc:
        raise InvalidReport(exc.reason, path=exc.path, source=source) from None
    drafts = []
    for result in results:
        tool = " ".join(p for p in (result.tool_name, result.tool_version) if p)
        affected = _sarif_affected(result)
        drafts.append(
            ReportDraft(
                title=result.title,
                description=result.description,
                source_format=SourceFormat.sarif,
                # Each result's own content, so that a client can check every one arrived.
                content_sha256=content_sha256(
                    [result.run_index, result.result_index, result.message, result.location]
                ),
                affected=affected,
                affected_versions=result.version,
                cwe=result.cwes[0] if result.cwes else None,
                identifiers=tuple(i for i in result.identifiers if _CVE_LIKE.match(i)),
                location=result.location,
                discovered_by=discovered_by,
                discovered_by_name=discovered_by_name or tool[:200] or None,
                model_run=model_run or result.run_id,
            )
        )
    return drafts


# --- any submission -----------------------------------------------------------------------


def _parse(data: bytes, filename: str) -> object:
    if filename.lower().endswith((".yaml", ".yml")):
        try:
            return load_osv_yaml(data, source=filename)
        except InvalidRecord as exc:
            raise InvalidReport(exc.reason, path=exc.path, source=filename) from None
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidReport(f"not valid JSON: {exc}", source=filename) from None


def _looks_like_osv(document: object) -> bool:
    # A structured report has a title and an `affected` object; an OSV record has neither.
    if not isinstance(document, dict) or "title" in document:
        return False
    return isinstance(document.get("affected"), list) or "schema_version" in document


def drafts_from_bytes(
    data: bytes,
    *,
    filename: str = "report.json",
    discovered_by: DiscoveredBy | None = None,
    discovered_by_name: str | None = None,
    model_run: str | None = None,
) -> list[ReportDraft]:
    """Read a submitted file in whichever shape it is: SARIF log, OSV draft, structured report."""
    if len(data) > MAX_SUBMISSION_BYTES:
        raise ReportTooLarge(f"{filename}: a submission may be at most 32 MiB")
    document = _parse(data, filename)
    if isinstance(document, dict) and "runs" in document and "version" in document:
        return drafts_from_sarif(
            data,
            source=filename,
            discovered_by=discovered_by or DiscoveredBy.tool,
            discovered_by_name=discovered_by_name,
            model_run=model_run,
        )
    if _looks_like_osv(document):
        return drafts_from_osv(
            document,
            source=filename,
            discovered_by=discovered_by or DiscoveredBy.person,
            discovered_by_name=discovered_by_name,
            model_run=model_run,
        )
    draft = draft_from_structured(document, source=filename)
    overrides: dict[str, Any] = {}
    if discovered_by is not None:
        overrides["discovered_by"] = discovered_by
    if discovered_by_name is not None:
        overrides["discovered_by_name"] = discovered_by_name
    if model_run is not None:
        overrides["model_run"] = model_run
    if overrides:
        draft = replace(draft, **overrides)
    return [draft]


# --- submitting ---------------------------------------------------------------------------


def _package_keys(affected: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    keys = []
    for entry in affected:
        package = entry.get("package") or {}
        if package.get("ecosystem") and package.get("name"):
            ecosystem = str(package["ecosystem"])
            keys.append((ecosystem, package_name_key(ecosystem, str(package["name"]))))
    return sorted(set(keys))


def submit_report(
    session: Session,
    principal: Principal,
    draft: ReportDraft,
    *,
    blobs: BlobStore,
    now: datetime,
) -> Report:
    """Take one report in: store, fingerprint, score and link it, in the caller's transaction."""
    require_report(principal, ReportAction.report_submit)
    package = draft.package
    terms = text_terms(draft.title, draft.description)
    fingerprint = report_fingerprint(draft.affected, cwe=draft.cwe, location=draft.location)
    report = create_report(
        session,
        title=draft.title,
        description=draft.description,
        submitted_by=principal.actor,
        submitted_by_user_id=principal.user_id,
        reporter_org_id=principal.organisation_id,
        discovered_by=draft.discovered_by,
        discovered_by_model_version_id=draft.model_version_id,
        discovered_during_review_id=draft.review_id,
        package_ecosystem=package[0] if package else None,
        package_name=package[1] if package else None,
        package_name_key=package_name_key(*package) if package else None,
        affected_versions=draft.affected_versions,
        cwe=draft.cwe,
        cvss_vector=draft.cvss_vector,
        tlp=draft.tlp,
        source_format=draft.source_format,
        content_sha256=draft.content_sha256,
        discovered_by_name=draft.discovered_by_name,
        model_run=draft.model_run,
        location=draft.location,
        identifiers=orjson.dumps(list(draft.identifiers)).decode(),
        affected=orjson.dumps(list(draft.affected)).decode(),
        fingerprint=fingerprint,
        now=now,
        record_audit=False,
    )
    if draft.sharing_group is not None:  # an unknown group is a clear 404, nothing stored
        report.sharing_group_id = group_by_slug(session, draft.sharing_group.strip()).id
    for attachment in draft.attachments:
        sha256 = blobs.put(attachment.content)
        session.add(
            ReportAttachment(
                report_id=report.id,
                sha256=sha256,
                filename=attachment.filename,
                media_type=attachment.media_type,
                size_bytes=len(attachment.content),
                created_at=now,
                created_by=principal.actor,
            )
        )
    buckets = text_bands(terms)
    store_bands(session, report, buckets)
    known = find_known_vulnerability(
        session,
        identifiers=draft.identifiers,
        package_keys=_package_keys(draft.affected),
        terms=terms,
    )
    if known is not None:
        report.known_osv_id = known[0]
        session.add(
            ReportLink(
                report_id=report.id,
                osv_id=known[0],
                kind=LinkKind.known_vulnerability,
                score=known[1],
                created_at=now,
                created_by="system:deduplication",
            )
        )
    link_duplicates(session, report, terms, buckets=buckets, now=now)
    apply_scores(session, report)
    # Last before the audit event: these rows are shared by every intake, so hold them briefly.
    record_terms(session, terms)
    session.flush()
    # One event for the whole intake: the report as received, and what intake made of it.
    audit.append(
        session,
        actor=principal.actor,
        action="report.create",
        subject_type="report",
        subject_id=str(report.id),
        after=report_state(report),
        details={
            "fingerprint": report.fingerprint,
            "duplicate_of_id": report.duplicate_of_id,
            "known_osv_id": report.known_osv_id,
            "priority": report.priority,
        },
    )
    return report


def recheck_duplicates(db: Database, report_ids: Sequence[int], *, now: datetime) -> int:
    """Look for duplicates again after the reports' own commit; returns how many got linked.

    Closes the window in which two servers take in the same vulnerability at once and
    neither sees the other's uncommitted report (`duplicates` explains the order rule).
    SQLite has no such window: its writers take turns (BEGIN IMMEDIATE), so every report
    with a smaller id was committed before the new one's transaction began.
    """
    if db.is_sqlite:
        return 0
    linked = 0
    with db.session() as session:
        for report_id in report_ids:
            report = session.get(Report, report_id)
            if report is None or report.duplicate_of_id is not None:
                continue
            terms = text_terms(report.title, report.description)
            if link_duplicates(session, report, terms, now=now) is not None:
                linked += 1
                audit.append(
                    session,
                    actor="system:deduplication",
                    action="report.linked",
                    subject_type="report",
                    subject_id=str(report.id),
                    after={
                        "duplicate_of_id": report.duplicate_of_id,
                        "score": report.duplicate_score,
                    },
                )
    return linked
