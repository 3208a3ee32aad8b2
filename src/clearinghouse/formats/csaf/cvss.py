"""Mandatory tests on CVSS scores (6.1.7 to 6.1.10): one per version, schema, arithmetic, vector.

The scores are recomputed from the vector string with the `cvss` package (FIRST's formulas,
3.0 and 3.1 rounding told apart by the vector's prefix).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cvss import CVSS2, CVSS3
from cvss.exceptions import CVSSError

from clearinghouse.formats.csaf.schema import cvss_schema_errors
from clearinghouse.formats.csaf.walk import (
    Path,
    enumerate_dicts,
    enumerate_strings,
    vulnerabilities,
)

Violation = tuple[Path, str]

_ND = "NOT_DEFINED"
_IMPACT3 = {"H": "HIGH", "L": "LOW", "N": "NONE"}
_REQUIREMENT3 = {"X": _ND, "L": "LOW", "M": "MEDIUM", "H": "HIGH"}
_AV3 = {"N": "NETWORK", "A": "ADJACENT_NETWORK", "L": "LOCAL", "P": "PHYSICAL"}
_AC3 = {"L": "LOW", "H": "HIGH"}
_PR3 = {"N": "NONE", "L": "LOW", "H": "HIGH"}
_UI3 = {"N": "NONE", "R": "REQUIRED"}
_S3 = {"U": "UNCHANGED", "C": "CHANGED"}


def _modified(values: dict[str, str]) -> dict[str, str]:
    return {"X": _ND, **values}


# CSAF property -> (vector metric, vector value -> property value), per the FIRST schemas.
_CVSS3_METRICS: dict[str, tuple[str, dict[str, str]]] = {
    "attackVector": ("AV", _AV3),
    "attackComplexity": ("AC", _AC3),
    "privilegesRequired": ("PR", _PR3),
    "userInteraction": ("UI", _UI3),
    "scope": ("S", _S3),
    "confidentialityImpact": ("C", _IMPACT3),
    "integrityImpact": ("I", _IMPACT3),
    "availabilityImpact": ("A", _IMPACT3),
    "exploitCodeMaturity": (
        "E",
        {"X": _ND, "U": "UNPROVEN", "P": "PROOF_OF_CONCEPT", "F": "FUNCTIONAL", "H": "HIGH"},
    ),
    "remediationLevel": (
        "RL",
        {
            "X": _ND,
            "O": "OFFICIAL_FIX",
            "T": "TEMPORARY_FIX",
            "W": "WORKAROUND",
            "U": "UNAVAILABLE",
        },
    ),
    "reportConfidence": ("RC", {"X": _ND, "U": "UNKNOWN", "R": "REASONABLE", "C": "CONFIRMED"}),
    "confidentialityRequirement": ("CR", _REQUIREMENT3),
    "integrityRequirement": ("IR", _REQUIREMENT3),
    "availabilityRequirement": ("AR", _REQUIREMENT3),
    "modifiedAttackVector": ("MAV", _modified(_AV3)),
    "modifiedAttackComplexity": ("MAC", _modified(_AC3)),
    "modifiedPrivilegesRequired": ("MPR", _modified(_PR3)),
    "modifiedUserInteraction": ("MUI", _modified(_UI3)),
    "modifiedScope": ("MS", _modified(_S3)),
    "modifiedConfidentialityImpact": ("MC", _modified(_IMPACT3)),
    "modifiedIntegrityImpact": ("MI", _modified(_IMPACT3)),
    "modifiedAvailabilityImpact": ("MA", _modified(_IMPACT3)),
}
_IMPACT2 = {"N": "NONE", "P": "PARTIAL", "C": "COMPLETE"}
_REQUIREMENT2 = {"L": "LOW", "M": "MEDIUM", "H": "HIGH", "ND": _ND}
_CVSS2_METRICS: dict[str, tuple[str, dict[str, str]]] = {
    "accessVector": ("AV", {"L": "LOCAL", "A": "ADJACENT_NETWORK", "N": "NETWORK"}),
    "accessComplexity": ("AC", {"H": "HIGH", "M": "MEDIUM", "L": "LOW"}),
    "authentication": ("Au", {"M": "MULTIPLE", "S": "SINGLE", "N": "NONE"}),
    "confidentialityImpact": ("C", _IMPACT2),
    "integrityImpact": ("I", _IMPACT2),
    "availabilityImpact": ("A", _IMPACT2),
    "exploitability": (
        "E",
        {"U": "UNPROVEN", "POC": "PROOF_OF_CONCEPT", "F": "FUNCTIONAL", "H": "HIGH", "ND": _ND},
    ),
    "remediationLevel": (
        "RL",
        {
            "OF": "OFFICIAL_FIX",
            "TF": "TEMPORARY_FIX",
            "W": "WORKAROUND",
            "U": "UNAVAILABLE",
            "ND": _ND,
        },
    ),
    "reportConfidence": (
        "RC",
        {"UC": "UNCONFIRMED", "UR": "UNCORROBORATED", "C": "CONFIRMED", "ND": _ND},
    ),
    "collateralDamagePotential": (
        "CDP",
        {"N": "NONE", "L": "LOW", "LM": "LOW_MEDIUM", "MH": "MEDIUM_HIGH", "H": "HIGH", "ND": _ND},
    ),
    "targetDistribution": ("TD", {"N": "NONE", "L": "LOW", "M": "MEDIUM", "H": "HIGH", "ND": _ND}),
    "confidentialityRequirement": ("CR", _REQUIREMENT2),
    "integrityRequirement": ("IR", _REQUIREMENT2),
    "availabilityRequirement": ("AR", _REQUIREMENT2),
}


def _scores(doc: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path, vulnerability in vulnerabilities(doc):
        for index, score in enumerate_dicts(vulnerability.get("scores")):
            yield (*path, "scores", index), score


def _cvss_objects(doc: dict[str, Any]) -> Iterator[tuple[Path, str, dict[str, Any]]]:
    """(path, "cvss_v2" or "cvss_v3", object) for every CVSS object of every score."""
    for path, score in _scores(doc):
        for key in ("cvss_v2", "cvss_v3"):
            if isinstance(score.get(key), dict):
                yield (*path, key), key, score[key]


def _declared_version(key: str, cvss: dict[str, Any]) -> str:
    version = cvss.get("version")
    if key == "cvss_v2":
        return "2.0"
    return version if version in ("3.0", "3.1") else "3.1"


def multiple_scores_per_product(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.7: within one vulnerability, a product has at most one CVSS score of each version."""
    for vulnerability_path, vulnerability in vulnerabilities(doc):
        seen: set[tuple[str, str]] = set()
        for index, score in enumerate_dicts(vulnerability.get("scores")):
            versions = [
                _declared_version(key, score[key])
                for key in ("cvss_v2", "cvss_v3")
                if isinstance(score.get(key), dict)
            ]
            for position, product_id in enumerate_strings(score.get("products")):
                for version in versions:
                    if (product_id, version) in seen:
                        yield (
                            (*vulnerability_path, "scores", index, "products", position),
                            f"product {product_id!r} has more than one CVSS {version} score",
                        )
                    seen.add((product_id, version))


