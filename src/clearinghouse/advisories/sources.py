"""What an advisory says, gathered from its source: an alias group of the store, or a case.

Read through the store's own queries (`find_group`, with the analyst's visibility) and the
disclosure area's `advisory_facts`, then turned into plain `VulnerabilityFacts` for the
pure CSAF builder. CVSS v3.x vectors are scored by the `cvss` library; v4.0 vectors, which
CSAF 2.0 cannot hold, go into a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cvss import CVSS3
from cvss.exceptions import CVSSError
from sqlalchemy.orm import Session

from clearinghouse.advisories.csaf_document import (
    KnownExploited,
    Note,
    Product,
    Reference,
    Score,
    VulnerabilityFacts,
)
from clearinghouse.advisories.errors import SourceNotReady, UnknownSource
from clearinghouse.advisories.osv_products import intervals, products_of_record, vers_of
from clearinghouse.disclosure.advisory_draft import AdvisoryFacts, osv_id_of
from clearinghouse.disclosure.affected import osv_affected
from clearinghouse.disclosure.errors import DisclosureError
from clearinghouse.disclosure.models import CaseStatus, DisclosureCase
from clearinghouse.disclosure.publication import advisory_facts
from clearinghouse.errors import NotFound
from clearinghouse.formats.csaf.cwe import KNOWN_CWE_NAMES
from clearinghouse.identity.principal import Principal
from clearinghouse.identity.tlp import Tlp
from clearinghouse.matching.errors import MatchingError
from clearinghouse.matching.purl import to_purl
from clearinghouse.vulnerabilities.store import VulnGroupView, find_group

MAX_REFERENCES = 200
_TLP_ORDER = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]
CASE_SOURCE_READY = (CaseStatus.published, CaseStatus.closed)


@dataclass(frozen=True)
class Gathered:
    """The source's facts, and the defaults a new draft takes from it."""

    vulnerability: VulnerabilityFacts
    title: str
    summary: str
    description: str
    advisory_url: str | None
    tlp: str
    severity: str | None


def cvss_v3_score(vector: str) -> Score | None:
    """The CSAF `cvss_v3` facts of a v3.x vector, computed by the `cvss` library."""
    if not vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
        return None
    try:
        scored = CVSS3(vector)
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return Score(
        # The library normalises the vector (metric order); CSAF 6.1.10 compares the
        # metrics, and the vector as written is what the record said.
        vector=vector,
        version=vector[5:8],
        base_score=float(scored.scores()[0]),
        base_severity=str(scored.severities()[0]).upper(),
    )


def _best_v3(vectors: list[str]) -> Score | None:
    scored = [s for s in (cvss_v3_score(v) for v in vectors) if s is not None]
    return max(scored, key=lambda s: s.base_score) if scored else None


def _cvss_note(v4: list[str], extra_v3: list[str]) -> list[Note]:
    lines = [f"CVSS v4.0: {vector}" for vector in v4]
    lines += [f"CVSS v3 (another source): {vector}" for vector in extra_v3]
    if not lines:
        return []
    text = "\n".join(lines)
    if v4:
        text += "\nCSAF 2.0 has no CVSS v4.0 score object, so v4.0 vectors are given here."
    return [Note("other", "Other CVSS vectors", text)]


def _cwe(cwe_ids: list[str]) -> tuple[tuple[str, str] | None, list[Note]]:
    """The one CWE CSAF 2.0 allows (with its catalogue name); the others in a note."""
    known = [c for c in cwe_ids if c in KNOWN_CWE_NAMES]
    chosen = (known[0], KNOWN_CWE_NAMES[known[0]]) if known else None
    rest = [c for c in cwe_ids if chosen is None or c != chosen[0]]
    notes = [Note("other", "Weaknesses", ", ".join(rest))] if rest else []
    return chosen, notes


def _system_name(alias: str) -> str:
    prefix = alias.split("-", 1)[0]
    return prefix if prefix and prefix != alias else "OSV"


def _ids(aliases: list[str]) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    cves = sorted(a for a in aliases if a.startswith("CVE-"))
    cve = cves[0] if cves else None
    others = tuple((_system_name(a), a) for a in aliases if a != cve)
    return cve, others


