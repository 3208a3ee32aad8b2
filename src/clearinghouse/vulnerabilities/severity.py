"""One qualitative severity per record, for lists and filters, from what the record says.

OSV allows several scores; we take the highest CVSS base score (v4 before v3 when both
are present, as OSV.dev does for display), falling back to the GHSA-style
`database_specific.severity` word. Scores come from the `cvss` library, never by hand.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

SEVERITY_ORDER = ("NONE", "LOW", "MEDIUM", "MODERATE", "HIGH", "CRITICAL")
_WORDS = {"LOW", "MEDIUM", "MODERATE", "HIGH", "CRITICAL"}


@lru_cache(maxsize=4096)
def cvss_severity(kind: str, vector: str) -> tuple[float, str] | None:
    """(base score, severity word) of a CVSS vector, or None when the library refuses it."""
    try:
        if kind == "CVSS_V4":
            v4 = CVSS4(vector)
            return float(v4.base_score), str(v4.severity).upper()
        if kind == "CVSS_V3":
            v3 = CVSS3(vector)
            return float(v3.scores()[0]), str(v3.severities()[0]).upper()
    except (CVSSError, ValueError, KeyError, IndexError):
        return None
    return None


def record_severity(document: dict[str, Any]) -> str | None:
    best: tuple[float, str] | None = None
    for kind in ("CVSS_V4", "CVSS_V3"):
        for entry in document.get("severity") or ():
            if entry.get("type") != kind:
                continue
            scored = cvss_severity(kind, str(entry.get("score", "")))
            if scored and (best is None or scored[0] > best[0]):
                best = scored
        if best:
            return best[1]
    word = (document.get("database_specific") or {}).get("severity")
    if isinstance(word, str) and word.upper() in _WORDS:
        upper = word.upper()
        return "MEDIUM" if upper == "MODERATE" else upper
    return None
