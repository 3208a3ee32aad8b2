"""A scan report as a CycloneDX 1.6 VDR (vulnerability disclosure report), in JSON or XML.

Built with cyclonedx-python-lib's model and written by its outputter, so the document is the
library's (and the schema's) idea of CycloneDX, not ours. One `vulnerability` per finding (a
vulnerability group in one component), not per group: each carries its own `affects`, its own
upgrade `recommendation` and, where the SBOM's author made a VEX statement on it, its own
`analysis`, which a per-group entry could not hold for two components at once.

Components keep the SBOM's bom-refs where it gave them, so a VDR can be read against the SBOM
it was made from. The document is deterministic: the timestamp is the scan's and the serial
number a UUID derived from the report, so the same report always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal
from uuid import UUID

from cyclonedx.exception.model import InvalidUriException
from cyclonedx.model import Property, XsUri
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component as CdxComponent
from cyclonedx.model.component import ComponentType
from cyclonedx.model.impact_analysis import (
    ImpactAnalysisAffectedStatus,
    ImpactAnalysisJustification,
    ImpactAnalysisState,
)
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityAdvisory,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output import make_outputter
from cyclonedx.schema import OutputFormat, SchemaVersion
from packageurl import PackageURL

from clearinghouse import __version__
from clearinghouse.formats.components import Component, VexStatement
from clearinghouse.matching.errors import MatchingError
from clearinghouse.matching.findings import Finding, ScanReport, Severity
from clearinghouse.matching.purl import to_purl
from clearinghouse.matching.render import finding_order, timestamp

__all__ = ["SCHEMA_VERSION", "scan_to_vdr", "vdr_bom"]

SCHEMA_VERSION = SchemaVersion.V1_6
_PROPERTY_PREFIX = "clearinghouse:"
_SPACE = re.compile(r"\s")
_NO_GRAPH_WARNING = r"The Component this BOM is describing .* has no defined dependencies"

_SEVERITIES = {
    Severity.CRITICAL: VulnerabilitySeverity.CRITICAL,
    Severity.HIGH: VulnerabilitySeverity.HIGH,
    Severity.MEDIUM: VulnerabilitySeverity.MEDIUM,
    Severity.LOW: VulnerabilitySeverity.LOW,
    Severity.UNKNOWN: VulnerabilitySeverity.UNKNOWN,
}


def _source(identifier: str) -> VulnerabilitySource:
    """Who publishes an id: NVD for CVEs, GitHub for GHSAs, OSV.dev for the rest."""
    upper = identifier.upper()
    if upper.startswith("CVE-"):
        return VulnerabilitySource(
            name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{identifier}")
        )
    if upper.startswith("GHSA-"):
        return VulnerabilitySource(
            name="GitHub", url=XsUri(f"https://github.com/advisories/{identifier}")
        )
    return VulnerabilitySource(name="OSV", url=XsUri(f"https://osv.dev/vulnerability/{identifier}"))


def _uri(text: str) -> XsUri | None:
    if not text.startswith(("https://", "http://")) or _SPACE.search(text):
        return None
    try:
        return XsUri(text)
    except InvalidUriException:
        return None


def _package_url(component: Component) -> PackageURL | None:
    text = component.purl
    if text is None:
        try:
            text = to_purl(component.ecosystem, component.name, component.version)
        except MatchingError:
            return None
    try:
        return PackageURL.from_string(text)
    except ValueError:
        return None


class _Refs:
    """bom-refs for the components: the SBOM's own where it has one, unique either way."""

    def __init__(self) -> None:
        self._by_component: dict[Component, str] = {}
        self._taken: set[str] = set()

    def __getitem__(self, component: Component) -> str:
        ref = self._by_component.get(component)
        if ref is None:
            purl = _package_url(component)
            base = component.bom_ref or (purl.to_string() if purl else None)
            base = base or f"{component.ecosystem}/{component.name}@{component.version}"
            ref, counter = base, 1
            while ref in self._taken:
                counter += 1
                ref = f"{base}#{counter}"
            self._taken.add(ref)
            self._by_component[component] = ref
        return ref


def _cdx_component(component: Component, ref: str) -> CdxComponent:
    return CdxComponent(
        type=ComponentType.LIBRARY,
        name=component.name,
        version=component.version,
        purl=_package_url(component),
        bom_ref=ref,
    )


def _rating(finding: Finding) -> VulnerabilityRating | None:
    if finding.score is None and finding.severity is Severity.UNKNOWN:
        return None  # nothing known: a rating of "unknown" would only be noise
    score = Decimal(f"{finding.score:.1f}") if finding.score is not None else None
    return VulnerabilityRating(score=score, severity=_SEVERITIES[finding.severity])