def _references(records: list[dict[str, Any]]) -> list[Reference]:
    seen: dict[str, Reference] = {}
    for document in records:
        for ref in document.get("references") or ():
            url = str(ref.get("url") or "")
            if url and url not in seen and len(seen) < MAX_REFERENCES:
                kind = str(ref.get("type") or "WEB").lower().replace("_", " ")
                seen[url] = Reference(url=url, summary=f"{kind} reference")
    return list(seen.values())


def _advisory_url(records: list[dict[str, Any]], osv_id: str) -> str:
    for document in records:
        for ref in document.get("references") or ():
            if ref.get("type") == "ADVISORY" and ref.get("url"):
                return str(ref["url"])
    return f"https://osv.dev/vulnerability/{osv_id}"


def _unique(products: list[Product]) -> tuple[Product, ...]:
    seen: dict[tuple[Any, ...], Product] = {}
    for product in products:
        seen.setdefault((*product.key, product.status), product)
    return tuple(seen.values())


def _strictest(labels: list[str]) -> str:
    parsed = [Tlp(label) if label in Tlp.__members__.values() else Tlp.RED for label in labels]
    return max(parsed, key=_TLP_ORDER.index, default=Tlp.CLEAR).value


def from_group(
    session: Session, principal: Principal, identifier: str, *, now: datetime
) -> tuple[int, Gathered]:
    """(group id, facts) of the alias group any identifier names, as `principal` sees it."""
    try:
        view = find_group(session, identifier, principal, now=now)
    except NotFound as exc:
        raise UnknownSource(str(exc)) from None
    if view.primary is None:
        raise UnknownSource(f"no record of {identifier!r} is readable to draft from")
    return view.group_id, gather_group(view)


def gather_group(view: VulnGroupView) -> Gathered:
    """Pure: the facts of an alias group's readable records (the requested one first)."""
    primary = view.primary
    assert primary is not None
    documents = [r.document for r in view.records]
    advisory_url = _advisory_url(documents, primary.osv_id)
    products: list[Product] = []
    for document in documents:
        products.extend(products_of_record(document, advisory_url=advisory_url))
    if not products:
        products.append(
            Product(vendor="Unknown", name=primary.osv_id, status="under_investigation")
        )
    v3: list[str] = []
    v4: list[str] = []
    cwe_ids: list[str] = []
    for document in documents:
        for entry in document.get("severity") or ():
            vector = str(entry.get("score") or "")
            if entry.get("type") == "CVSS_V3" and vector not in v3:
                v3.append(vector)
            elif entry.get("type") == "CVSS_V4" and vector not in v4:
                v4.append(vector)
        for cwe in (document.get("database_specific") or {}).get("cwe_ids") or ():
            if isinstance(cwe, str) and cwe not in cwe_ids:
                cwe_ids.append(cwe)
    score = _best_v3(v3)
    cwe, cwe_notes = _cwe(cwe_ids)
    cve, ids = _ids(view.aliases)
    summary = primary.summary or primary.osv_id
    details = str(primary.document.get("details") or "").strip() or summary
    notes = [Note("summary", "Summary", summary), Note("description", "Details", details)]
    notes += cwe_notes
    notes += _cvss_note(v4, [v for v in v3 if score is None or v != score.vector])
    kev = None
    if view.kev is not None:
        kev = KnownExploited(
            cve_id=view.kev.cve_id,
            date_added=view.kev.date_added.isoformat(),
            due_date=view.kev.due_date.isoformat(),
            required_action=view.kev.required_action,
        )
    vulnerability = VulnerabilityFacts(
        title=summary[:300],
        cve=cve,
        ids=ids,
        cwe=cwe,
        notes=tuple(notes),
        references=tuple(_references(documents)),
        products=_unique(products),
        score=score,
        kev=kev,
        # The Go database writes 0001-01-01 for "unknown": no date rather than a wrong one.
        release_date=primary.published
        if primary.published and primary.published.year >= 1990
        else None,
    )
    return Gathered(
        vulnerability=vulnerability,
        title=summary[:300],
        summary=summary,
        description=details,
        advisory_url=advisory_url,
        tlp=_strictest([r.tlp for r in view.records]),
        severity=score.base_severity if score else primary.severity,
    )


