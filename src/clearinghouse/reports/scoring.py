"""Scoring a report: CVSS 3.1/4.0, SSVC decisions, known-exploited status, blast radius, priority.

- CVSS vectors are validated and scored by the `cvss` library, never by hand; a vector it
  refuses is an `InvalidCvssVector` that repeats the library's words for what is wrong.
- SSVC: CISA's coordinator tree (Track, Track*, Attend, Act) and CERT/CC's deployer tree
  (Defer, Scheduled, Out-of-Cycle, Immediate), as the decision tables CERT/CC publishes:
  CERTCC/SSVC `data/csv/cisa/cisa_coordinator_2_0_3.csv`,
  `data/csv/ssvc/deployer_patch_application_priority_1_0_0.csv` and
  `data/csvs/mission-and-well-being_v1.csv`. They are tables of 36 and 72 rows; the
  `certcc-ssvc` package has them too, but is not a dependency of this project.
  Decision points the analyst has not set are assumed from the evidence (known exploited ->
  exploitation active; a CVSS vector -> technical impact and automatable) or, failing that,
  from a middle value; the assumed ones are listed, so a page can say so.
- Blast radius: how many stored inventories (their latest upload) and organisations have a
  component of an affected package at an affected version: the matcher's reverse index
  (`inventory_components` by ecosystem and name key) and its range evaluation.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import orjson
from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from clearinghouse.matching.errors import InvalidVersion, UnsupportedEcosystem
from clearinghouse.matching.ranges import AffectedVersions
from clearinghouse.matching.versions import parse_version
from clearinghouse.reports.errors import InvalidCvssVector
from clearinghouse.reports.models import Report
from clearinghouse.sbom.models import Inventory, InventoryComponent
from clearinghouse.vulnerabilities.models import AliasLink, KevEntry
from clearinghouse.vulnerabilities.package_names import package_name_key

__all__ = [
    "BlastRadius",
    "CvssScore",
    "SsvcDecision",
    "SsvcInputs",
    "apply_scores",
    "blast_radius",
    "kev_status",
    "priority",
    "score_cvss",
    "ssvc_decide",
]

# --- CVSS ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CvssScore:
    version: str  # "3.0", "3.1" or "4.0"
    vector: str
    base_score: float
    severity: str  # NONE, LOW, MEDIUM, HIGH, CRITICAL
    metrics: Mapping[str, str]


def _metrics(vector: str) -> dict[str, str]:
    return dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)


def score_cvss(vector: str) -> CvssScore:
    """Validate and score a CVSS v3.x or v4.0 vector with the `cvss` library."""
    text = vector.strip()
    if len(text) > 200:
        raise InvalidCvssVector("a CVSS vector is at most 200 characters")
    prefix = text.split("/", 1)[0]
    try:
        if prefix in ("CVSS:3.0", "CVSS:3.1"):
            v3 = CVSS3(text)
            return CvssScore(
                prefix.removeprefix("CVSS:"),
                v3.clean_vector(),
                float(v3.scores()[0]),
                str(v3.severities()[0]).upper(),
                _metrics(text),
            )
        if prefix == "CVSS:4.0":
            v4 = CVSS4(text)
            return CvssScore(
                "4.0",
                v4.clean_vector(),
                float(v4.base_score),
                str(v4.severity).upper(),
                _metrics(text),
            )
    except CVSSError as exc:
        raise InvalidCvssVector(f"CVSS vector {text!r}: {exc}") from None
    raise InvalidCvssVector(
        f"CVSS vector {text!r}: it must start with CVSS:3.1/ or CVSS:4.0/ (CVSS:3.0/ is read too)"
    )


# --- SSVC ---------------------------------------------------------------------------------


class Exploitation(StrEnum):
    none = "none"
    public_poc = "public_poc"
    active = "active"


class Automatable(StrEnum):
    no = "no"
    yes = "yes"


class TechnicalImpact(StrEnum):
    partial = "partial"
    total = "total"


class MissionPrevalence(StrEnum):
    minimal = "minimal"
    support = "support"
    essential = "essential"


class PublicWellbeing(StrEnum):
    minimal = "minimal"
    material = "material"
    irreversible = "irreversible"


class SystemExposure(StrEnum):
    small = "small"
    controlled = "controlled"
    open = "open"


class HumanImpact(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    very_high = "very_high"


def _table(rows: str, width: int) -> dict[tuple[str, ...], str]:
    table = {}
    for line in rows.strip().splitlines():
        cells = tuple(cell.strip() for cell in line.split(","))
        table[cells[:width]] = cells[width]
    return table


# CISA's Mission and Well-being Impact (mission prevalence x public well-being impact).
_MISSION_WELLBEING = _table(
    """
    minimal,minimal,low
    minimal,material,medium
    minimal,irreversible,high
    support,minimal,medium
    support,material,medium
    support,irreversible,high
    essential,minimal,high
    essential,material,high
    essential,irreversible,high
    """,
    2,
)

# CISA coordinator v2.0.3: exploitation, automatable, technical impact, mission & well-being.
_CISA = _table(
    """
    none,no,partial,low,track
    none,no,partial,medium,track
    none,no,partial,high,track
    none,no,total,low,track
    none,no,total,medium,track
    none,no,total,high,track*
    none,yes,partial,low,track
    none,yes,partial,medium,track
    none,yes,partial,high,attend
    none,yes,total,low,track
    none,yes,total,medium,track
    none,yes,total,high,attend
    public_poc,no,partial,low,track
    public_poc,no,partial,medium,track
    public_poc,no,partial,high,track*
    public_poc,no,total,low,track
    public_poc,no,total,medium,track*
    public_poc,no,total,high,attend
    public_poc,yes,partial,low,track
    public_poc,yes,partial,medium,track
    public_poc,yes,partial,high,attend
    public_poc,yes,total,low,track
    public_poc,yes,total,medium,track*
    public_poc,yes,total,high,attend
    active,no,partial,low,track
    active,no,partial,medium,track
    active,no,partial,high,attend
    active,no,total,low,track
    active,no,total,medium,attend
    active,no,total,high,act
    active,yes,partial,low,attend
    active,yes,partial,medium,attend
    active,yes,partial,high,act
    active,yes,total,low,attend
    active,yes,total,medium,act
    active,yes,total,high,act
    """,
    4,
)


# CERT/CC deployer patch application priority v1.0.0: exploitation, system exposure,
# automatable, human impact.
_DEPLOYER = _table(
    """
    none,small,no,low,defer
    none,small,no,medium,defer
    none,small,no,high,scheduled
    none,small,no,very_high,scheduled
    none,small,yes,low,defer
    none,small,yes,medium,scheduled
    none,small,yes,high,scheduled
    none,small,yes,very_high,scheduled
    none,controlled,no,low,defer
    none,controlled,no,medium,scheduled
    none,controlled,no,high,scheduled
    none,controlled,no,very_high,scheduled
    none,controlled,yes,low,scheduled
    none,controlled,yes,medium,scheduled
    none,controlled,yes,high,scheduled
    none,controlled,yes,very_high,scheduled
    none,open,no,low,defer
    none,open,no,medium,scheduled
    none,open,no,high,scheduled
    none,open,no,very_high,scheduled
    none,open,yes,low,scheduled
    none,open,yes,medium,scheduled
    none,open,yes,high,scheduled
    none,open,yes,very_high,out-of-cycle
    public_poc,small,no,low,defer
    public_poc,small,no,medium,scheduled
    public_poc,small,no,high,scheduled
    public_poc,small,no,very_high,scheduled
    public_poc,small,yes,low,scheduled
    public_poc,small,yes,medium,scheduled
    public_poc,small,yes,high,scheduled
    public_poc,small,yes,very_high,scheduled
    public_poc,controlled,no,low,defer
    public_poc,controlled,no,medium,scheduled
    public_poc,controlled,no,high,scheduled
    public_poc,controlled,no,very_high,scheduled
    public_poc,controlled,yes,low,scheduled
    public_poc,controlled,yes,medium,scheduled
    public_poc,controlled,yes,high,scheduled
    public_poc,controlled,yes,very_high,out-of-cycle
    public_poc,open,no,low,scheduled
    public_poc,open,no,medium,scheduled
    public_poc,open,no,high,scheduled
    public_poc,open,no,very_high,out-of-cycle
    public_poc,open,yes,low,scheduled
    public_poc,open,yes,medium,scheduled
    public_poc,open,yes,high,out-of-cycle
    public_poc,open,yes,very_high,out-of-cycle
    active,small,no,low,scheduled
    active,small,no,medium,scheduled
    active,small,no,high,out-of-cycle
    active,small,no,very_high,out-of-cycle
    active,small,yes,low,scheduled
    active,small,yes,medium,out-of-cycle
    active,small,yes,high,out-of-cycle
    active,small,yes,very_high,out-of-cycle
    active,controlled,no,low,scheduled
    active,controlled,no,medium,scheduled
    active,controlled,no,high,out-of-cycle
    active,controlled,no,very_high,out-of-cycle
    active,controlled,yes,low,out-of-cycle
    active,controlled,yes,medium,out-of-cycle
    active,controlled,yes,high,out-of-cycle
    active,controlled,yes,very_high,out-of-cycle
    active,open,no,low,scheduled
    active,open,no,medium,out-of-cycle
    active,open,no,high,out-of-cycle
    active,open,no,very_high,immediate
    active,open,yes,low,out-of-cycle
    active,open,yes,medium,out-of-cycle
    active,open,yes,high,immediate
    active,open,yes,very_high,immediate
    """,
    4,
)

COORDINATOR_RANK = {"track": 0, "track*": 1, "attend": 2, "act": 3}
DEPLOYER_RANK = {"defer": 0, "scheduled": 1, "out-of-cycle": 2, "immediate": 3}


@dataclass(frozen=True)
class SsvcInputs:
    """The decision points an analyst set; None means "assume from the evidence"."""

    exploitation: Exploitation | None = None
    automatable: Automatable | None = None
    technical_impact: TechnicalImpact | None = None
    mission_prevalence: MissionPrevalence | None = None
    public_wellbeing: PublicWellbeing | None = None
    system_exposure: SystemExposure | None = None
    human_impact: HumanImpact | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SsvcInputs:
        chosen = data.get("chosen") or {}
        kinds: dict[str, type[StrEnum]] = {
            "exploitation": Exploitation,
            "automatable": Automatable,
            "technical_impact": TechnicalImpact,
            "mission_prevalence": MissionPrevalence,
            "public_wellbeing": PublicWellbeing,
            "system_exposure": SystemExposure,
            "human_impact": HumanImpact,
        }
        values = {name: kind(chosen[name]) for name, kind in kinds.items() if chosen.get(name)}
        return cls(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class SsvcDecision:
    coordinator: str  # CISA: track, track*, attend, act
    deployer: str  # defer, scheduled, out-of-cycle, immediate
    points: Mapping[str, str]  # every decision point, set or assumed
    assumed: tuple[str, ...]  # which of them were assumed
    chosen: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "coordinator": self.coordinator,
            "deployer": self.deployer,
            "points": dict(self.points),
            "assumed": list(self.assumed),
            "chosen": dict(self.chosen),
        }


def _from_cvss(cvss: CvssScore | None) -> tuple[TechnicalImpact | None, Automatable | None]:
    if cvss is None:
        return None, None
    m = cvss.metrics
    impacts = ("VC", "VI", "VA") if cvss.version == "4.0" else ("C", "I", "A")
    # SSVC's technical impact is total when the attacker gets total control: all three high.
    total = all(m.get(name) == "H" for name in impacts)
    # Automatable: the kill chain's first steps need nobody's help and no special conditions.
    easy = (
        m.get("AV") == "N"
        and m.get("AC") == "L"
        and m.get("PR") == "N"
        and m.get("UI") == "N"
        and m.get("AT", "N") == "N"
    )
    return (
        TechnicalImpact.total if total else TechnicalImpact.partial,
        Automatable.yes if easy else Automatable.no,
    )


def ssvc_decide(
    inputs: SsvcInputs, *, known_exploited: bool, cvss: CvssScore | None
) -> SsvcDecision:
    """Both decisions, from what the analyst set and what the evidence suggests for the rest."""
    assumed: list[str] = []
    impact_guess, automatable_guess = _from_cvss(cvss)

    def pick(name: str, chosen: StrEnum | None, guess: StrEnum | None, default: StrEnum) -> str:
        if chosen is not None:
            return chosen.value
        assumed.append(name)
        return (guess or default).value

    exploitation = pick(
        "exploitation",
        inputs.exploitation,
        Exploitation.active if known_exploited else None,
        Exploitation.none,
    )
    automatable = pick("automatable", inputs.automatable, automatable_guess, Automatable.no)
    impact = pick(
        "technical_impact", inputs.technical_impact, impact_guess, TechnicalImpact.partial
    )
    prevalence = pick(
        "mission_prevalence", inputs.mission_prevalence, None, MissionPrevalence.support
    )
    wellbeing = pick("public_wellbeing", inputs.public_wellbeing, None, PublicWellbeing.material)
    exposure = pick("system_exposure", inputs.system_exposure, None, SystemExposure.controlled)
    human = pick("human_impact", inputs.human_impact, None, HumanImpact.medium)
    mission = _MISSION_WELLBEING[(prevalence, wellbeing)]
    points = {
        "exploitation": exploitation,
        "automatable": automatable,
        "technical_impact": impact,
        "mission_prevalence": prevalence,
        "public_wellbeing": wellbeing,
        "mission_wellbeing": mission,
        "system_exposure": exposure,
        "human_impact": human,
    }
    chosen = {
        name: value.value
        for name, value in (
            ("exploitation", inputs.exploitation),
            ("automatable", inputs.automatable),
            ("technical_impact", inputs.technical_impact),
            ("mission_prevalence", inputs.mission_prevalence),
            ("public_wellbeing", inputs.public_wellbeing),
            ("system_exposure", inputs.system_exposure),
            ("human_impact", inputs.human_impact),
        )
        if value is not None
    }
    return SsvcDecision(
        coordinator=_CISA[(exploitation, automatable, impact, mission)],
        deployer=_DEPLOYER[(exploitation, exposure, automatable, human)],
        points=points,
        assumed=tuple(assumed),
        chosen=chosen,
    )


# --- Known exploited ----------------------------------------------------------------------


def kev_status(
    session: Session, identifiers: Iterable[str], osv_ids: Iterable[str] = ()
) -> date | None:
    """The earliest BOD 22-01 due date of any CVE the report (or a record it repeats) names.

    The identifiers are widened through the alias groups first, so a report that cites a
    GHSA id of a CVE in the KEV catalog is known exploited too.
    """
    given = {i.strip() for i in (*identifiers, *osv_ids) if i and i.strip()}
    names = given | {name.upper() for name in given}
    if not names:
        return None
    groups = set(session.scalars(select(AliasLink.group_id).where(AliasLink.alias.in_(names))))
    if groups:
        names |= set(session.scalars(select(AliasLink.alias).where(AliasLink.group_id.in_(groups))))
    cves = sorted({n.upper() for n in names if n.upper().startswith("CVE-")})
    if not cves:
        return None
    due = session.scalars(
        select(KevEntry.due_date)
        .where(KevEntry.cve_id.in_(cves))
        .where(KevEntry.in_catalog.is_(True))
    ).all()
    return min(due) if due else None


# --- Blast radius -------------------------------------------------------------------------


@dataclass(frozen=True)
class BlastRadius:
    inventories: int
    organisations: int


def _compiled(entry: Mapping[str, Any]) -> AffectedVersions | None:
    if not entry.get("ranges") and not entry.get("versions"):
        return None  # no versions named: every version of the package counts
    try:
        return AffectedVersions.from_osv(entry)
    except (UnsupportedEcosystem, InvalidVersion, KeyError):
        return None


def _affects(compiled: AffectedVersions | None, ecosystem: str, version: str) -> bool:
    if compiled is None:
        return True
    try:
        return compiled.contains(parse_version(ecosystem, version))
    except (InvalidVersion, UnsupportedEcosystem):
        # A version its ecosystem cannot order: only an exact listing names it.
        return version in compiled.listed_text


def blast_radius(session: Session, affected: Sequence[Mapping[str, Any]]) -> BlastRadius:
    """Inventories (latest uploads) and organisations with a component the report affects."""
    entries: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for entry in affected:
        package = entry.get("package") or {}
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if ecosystem and name:
            entries[(ecosystem, package_name_key(ecosystem, name))].append(entry)
    if not entries:
        return BlastRadius(0, 0)
    rows = session.execute(
        select(
            InventoryComponent.ecosystem,
            InventoryComponent.name_key,
            InventoryComponent.version,
            Inventory.id,
            Inventory.organisation_id,
        )
        .join(Inventory, Inventory.latest_upload_id == InventoryComponent.upload_id)
        .where(tuple_(InventoryComponent.ecosystem, InventoryComponent.name_key).in_(list(entries)))
        .distinct()
    )
    compiled = {key: [_compiled(e) for e in group] for key, group in entries.items()}
    inventories: set[int] = set()
    organisations: set[int] = set()
    for ecosystem, name_key, version, inventory_id, organisation_id in rows:
        if any(_affects(c, ecosystem, version) for c in compiled[(ecosystem, name_key)]):
            inventories.add(inventory_id)
            organisations.add(organisation_id)
    return BlastRadius(len(inventories), len(organisations))


# --- Priority -----------------------------------------------------------------------------


def priority(
    *,
    coordinator: str | None,
    known_exploited: bool,
    cvss_score: float | None,
    blast_organisations: int,
) -> float:
    """One number the queue sorts by: the SSVC decision first, then KEV, CVSS, blast radius.

    Each term outranks every sum of the ones after it (100000 > 20000 + 10000 + 99; a CVSS
    step of 0.1 is 100 > 99), so the order is lexicographic: an Act report comes before any
    Attend report, whatever its CVSS, and reach only breaks ties of equal CVSS.
    """
    rank = COORDINATOR_RANK.get(coordinator or "track", 0)
    return (
        rank * 100_000.0
        + (20_000.0 if known_exploited else 0.0)
        + 100.0 * round((cvss_score or 0.0) * 10)
        + float(min(blast_organisations, 99))
    )


# --- Applying it all to a report ----------------------------------------------------------


def apply_scores(
    session: Session, report: Report, *, ssvc_inputs: SsvcInputs | None = None
) -> SsvcDecision:
    """(Re)compute every score of a report from its vector, identifiers and affected packages.

    The SSVC decision points an analyst set earlier are kept unless new ones are given.
    """
    cvss = score_cvss(report.cvss_vector) if report.cvss_vector else None
    report.cvss_version = cvss.version if cvss else None
    report.cvss_score = cvss.base_score if cvss else None
    report.cvss_severity = cvss.severity if cvss else None
    identifiers = orjson.loads(report.identifiers or "[]")
    due = kev_status(session, identifiers, [report.known_osv_id] if report.known_osv_id else [])
    report.known_exploited = due is not None
    report.kev_due_date = due
    radius = blast_radius(session, orjson.loads(report.affected or "[]"))
    report.blast_inventories = radius.inventories
    report.blast_organisations = radius.organisations
    if ssvc_inputs is None:
        ssvc_inputs = SsvcInputs.from_json(orjson.loads(report.ssvc or "{}"))
    decision = ssvc_decide(ssvc_inputs, known_exploited=report.known_exploited, cvss=cvss)
    report.ssvc = orjson.dumps(decision.to_json()).decode()
    report.ssvc_coordinator = decision.coordinator
    report.ssvc_deployer = decision.deployer
    report.priority = priority(
        coordinator=decision.coordinator,
        known_exploited=report.known_exploited,
        cvss_score=report.cvss_score,
        blast_organisations=report.blast_organisations,
    )
    return decision