def _analysis(vex: VexStatement) -> VulnerabilityAnalysis:
    # The reader keeps CycloneDX's words; one we do not know goes to the detail, not away.
    notes = [vex.detail] if vex.detail else []
    state: ImpactAnalysisState | None
    try:
        state = ImpactAnalysisState(vex.state)
    except ValueError:
        state, notes = None, [f"state: {vex.state}", *notes]
    justification: ImpactAnalysisJustification | None = None
    if vex.justification:
        try:
            justification = ImpactAnalysisJustification(vex.justification)
        except ValueError:
            notes.insert(0, f"justification: {vex.justification}")
    return VulnerabilityAnalysis(
        state=state, justification=justification, detail="; ".join(notes) or None
    )


def _properties(finding: Finding) -> list[Property]:
    properties = [Property(name=f"{_PROPERTY_PREFIX}record", value=r) for r in finding.record_ids]
    if finding.known_exploited:
        properties.append(Property(name=f"{_PROPERTY_PREFIX}known_exploited", value="true"))
    if finding.kev_due_date:
        properties.append(
            Property(name=f"{_PROPERTY_PREFIX}kev_due_date", value=finding.kev_due_date.isoformat())
        )
    return properties


def _vulnerability(finding: Finding, component_ref: str, bom_ref: str) -> Vulnerability:
    component = finding.component
    status = (
        ImpactAnalysisAffectedStatus.UNAFFECTED
        if finding.suppressed
        else ImpactAnalysisAffectedStatus.AFFECTED
    )
    rating = _rating(finding)
    advisories = [VulnerabilityAdvisory(url=u) for u in map(_uri, finding.references) if u]
    recommendation = (
        f"Upgrade {component.name} {component.version} to {finding.fixed_version} or later."
        if finding.fixed_version
        else None
    )
    return Vulnerability(
        bom_ref=bom_ref,
        id=finding.primary_id,
        source=_source(finding.primary_id),
        references=[
            VulnerabilityReference(id=alias, source=_source(alias))
            for alias in finding.aliases
            if alias != finding.primary_id
        ],
        ratings=[rating] if rating else [],
        description=finding.summary or None,
        recommendation=recommendation,
        advisories=advisories,
        analysis=_analysis(finding.vex) if finding.vex else None,
        affects=[
            BomTarget(
                ref=component_ref,
                versions=[BomTargetVersionRange(version=component.version, status=status)],
            )
        ],
        properties=_properties(finding),
    )


def _serial_number(report: ScanReport, findings: Iterable[Finding]) -> UUID:
    # Same report, same serial; a later scan (another scanned_at) gets another.
    digest = hashlib.sha256(timestamp(report.scanned_at).encode())
    digest.update((report.document.name or "").encode())
    for finding in findings:
        c = finding.component
        digest.update("\x1f".join((finding.primary_id, c.ecosystem, c.name, c.version)).encode())
    return UUID(bytes=digest.digest()[:16], version=5)


def vdr_bom(report: ScanReport) -> Bom:
    """The report as a cyclonedx-python-lib `Bom`: the affected components and their findings."""
    findings = sorted(report.findings, key=finding_order)
    tool = CdxComponent(type=ComponentType.APPLICATION, name="clearinghouse", version=__version__)
    metadata = BomMetaData(timestamp=report.scanned_at)
    metadata.tools.components.add(tool)
    if report.document.name:
        metadata.component = CdxComponent(
            type=ComponentType.APPLICATION, name=report.document.name, bom_ref="scanned-subject"
        )
    refs = _Refs()
    components: dict[str, CdxComponent] = {}
    vulnerabilities: dict[str, Vulnerability] = {}
    for finding in findings:
        ref = refs[finding.component]
        if ref not in components:
            components[ref] = _cdx_component(finding.component, ref)
        key = f"{finding.primary_id}@{ref}"
        if key not in vulnerabilities:  # the same group twice in one component: once
            vulnerabilities[key] = _vulnerability(finding, ref, key)
    # Handed over whole: the library keeps them in sorted sets, and sorting once is much
    # cheaper than inserting one by one.
    return Bom(
        serial_number=_serial_number(report, findings),
        metadata=metadata,
        components=components.values(),
        vulnerabilities=vulnerabilities.values(),
    )


def scan_to_vdr(report: ScanReport, *, encoding: Literal["json", "xml"] = "json") -> str:
    """The VDR as CycloneDX 1.6 JSON (or XML), as the library's outputter writes it."""
    output_format = OutputFormat.XML if encoding == "xml" else OutputFormat.JSON
    outputter = make_outputter(vdr_bom(report), output_format, SCHEMA_VERSION)
    with warnings.catch_warnings():
        # The library asks for the scanned subject's direct dependencies; a scan knows which
        # components are affected, not how they hang together, and does not invent a graph.
        warnings.filterwarnings("ignore", _NO_GRAPH_WARNING, UserWarning)
        return outputter.output_as_string(indent=2) + "\n"