# --- a disclosure case (VEX) ----------------------------------------------------------------

_VEX_STATUS = {"affected": "known_affected", "not_affected": "known_not_affected", "fixed": "fixed"}


def _case_range(ecosystem: str | None, text: str) -> str | None:
    """A vers string of what the vendor wrote, or their words as written."""
    text = text.strip()
    if not text:
        return None
    if ecosystem:
        try:
            converted = osv_affected(ecosystem, text)
        except DisclosureError:
            return text[:200]
        found = intervals(converted.ranges)
        vers = vers_of(ecosystem, found)
        if vers is not None and not converted.versions:
            return vers
    return text[:200]


def _case_purl(facts: AdvisoryFacts) -> str | None:
    if not (facts.package_ecosystem and facts.package_name):
        return None
    try:
        return to_purl(facts.package_ecosystem, facts.package_name)
    except (MatchingError, ValueError):  # no purl type for that ecosystem: the product has none
        return None


def case_products(facts: AdvisoryFacts) -> tuple[Product, ...]:
    """Pure: one product per vendor statement, with the VEX status the vendor stated."""
    purl = _case_purl(facts)
    products: list[Product] = []
    for s in facts.statements:
        status = _VEX_STATUS[s.status]
        name = facts.package_name or f"{s.vendor} products"
        version_range = _case_range(facts.package_ecosystem, s.versions or "") or (
            _case_range(facts.package_ecosystem, facts.affected_versions or "")
            if status == "known_affected"
            else None
        )
        products.append(
            Product(
                vendor=s.vendor,
                name=name,
                status=status,  # type: ignore[arg-type]
                purl=purl,
                version_range=version_range,
                impact=s.statement if status == "known_not_affected" else "",
                remediation=(
                    f"{s.vendor}: {s.statement}"
                    if status == "known_affected" and s.statement
                    else ""
                ),
                remediation_category="none_available",
            )
        )
    if not products:
        vendor = facts.package_ecosystem or "Unknown vendor"
        products.append(
            Product(
                vendor=vendor,
                name=facts.package_name or facts.title[:100] or osv_id_of(facts.case_id),
                status="known_affected" if facts.affected_versions else "under_investigation",
                purl=purl,
                version_range=_case_range(facts.package_ecosystem, facts.affected_versions or ""),
            )
        )
    return _unique(products)


def gather_case_facts(facts: AdvisoryFacts) -> Gathered:
    """Pure: the facts of a case's advisory (a VEX document's one vulnerability)."""
    v3 = [facts.cvss_vector] if facts.cvss_vector and facts.cvss_vector.startswith("CVSS:3") else []
    v4 = [facts.cvss_vector] if facts.cvss_vector and facts.cvss_vector.startswith("CVSS:4") else []
    score = _best_v3(v3)
    cwe, cwe_notes = _cwe([facts.cwe] if facts.cwe else [])
    summary = facts.summary or facts.title
    description = facts.description.strip() or summary
    notes = [Note("summary", "Summary", summary), Note("description", "Details", description)]
    notes += cwe_notes + _cvss_note(v4, [])
    vulnerability = VulnerabilityFacts(
        title=facts.title[:300],
        cve=facts.cve_id,
        ids=(("Clearinghouse case", osv_id_of(facts.case_id)),),
        cwe=cwe,
        notes=tuple(notes),
        products=case_products(facts),
        score=score,
    )
    return Gathered(
        vulnerability=vulnerability,
        title=facts.title[:300],
        summary=summary,
        description=description,
        advisory_url=None,
        tlp=facts.tlp,
        severity=score.base_severity if score else facts.severity,
    )


def load_case(session: Session, case_id: int) -> DisclosureCase:
    case = session.get(DisclosureCase, case_id)
    if case is None:
        raise UnknownSource(f"no case {case_id}")
    if case.status not in CASE_SOURCE_READY:
        raise SourceNotReady(
            f"case {case_id} is {case.status.value}: an advisory is drafted from a published "
            "or closed case"
        )
    return case


def from_case(session: Session, case_id: int) -> tuple[DisclosureCase, Gathered]:
    case = load_case(session, case_id)
    return case, gather_case_facts(advisory_facts(session, case))
