"""SSVC decisions follow the published tables; the queue's priority orders by them first.

Tables: CERTCC/SSVC data/csv/cisa/cisa_coordinator_2_0_3.csv (CISA, 36 rows),
data/csv/ssvc/deployer_patch_application_priority_1_0_0.csv (deployer, 72 rows),
data/csvs/mission-and-well-being_v1.csv.
"""

from __future__ import annotations

import pytest

from clearinghouse.reports.scoring import (
    Automatable,
    Exploitation,
    HumanImpact,
    MissionPrevalence,
    PublicWellbeing,
    SsvcInputs,
    SystemExposure,
    TechnicalImpact,
    priority,
    score_cvss,
    ssvc_decide,
)


def decide(**points: str) -> tuple[str, str]:
    kinds = {
        "exploitation": Exploitation,
        "automatable": Automatable,
        "technical_impact": TechnicalImpact,
        "mission_prevalence": MissionPrevalence,
        "public_wellbeing": PublicWellbeing,
        "system_exposure": SystemExposure,
        "human_impact": HumanImpact,
    }
    inputs = SsvcInputs(**{k: kinds[k](v) for k, v in points.items()})  # type: ignore[arg-type]
    decision = ssvc_decide(inputs, known_exploited=False, cvss=None)
    return decision.coordinator, decision.deployer


@pytest.mark.parametrize(
    ("points", "cisa"),
    [
        # rows 0, 5, 8, 17, 26, 29, 30, 35 of the CISA coordinator table; mission & well-being
        # low = minimal/minimal, medium = support/material, high = essential/material.
        (("none", "no", "partial", "minimal", "minimal"), "track"),
        (("none", "no", "total", "essential", "material"), "track*"),
        (("none", "yes", "partial", "essential", "minimal"), "attend"),
        (("public_poc", "no", "total", "minimal", "irreversible"), "attend"),
        (("active", "no", "partial", "essential", "irreversible"), "attend"),
        (("active", "no", "total", "support", "irreversible"), "act"),
        (("active", "yes", "partial", "minimal", "minimal"), "attend"),
        (("active", "yes", "total", "essential", "material"), "act"),
        (("public_poc", "yes", "total", "support", "material"), "track*"),
    ],
)
def test_cisa_coordinator_rows(points: tuple[str, ...], cisa: str) -> None:
    exploitation, automatable, impact, prevalence, wellbeing = points
    coordinator, _ = decide(
        exploitation=exploitation,
        automatable=automatable,
        technical_impact=impact,
        mission_prevalence=prevalence,
        public_wellbeing=wellbeing,
    )
    assert coordinator == cisa


@pytest.mark.parametrize(
    ("points", "deployer"),
    [
        (("none", "small", "no", "low"), "defer"),  # row 0
        (("none", "open", "yes", "very_high"), "out-of-cycle"),  # row 23
        (("public_poc", "open", "no", "low"), "scheduled"),  # row 40
        (("public_poc", "controlled", "yes", "very_high"), "out-of-cycle"),  # row 39
        (("active", "open", "no", "very_high"), "immediate"),  # row 67
        (("active", "open", "yes", "high"), "immediate"),  # row 70
        (("active", "controlled", "yes", "low"), "out-of-cycle"),  # row 60
        (("active", "small", "no", "medium"), "scheduled"),  # row 49
    ],
)
def test_deployer_rows(points: tuple[str, ...], deployer: str) -> None:
    exploitation, exposure, automatable, human = points
    _, decided = decide(
        exploitation=exploitation,
        system_exposure=exposure,
        automatable=automatable,
        human_impact=human,
    )
    assert decided == deployer


def test_unset_points_are_assumed_from_the_evidence_and_listed() -> None:
    cvss = score_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    decision = ssvc_decide(SsvcInputs(), known_exploited=True, cvss=cvss)
    assert decision.points["exploitation"] == "active"  # from the KEV catalog
    assert decision.points["automatable"] == "yes"  # network, no privileges, no user
    assert decision.points["technical_impact"] == "total"  # C, I and A all high
    assert "exploitation" in decision.assumed and not decision.chosen
    assert decision.coordinator == "act"  # active, yes, total, medium
    chosen = ssvc_decide(
        SsvcInputs(exploitation=Exploitation.none), known_exploited=True, cvss=cvss
    )
    assert chosen.points["exploitation"] == "none" and "exploitation" not in chosen.assumed
    assert chosen.chosen == {"exploitation": "none"}


def test_priority_is_lexicographic_over_ssvc_kev_cvss_and_reach() -> None:
    act = priority(coordinator="act", known_exploited=False, cvss_score=0.0, blast_organisations=0)
    attend = priority(
        coordinator="attend", known_exploited=True, cvss_score=10.0, blast_organisations=500
    )
    assert act > attend
    kev = priority(coordinator="track", known_exploited=True, cvss_score=0.0, blast_organisations=0)
    no_kev = priority(
        coordinator="track", known_exploited=False, cvss_score=10.0, blast_organisations=99
    )
    assert kev > no_kev
    assert priority(
        coordinator="track", known_exploited=False, cvss_score=5.1, blast_organisations=0
    ) > priority(coordinator="track", known_exploited=False, cvss_score=5.0, blast_organisations=9)
