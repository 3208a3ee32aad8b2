"""What an SBOM or lockfile says a piece of software is made of: the shapes every reader returns.

CycloneDX, SPDX and the lockfile readers all produce one `SbomDocument`; the matcher, the
inventory and the writers (SARIF, CycloneDX VDR) read nothing else. Components a matcher cannot
use (no purl and no ecosystem, no version, a purl type we do not match) are kept in `skipped`
with the reason, never dropped: a participant must learn what was *not* checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Component", "SbomDocument", "SkippedComponent", "VexStatement"]

# CycloneDX analysis states in which the author says the component is not (or no longer) affected.
_RULED_OUT = frozenset({"not_affected", "false_positive", "resolved", "resolved_with_pedigree"})


@dataclass(frozen=True, slots=True)
class Component:
    """One package at one version, in OSV's terms (ecosystem as OSV spells it, e.g. "PyPI")."""

    ecosystem: str
    name: str
    version: str
    purl: str | None = None
    bom_ref: str | None = None
    # Where in the input it came from, for messages: "components[12]", "poetry.lock [[package]] 4".
    location: str = ""


@dataclass(frozen=True, slots=True)
class SkippedComponent:
    """A component listed in the input that cannot be matched, and why."""

    name: str
    reason: str
    version: str | None = None
    purl: str | None = None
    bom_ref: str | None = None
    location: str = ""


@dataclass(frozen=True, slots=True)
class VexStatement:
    """A CycloneDX VEX analysis: what the SBOM's author says about one vulnerability.

    `state` is CycloneDX's `analysis.state` (resolved, resolved_with_pedigree, exploitable,
    in_triage, false_positive, not_affected); `refs` the bom-refs or purls of `affects[].ref`
    (empty: the statement applies to every component).
    """

    vulnerability: str
    state: str
    justification: str | None = None
    detail: str | None = None
    refs: tuple[str, ...] = ()

    @property
    def suppresses(self) -> bool:
        """Whether the author has ruled the vulnerability out for the components it names."""
        return self.state in _RULED_OUT


@dataclass(frozen=True, slots=True)
class SbomDocument:
    """Everything a reader found in one file."""

    format: str  # "CycloneDX", "SPDX", "requirements.txt", "poetry.lock", "uv.lock", ...
    format_version: str | None  # "1.6", "SPDX-2.3"; None for lockfiles without one
    encoding: str  # "json", "xml", "tag-value", "toml", "text", "yaml"
    name: str | None = None  # the subject: metadata.component, the SPDX document, the project
    components: tuple[Component, ...] = ()
    skipped: tuple[SkippedComponent, ...] = ()
    vex: tuple[VexStatement, ...] = ()
    warnings: tuple[str, ...] = field(default=())

    @property
    def declared(self) -> int:
        """How many components the file lists: the usable ones plus the skipped ones."""
        return len(self.components) + len(self.skipped)
