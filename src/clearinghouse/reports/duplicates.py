"""Linking a report to what it repeats: an earlier report, or a record of the vulnerability store.

Candidates are the earlier reports with the same fingerprint and those sharing a text band
(`report_text_bands`); each is scored exactly (`similarity.text_similarity`). The best at
or above `DUPLICATE_THRESHOLD` is what the report duplicates (`duplicate_of_id`): the
canonical report of that match when the new report resembles the canonical one too, so
that chains stay short, else the match itself; those between `SIMILAR_THRESHOLD` and it
are kept as "similar" links for the analyst. A report only
ever links to reports with a smaller id, so two reports submitted at the same moment by
two servers cannot link to each other: whichever committed later links to the other when
it checks again after its own commit (`intake.submit_report`).

A report repeats a known vulnerability when it cites one of the record's identifiers (an
alias group hit), or when its text matches a stored record of the same package as well as
a duplicate report would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from clearinghouse.reports.models import LinkKind, Report, ReportLink, ReportTerm, ReportTextBand
from clearinghouse.reports.similarity import (
    DUPLICATE_THRESHOLD,
    SIMILAR_THRESHOLD,
    text_bands,
    text_terms,
    tfidf_cosine,
)
from clearinghouse.vulnerabilities.models import AffectedPackage, AliasLink, Vulnerability

__all__ = [
    "MAX_CANDIDATES",
    "Match",
    "document_frequencies",
    "find_known_vulnerability",
    "link_duplicates",
    "record_terms",
    "store_bands",
]

MAX_CANDIDATES = 300  # reports scored exactly per new report, most shared bands first
MAX_SIMILAR_LINKS = 5
MAX_PACKAGE_RECORDS = 400
SYSTEM = "system:deduplication"


@dataclass(frozen=True)
class Match:
    report_id: int
    canonical_id: int
    score: float
    exact: bool


def store_bands(session: Session, report: Report, buckets: Sequence[int]) -> None:
    # One executemany, not 42 ORM objects: this runs for every report taken in.
    if buckets:
        session.execute(
            insert(ReportTextBand),
            [{"bucket": bucket, "report_id": report.id} for bucket in dict.fromkeys(buckets)],
        )


_DOCUMENTS = ""  # the report_terms row that counts the reports
_CHUNK = 400


def record_terms(session: Session, terms: Iterable[str]) -> None:
    """Count one more report using each of these words (and one more report)."""
    rows = [{"term": term, "documents": 1} for term in sorted({_DOCUMENTS, *terms})]
    dialect = session.get_bind().dialect.name
    upsert: Any = sqlite_insert if dialect == "sqlite" else postgresql_insert
    for start in range(0, len(rows), _CHUNK):
        statement = upsert(ReportTerm).values(rows[start : start + _CHUNK])
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[ReportTerm.term],
                set_={"documents": ReportTerm.documents + 1},
            )
        )


def document_frequencies(session: Session, terms: Iterable[str]) -> tuple[dict[str, int], int]:
    """(how many reports use each word, how many reports there are)."""
    wanted = sorted({_DOCUMENTS, *terms})
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = session.execute(
            select(ReportTerm.term, ReportTerm.documents).where(
                ReportTerm.term.in_(wanted[start : start + _CHUNK])
            )
        )
        found.update({term: documents for term, documents in rows})
    return found, found.pop(_DOCUMENTS, 0)


def _candidate_ids(session: Session, report: Report, buckets: Sequence[int]) -> list[int]:
    ids: list[int] = []
    if buckets:
        shared = func.count().label("shared")
        rows = session.execute(
            select(ReportTextBand.report_id, shared)
            .where(ReportTextBand.bucket.in_(buckets))
            .where(ReportTextBand.report_id < report.id)
            .group_by(ReportTextBand.report_id)
            .order_by(shared.desc(), ReportTextBand.report_id)
            .limit(MAX_CANDIDATES)
        )
        ids = [row.report_id for row in rows]
    if report.fingerprint:
        exact = session.scalars(
            select(Report.id)
            .where(Report.fingerprint == report.fingerprint)
            .where(Report.id < report.id)
            .order_by(Report.id)
            .limit(20)
        )
        ids = list(dict.fromkeys([*exact, *ids]))
    return ids


def _scored(
    session: Session, report: Report, terms: Counter[str], ids: Sequence[int]
) -> list[Match]:
    if not ids:
        return []
    rows = list(
        session.execute(
            select(
                Report.id,
                Report.title,
                Report.description,
                Report.fingerprint,
                Report.duplicate_of_id,
            ).where(Report.id.in_(ids))
        )
    )
    texts = {row.id: text_terms(row.title, row.description) for row in rows}
    frequencies, documents = document_frequencies(
        session, {term for counts in texts.values() for term in counts} | set(terms)
    )
    matches = []
    for row in rows:
        score = tfidf_cosine(terms, texts[row.id], frequencies, documents)
        # The same package, range and weakness can describe two different flaws (fixed in one
        # release); with different words, the fingerprint alone does not make a duplicate.
        exact = (
            report.fingerprint is not None
            and row.fingerprint == report.fingerprint
            and score >= SIMILAR_THRESHOLD
        )
        if exact or score >= SIMILAR_THRESHOLD:
            matches.append(
                Match(
                    row.id, row.duplicate_of_id or row.id, 1.0 if exact else round(score, 4), exact
                )
            )
    matches.sort(key=lambda m: (not m.exact, -m.score, m.report_id))
    return matches


def _target(best: Match, matches: Sequence[Match]) -> int:
    """The report to link to: the best match's canonical report if the new one resembles that
    as well, else the best match itself (so one wrong link is not passed down the line)."""
    if best.canonical_id == best.report_id:
        return best.report_id
    canonical = next((m for m in matches if m.report_id == best.canonical_id), None)
    if canonical is not None and (canonical.exact or canonical.score >= DUPLICATE_THRESHOLD):
        return best.canonical_id
    return best.report_id


def link_duplicates(
    session: Session,
    report: Report,
    terms: Counter[str],
    *,
    buckets: Sequence[int] | None = None,
    now: datetime,
) -> Match | None:
    """Link `report` to the earlier report it repeats (if any) and note similar ones.

    Idempotent: links already made are not made twice, so the check may run again.
    """
    if buckets is None:
        buckets = text_bands(terms)
    matches = _scored(session, report, terms, _candidate_ids(session, report, buckets))
    if not matches:
        return None
    linked = set(
        session.scalars(select(ReportLink.other_report_id).where(ReportLink.report_id == report.id))
    )
    best = matches[0]
    is_duplicate = best.exact or best.score >= DUPLICATE_THRESHOLD
    if is_duplicate and report.duplicate_of_id is None:
        report.duplicate_of_id = _target(best, matches)
        report.duplicate_score = best.score
    for match in matches[: MAX_SIMILAR_LINKS + 1]:
        if match.report_id in linked:
            continue
        if match.exact:
            kind = LinkKind.exact
        elif match.score >= DUPLICATE_THRESHOLD:
            kind = LinkKind.near_duplicate
        else:
            kind = LinkKind.similar
        session.add(
            ReportLink(
                report_id=report.id,
                other_report_id=match.report_id,
                kind=kind,
                score=match.score,
                created_at=now,
                created_by=SYSTEM,
            )
        )
    session.flush()
    return best if is_duplicate else None


def _spellings(identifiers: Sequence[str]) -> list[str]:
    # Aliases are stored as their databases write them (CVE-... upper case, GHSA-xxxx-... with
    # lower-case parts): ask for the identifier as given and in upper case, so the index helps.
    names = {i.strip() for i in identifiers if i.strip()}
    return sorted(names | {name.upper() for name in names})


def _record_text(document: str) -> tuple[str, str]:
    doc = orjson.loads(document)
    return str(doc.get("summary") or ""), str(doc.get("details") or "")


def find_known_vulnerability(
    session: Session,
    *,
    identifiers: Sequence[str],
    package_keys: Sequence[tuple[str, str]],
    terms: Counter[str],
) -> tuple[str, float] | None:
    """(OSV id, score) of the stored record the report repeats, if any.

    Stored records are compared whatever their TLP: this is the analysts' view, and the
    link is shown only to analysts.
    """
    names = _spellings(identifiers)
    if names:
        group = session.scalar(
            select(AliasLink.group_id).where(AliasLink.alias.in_(names)).limit(1)
        )
        if group is not None:
            osv_id = session.scalar(
                select(Vulnerability.osv_id)
                .where(Vulnerability.group_id == group)
                .order_by(Vulnerability.osv_id)
                .limit(1)
            )
            if osv_id is not None:
                return osv_id, 1.0
    if not package_keys or not terms:
        return None
    rows = session.execute(
        select(Vulnerability.osv_id, Vulnerability.document)
        .join(AffectedPackage, AffectedPackage.vulnerability_id == Vulnerability.id)
        .where(tuple_(AffectedPackage.ecosystem, AffectedPackage.name_key).in_(package_keys))
        .where(Vulnerability.withdrawn.is_(None))
        .distinct()
        .limit(MAX_PACKAGE_RECORDS)
    )
    records = {osv_id: text_terms(*_record_text(document)) for osv_id, document in rows}
    if not records:
        return None
    frequencies, documents = document_frequencies(
        session, {term for counts in records.values() for term in counts} | set(terms)
    )
    best: tuple[str, float] | None = None
    for osv_id, counts in records.items():
        score = tfidf_cosine(terms, counts, frequencies, documents)
        if score >= DUPLICATE_THRESHOLD and (best is None or score > best[1]):
            best = (osv_id, round(score, 4))
    return best
