"""The CSAF 2.0 document of an advisory, built from plain values: pure, no database, no clock.

`build_csaf(facts)` returns the document as a dict; the service validates it with
`formats.csaf.ensure_valid_csaf` before anything is stored. One CSAF vulnerability per
alias group (CSAF 6.1.23 forbids one CVE in two vulnerabilities); the products of every
vulnerability share one `product_tree` whose ids (CSAFPID-0001...) follow first appearance,
so the same facts always give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from clearinghouse.identity.tlp import Tlp

CSAF_VERSION = "2.0"
TLP_URL = "https://www.first.org/tlp/"
# CSAF 2.0 still speaks TLP 1.0: CLEAR was WHITE, and TLP 1.0 had no AMBER+STRICT, so the
# nearest label that does not widen the audience is AMBER (`distribution.text` keeps 2.0's).
TLP_1_LABELS = {
    Tlp.CLEAR: "WHITE",
    Tlp.GREEN: "GREEN",
    Tlp.AMBER: "AMBER",
    Tlp.AMBER_STRICT: "AMBER",
    Tlp.RED: "RED",
}
ProductStatus = Literal["known_affected", "fixed", "known_not_affected", "under_investigation"]
Profile = Literal["csaf_security_advisory", "csaf_vex"]


@dataclass(frozen=True)
class Publisher:
    name: str
    namespace: str
    category: str = "coordinator"


@dataclass(frozen=True)
class Revision:
    number: str
    date: datetime
    summary: str


@dataclass(frozen=True)
class Reference:
    url: str
    summary: str
    category: Literal["external", "self"] = "external"


@dataclass(frozen=True)
class Note:
    category: str  # CSAF note categories: summary, description, details, general, ...
    title: str
    text: str


@dataclass(frozen=True)
class Product:
    """One product a vulnerability speaks of: a package in a version range, or one version.

    `vendor` and `name` are the branches above it; exactly one of `version_range` (a vers
    string, or the vendor's own words) and `version` is set, or neither for "the product".
    """

    vendor: str
    name: str
    status: ProductStatus
    purl: str | None = None
    version_range: str | None = None
    version: str | None = None
    # known_not_affected: the impact statement (VEX requires one); known_affected: the
    # remediation (VEX requires an action statement).
    impact: str = ""
    remediation: str = ""
    remediation_category: str = "vendor_fix"
    remediation_url: str | None = None

    @property
    def key(self) -> tuple[str, str, str | None, str | None]:
        return (self.vendor, self.name, self.version_range, self.version)

    @property
    def full_name(self) -> str:
        detail = self.version_range or self.version
        return f"{self.vendor} {self.name} {detail}" if detail else f"{self.vendor} {self.name}"


@dataclass(frozen=True)
class Score:
    """A CVSS v3.x vector with what the `cvss` library computed from it."""

    vector: str
    version: str  # "3.0" or "3.1"
    base_score: float
    base_severity: str


@dataclass(frozen=True)
class KnownExploited:
    """CISA KEV: the date added and the BOD 22-01 remediation due date."""

    cve_id: str
    date_added: str
    due_date: str
    required_action: str


@dataclass(frozen=True)
class VulnerabilityFacts:
    title: str
    cve: str | None = None
    ids: tuple[tuple[str, str], ...] = ()  # (system_name, text)
    cwe: tuple[str, str] | None = None  # (id, name)
    notes: tuple[Note, ...] = ()
    references: tuple[Reference, ...] = ()
    products: tuple[Product, ...] = ()
    score: Score | None = None
    kev: KnownExploited | None = None
    release_date: datetime | None = None


@dataclass(frozen=True)
class CsafFacts:
    tracking_id: str
    title: str
    profile: Profile
    status: Literal["draft", "interim", "final"]
    tlp: str  # TLP 2.0, as stored
    publisher: Publisher
    revisions: tuple[Revision, ...]  # oldest first; the last is this version
    generator: str
    generated_at: datetime
    lang: str = "en"
    notes: tuple[Note, ...] = ()
    references: tuple[Reference, ...] = ()
    vulnerabilities: tuple[VulnerabilityFacts, ...] = field(default=())
    aggregate_severity: str | None = None


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def _distribution(tlp: str) -> dict[str, Any]:
    label = Tlp.parse(tlp)
    text = f"TLP:{label.value} (TLP 2.0)."
    if label is Tlp.AMBER_STRICT:
        text += " CSAF 2.0 has only TLP 1.0 labels: tlp.label AMBER stands for TLP:AMBER+STRICT."
    elif label is Tlp.CLEAR:
        text += " CSAF 2.0 has only TLP 1.0 labels: tlp.label WHITE stands for TLP:CLEAR."
    return {"text": text, "tlp": {"label": TLP_1_LABELS[label], "url": TLP_URL}}


def _note(note: Note) -> dict[str, Any]:
    out = {"category": note.category, "text": note.text}
    if note.title:
        out["title"] = note.title
    return out


def _reference(reference: Reference) -> dict[str, Any]:
    return {"category": reference.category, "summary": reference.summary, "url": reference.url}


def _tracking(facts: CsafFacts) -> dict[str, Any]:
    current = facts.revisions[-1]
    return {
        "current_release_date": timestamp(current.date),
        "generator": {
            "date": timestamp(facts.generated_at),
            "engine": {"name": "Clearinghouse", "version": facts.generator},
        },
        "id": facts.tracking_id,
        "initial_release_date": timestamp(facts.revisions[0].date),
        "revision_history": [
            {"date": timestamp(r.date), "number": r.number, "summary": r.summary}
            for r in facts.revisions
        ],
        "status": facts.status,
        "version": current.number,
    }


class _ProductTree:
    """Branches vendor -> product_name -> product_version(_range), ids by first appearance."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str, str | None, str | None], str] = {}
        self.products: list[Product] = []

    def id_of(self, product: Product) -> str:
        known = self.ids.get(product.key)
        if known is None:
            known = f"CSAFPID-{len(self.ids) + 1:04d}"
            self.ids[product.key] = known
            self.products.append(product)
        return known

    def _leaf(self, product: Product) -> dict[str, Any]:
        leaf: dict[str, Any] = {"name": product.full_name, "product_id": self.ids[product.key]}
        if product.purl:
            leaf["product_identification_helper"] = {"purl": product.purl}
        return leaf

    def as_dict(self) -> dict[str, Any]:
        vendors: dict[str, dict[str, list[Product]]] = {}
        for product in self.products:
            vendors.setdefault(product.vendor, {}).setdefault(product.name, []).append(product)
        branches = []
        for vendor, names in vendors.items():
            name_branches = []
            for name, products in names.items():
                name_branches.append(self._name_branch(name, products))
            branches.append({"category": "vendor", "name": vendor, "branches": name_branches})
        return {"branches": branches}

    def _name_branch(self, name: str, products: list[Product]) -> dict[str, Any]:
        branch: dict[str, Any] = {"category": "product_name", "name": name}
        leaves = []
        for product in products:
            if product.version_range is not None:
                leaves.append(
                    {
                        "category": "product_version_range",
                        "name": product.version_range,
                        "product": self._leaf(product),
                    }
                )
            elif product.version is not None:
                leaves.append(
                    {
                        "category": "product_version",
                        "name": product.version,
                        "product": self._leaf(product),
                    }
                )
            else:
                # The product itself, no version: it hangs from the product_name branch.
                branch["product"] = self._leaf(product)
        if leaves:
            branch["branches"] = leaves
        return branch


def _product_status(ids: list[tuple[Product, str]]) -> dict[str, list[str]]:
    status: dict[str, list[str]] = {}
    for product, product_id in ids:
        members = status.setdefault(product.status, [])
        if product_id not in members:
            members.append(product_id)
    return status


def _remediations(ids: list[tuple[Product, str]]) -> list[dict[str, Any]]:
    grouped: dict[tuple[str, str, str | None], list[str]] = {}
    for product, product_id in ids:
        if product.status != "known_affected":
            continue
        details = product.remediation or "No fix is known yet."
        category = product.remediation_category if product.remediation else "none_available"
        key = (category, details, product.remediation_url if product.remediation else None)
        members = grouped.setdefault(key, [])
        if product_id not in members:
            members.append(product_id)
    remediations = []
    for (category, details, url), product_ids in grouped.items():
        entry: dict[str, Any] = {
            "category": category,
            "details": details,
            "product_ids": product_ids,
        }
        if url:
            entry["url"] = url
        remediations.append(entry)
    return remediations


def _threats(vulnerability: VulnerabilityFacts, ids: list[tuple[Product, str]]) -> list[Any]:
    threats: list[dict[str, Any]] = []
    impacts: dict[str, list[str]] = {}
    for product, product_id in ids:
        if product.status == "known_not_affected":
            statement = product.impact or "The vendor states that this product is not affected."
            members = impacts.setdefault(statement, [])
            if product_id not in members:
                members.append(product_id)
    for statement, product_ids in impacts.items():
        threats.append({"category": "impact", "details": statement, "product_ids": product_ids})
    if vulnerability.kev is not None:
        kev = vulnerability.kev
        threats.append(
            {
                "category": "exploit_status",
                "date": f"{kev.date_added}T00:00:00Z",
                "details": (
                    f"Known exploited: {kev.cve_id} is in CISA's Known Exploited "
                    f"Vulnerabilities catalog since {kev.date_added}. BOD 22-01 due date: "
                    f"{kev.due_date}. Required action: {kev.required_action}"
                ),
            }
        )
    return threats


def _scores(score: Score | None, ids: list[tuple[Product, str]]) -> list[dict[str, Any]]:
    affected = [pid for product, pid in ids if product.status == "known_affected"]
    if score is None or not affected:
        return []
    cvss = {
        "version": score.version,
        "vectorString": score.vector,
        "baseScore": score.base_score,
        "baseSeverity": score.base_severity,
    }
    return [{"cvss_v3": cvss, "products": list(dict.fromkeys(affected))}]


def _vulnerability(vulnerability: VulnerabilityFacts, tree: _ProductTree) -> dict[str, Any]:
    ids = [(product, tree.id_of(product)) for product in vulnerability.products]
    out: dict[str, Any] = {"title": vulnerability.title}
    if vulnerability.cve:
        out["cve"] = vulnerability.cve
    if vulnerability.ids:
        out["ids"] = [{"system_name": system, "text": text} for system, text in vulnerability.ids]
    if vulnerability.cwe:
        out["cwe"] = {"id": vulnerability.cwe[0], "name": vulnerability.cwe[1]}
    if vulnerability.release_date is not None:
        out["release_date"] = timestamp(vulnerability.release_date)
    if vulnerability.notes:
        out["notes"] = [_note(note) for note in vulnerability.notes]
    out["product_status"] = _product_status(ids)
    if vulnerability.references:
        out["references"] = [_reference(r) for r in vulnerability.references]
    for key, value in (
        ("remediations", _remediations(ids)),
        ("scores", _scores(vulnerability.score, ids)),
        ("threats", _threats(vulnerability, ids)),
    ):
        if value:
            out[key] = value
    return out


def build_csaf(facts: CsafFacts) -> dict[str, Any]:
    """The CSAF 2.0 document of `facts` (not yet validated: the caller validates)."""
    tree = _ProductTree()
    vulnerabilities = [_vulnerability(v, tree) for v in facts.vulnerabilities]
    document: dict[str, Any] = {
        "category": facts.profile,
        "csaf_version": CSAF_VERSION,
        "distribution": _distribution(facts.tlp),
        "lang": facts.lang,
        "publisher": {
            "category": facts.publisher.category,
            "name": facts.publisher.name,
            "namespace": facts.publisher.namespace,
        },
        "title": facts.title,
        "tracking": _tracking(facts),
    }
    if facts.notes:
        document["notes"] = [_note(note) for note in facts.notes]
    if facts.aggregate_severity:
        document["aggregate_severity"] = {"text": facts.aggregate_severity}
    if facts.references:
        document["references"] = [_reference(r) for r in facts.references]
    return {
        "document": document,
        "product_tree": tree.as_dict(),
        "vulnerabilities": vulnerabilities,
    }