def invalid_cvss(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.8: every CVSS object is valid against FIRST's schema for its version."""
    for path, key, cvss in _cvss_objects(doc):
        version = cvss.get("version")
        if key == "cvss_v2":
            version = "2.0"
        elif version not in ("3.0", "3.1"):
            yield (*path, "version"), f"not a CVSS v3 version: {version!r}"
            continue
        for inner, message in cvss_schema_errors(cvss, str(version)):
            yield (*path, *inner), f"not valid CVSS {version}: {message}"


def _v3_computed(vector: str) -> tuple[dict[str, float | None], dict[str, str | None]]:
    """Scores and severities computed from a v3 vector; CVSSError when the vector is invalid."""
    calculator = CVSS3(vector)
    base, temporal, environmental = calculator.scores()
    severities = [severity.upper() for severity in calculator.severities()]
    return (
        {"baseScore": base, "temporalScore": temporal, "environmentalScore": environmental},
        dict(
            zip(
                ("baseSeverity", "temporalSeverity", "environmentalSeverity"),
                severities,
                strict=True,
            )
        ),
    )


def _scores_for_v2(vector: str) -> tuple[float, float, float]:
    # CVSS2.scores() leaves temporal/environmental None without their metrics; they equal the
    # base score then (every undefined temporal or environmental metric weighs 1.0).
    calculator = CVSS2(vector)
    base = float(calculator.base_score)
    temporal = float(calculator.temporal_score) if calculator.temporal_score is not None else base
    env = calculator.environmental_score
    return base, temporal, float(env) if env is not None else temporal


def invalid_cvss_computation(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.9: the scores and severities given equal those computed from the vector string."""
    for path, key, cvss in _cvss_objects(doc):
        vector = cvss.get("vectorString")
        if not isinstance(vector, str):
            continue
        try:
            if key == "cvss_v2":
                base, temporal, environmental = _scores_for_v2(vector)
                scores: dict[str, float | None] = {
                    "baseScore": base,
                    "temporalScore": temporal,
                    "environmentalScore": environmental,
                }
                severities: dict[str, str | None] = {}
            else:
                scores, severities = _v3_computed(vector)
        except (CVSSError, ValueError, KeyError) as exc:
            yield (*path, "vectorString"), f"cannot compute scores from {vector!r}: {exc}"
            continue
        for name, expected in scores.items():
            given = cvss.get(name)
            if (
                isinstance(given, int | float)
                and expected is not None
                and float(given) != float(expected)
            ):
                yield (*path, name), f"{name} is {given}, the vector gives {expected}"
        for name, expected_severity in severities.items():
            given = cvss.get(name)
            if (
                isinstance(given, str)
                and expected_severity is not None
                and given != expected_severity
            ):
                yield (*path, name), f"{name} is {given}, the vector gives {expected_severity}"


def _vector_metrics(vector: str) -> dict[str, str]:
    metrics: dict[str, str] = {}
    for part in vector.split("/"):
        name, _, value = part.partition(":")
        if name != "CVSS" and value:
            metrics[name] = value
    return metrics


def inconsistent_cvss(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.10: the metric properties given say the same as the vector string (and its version)."""
    for path, key, cvss in _cvss_objects(doc):
        vector = cvss.get("vectorString")
        if not isinstance(vector, str):
            continue
        table = _CVSS2_METRICS if key == "cvss_v2" else _CVSS3_METRICS
        metrics = _vector_metrics(vector)
        if key == "cvss_v3":
            prefix = vector.split("/", 1)[0]
            version = cvss.get("version")
            if (
                isinstance(version, str)
                and prefix.startswith("CVSS:")
                and prefix != f"CVSS:{version}"
            ):
                yield (*path, "version"), f"version is {version}, the vector says {prefix}"
        for name, (metric, values) in table.items():
            given = cvss.get(name)
            if not isinstance(given, str):
                continue
            # Only metrics the vector states are compared: the conformance suite holds documents
            # with, say, modifiedIntegrityImpact NONE and no MI in the vector as valid.
            if metric not in metrics:
                continue
            expected = values.get(metrics[metric])
            if expected is None:
                yield (*path, name), f"the vector's {metric}:{metrics[metric]} is not a valid value"
            elif given != expected:
                yield (*path, name), f"{name} is {given}, the vector says {expected}"
