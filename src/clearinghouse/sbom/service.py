"""Inventory services: upload an SBOM, read inventories and findings, decide on a finding.

Every function asks `identity.policy` first (an inventory of another organisation reads
as one that does not exist), audits its change in the caller's transaction, and matches
an inventory against what its organisation may read, never against what the uploader
could read (`inventory_reader`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.errors import Conflict, Unauthenticated
from clearinghouse.formats.components import SbomDocument
from clearinghouse.identity.models import Organisation
from clearinghouse.identity.policy import (
    InventoryAction,
    inventory_filter,
    inventory_reader,
    inventory_visible,
    require_inventory,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.matching.findings import Finding, ScanReport, Severity
from clearinghouse.matching.scan import scan_document
from clearinghouse.sbom.details import FindingDetails, chunks
from clearinghouse.sbom.errors import (
    InvalidFindingStatus,
    InventoryError,
    SbomTooLarge,
    UnknownFinding,
    UnknownInventory,
    UnknownOrganisation,
)
from clearinghouse.sbom.ledger import FindingKey, FindingRow, Ledger, load_rows
from clearinghouse.sbom.models import (
    DECIDABLE,
    FindingEvent,
    FindingEventKind,
    FindingStatus,
    Inventory,
    InventoryComponent,
    InventoryFinding,
    SbomUpload,
)
from clearinghouse.sbom.rematch import serialise_with_intake
from clearinghouse.sbom.vex import dump_statements
from clearinghouse.sharing.service import organisation_amber_groups
from clearinghouse.storage.bulk import BulkInsert
from clearinghouse.storage.ids import allocate_ids
from clearinghouse.vulnerabilities.package_names import package_name_key

# The largest SBOM taken in (the API's request limit, Settings.max_request_bytes, also
# applies); CycloneDX files of large applications reach a few MiB.
MAX_SBOM_BYTES = 8 * 1024 * 1024
MAX_REASON_CHARS = 2000
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,200}")

_insert_components = BulkInsert(
    InventoryComponent,
    ("id", "upload_id", "ecosystem", "name", "name_key", "version", "purl", "bom_ref"),
)


@dataclass(frozen=True)
class UploadOutcome:
    """What an upload did: where it went, and how the inventory's findings moved."""

    inventory_id: int
    upload_id: int
    organisation_id: int
    report: ScanReport
    counts: dict[str, int]  # opened, reopened, persisting, fixed, suppressed


# --- loading and authorising -------------------------------------------------------------


def _organisation(session: Session, principal: Principal, slug: str | None) -> Organisation:
    if not principal.is_authenticated:
        raise Unauthenticated("inventories need a login")
    if slug is None:
        if principal.organisation_id is None:
            raise InventoryError("name the organisation the inventory belongs to (--org)")
        organisation = session.get(Organisation, principal.organisation_id)
    else:
        organisation = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise UnknownOrganisation(f"no organisation {slug!r}")
    return organisation


def _inventory(session: Session, principal: Principal, inventory_id: int) -> Inventory:
    """The inventory, once `principal` may see it; others get the same 404 as for none."""
    inventory = session.get(Inventory, inventory_id)
    if inventory is None or not inventory_visible(principal, inventory.organisation_id):
        raise UnknownInventory(f"no inventory {inventory_id}")
    require_inventory(principal, InventoryAction.inventory_read, inventory.organisation_id)
    return inventory


def _inventory_name(name: str) -> str:
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise InventoryError("an inventory needs a name of 1 to 200 printable characters")
    return name


def _file_name(name: str) -> str:
    # Only the last part of a path, printable, bounded: it is shown on pages and in lists.
    base = re.split(r"[\\/]", name.strip())[-1]
    base = "".join(ch for ch in base if ch.isprintable())[:255]
    return base or "sbom"


# --- upload --------------------------------------------------------------------------------


def upload_sbom(
    session: Session,
    principal: Principal,
    *,
    inventory: str,
    data: bytes,
    filename: str,
    organisation: str | None = None,
    now: datetime,
) -> UploadOutcome:
    """Read an SBOM or lockfile (CycloneDX, SPDX, lockfiles), store and match it."""
    if len(data) > MAX_SBOM_BYTES:
        raise SbomTooLarge(f"an SBOM may be at most {MAX_SBOM_BYTES // (1024 * 1024)} MiB")
    # Check who may upload before reading anything from the file.
    org = _organisation(session, principal, organisation)
    require_inventory(principal, InventoryAction.inventory_upload, org.id)
    from clearinghouse.formats.sbom import read_sbom

    document = read_sbom(data, _file_name(filename))
    return upload_document(
        session,
        principal,
        inventory=inventory,
        document=document,
        filename=filename,
        content=data,
        organisation=org.slug,
        now=now,
    )


def upload_document(
    session: Session,
    principal: Principal,
    *,
    inventory: str,
    document: SbomDocument,
    filename: str,
    content: bytes,
    organisation: str | None = None,
    now: datetime,
) -> UploadOutcome:
    """Store an SBOM already read, as the latest upload of the inventory, and match it.

    Findings of the previous upload that no longer match are marked fixed; decisions
    (accepted, not_affected) on findings that persist are kept.
    """
    org = _organisation(session, principal, organisation)
    require_inventory(principal, InventoryAction.inventory_upload, org.id)
    name = _inventory_name(inventory)
    serialise_with_intake(session)
    target = session.scalar(
        select(Inventory).where(Inventory.organisation_id == org.id, Inventory.name == name)
    )
    if target is None:
        target = Inventory(
            organisation_id=org.id, name=name, created_at=now, created_by=principal.actor
        )
        session.add(target)
        session.flush()
        audit.append(
            session,
            actor=principal.actor,
            action="inventory.create",
            subject_type="inventory",
            subject_id=str(target.id),
            after={"organisation_id": org.id, "name": name},
        )
    reader = inventory_reader(org.id, organisation_amber_groups(session, org.id))
    report = scan_document(session, document, principal=reader, now=now)
    upload = _store_upload(session, principal, target, report, filename, content, now)
    counts = _reconcile(session, principal, target, upload, report, now)
    before = target.latest_upload_id
    target.latest_upload_id = upload.id
    target.latest_upload_at = now
    audit.append(
        session,
        actor=principal.actor,
        action="sbom.upload",
        subject_type="inventory",
        subject_id=str(target.id),
        before={"latest_upload_id": before},
        after={"latest_upload_id": upload.id, "sha256": upload.sha256},
        details={
            "upload_id": upload.id,
            "file_name": upload.file_name,
            "format": upload.format,
            "declared": upload.declared_count,
            "components": upload.component_count,
            "skipped": upload.skipped_count,
            **counts,
        },
    )
    return UploadOutcome(target.id, upload.id, org.id, report, counts)


def _store_upload(
    session: Session,
    principal: Principal,
    inventory: Inventory,
    report: ScanReport,
    filename: str,
    content: bytes,
    now: datetime,
) -> SbomUpload:
    document = report.document
    upload = SbomUpload(
        inventory_id=inventory.id,
        file_name=_file_name(filename),
        format=document.format[:64],
        format_version=(document.format_version or None) and document.format_version[:32],
        encoding=document.encoding[:16],
        subject=document.name[:400] if document.name else None,
        declared_count=document.declared,
        component_count=len(document.components),
        skipped_count=len(document.skipped),
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=principal.actor,
        uploaded_at=now,
        skipped=orjson.dumps(
            [
                {
                    "name": s.name,
                    "version": s.version,
                    "purl": s.purl,
                    "bom_ref": s.bom_ref,
                    "location": s.location,
                    "reason": s.reason,
                }
                for s in document.skipped
            ]
        ).decode(),
        vex=dump_statements(document.vex),
        warnings=orjson.dumps(list(document.warnings)).decode(),
    )
    session.add(upload)
    session.flush()
    components = document.components
    ids = allocate_ids(session, "inventory_components", len(components))
    _insert_components(
        session,
        [
            (
                component_id,
                upload.id,
                c.ecosystem,
                c.name[:400],
                package_name_key(c.ecosystem, c.name)[:400],
                c.version[:200],
                c.purl,
                c.bom_ref,
            )
            for c, component_id in zip(components, ids, strict=True)
        ],
    )
    return upload


@dataclass
class _Matched:
    """The scan's findings of one component identity and group, folded into one."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def first(self) -> Finding:
        return self.findings[0]

    @property
    def record_ids(self) -> set[str]:
        return {r for f in self.findings for r in f.record_ids}

    @property
    def suppressed_by(self) -> Finding | None:
        """The finding whose VEX rules this out, when every occurrence is ruled out."""
        if all(f.suppressed for f in self.findings):
            return self.first
        return None


def _scan_key(inventory_id: int, finding: Finding) -> FindingKey:
    c = finding.component
    name_key = package_name_key(c.ecosystem, c.name)[:400]
    return (inventory_id, c.ecosystem, name_key, c.version[:200], finding.group_id)


def _vex_values(finding: Finding | None) -> dict[str, str | None]:
    if finding is None or finding.vex is None:
        return {}
    vex = finding.vex
    return {
        "state": vex.state,
        "justification": vex.justification,
        "detail": vex.detail,
        "reason": f"VEX in the SBOM: {vex.state}"
        + (f" ({vex.justification})" if vex.justification else ""),
    }


def _reconcile(
    session: Session,
    principal: Principal,
    inventory: Inventory,
    upload: SbomUpload,
    report: ScanReport,
    now: datetime,
) -> dict[str, int]:
    """Bring the inventory's findings in line with what the new upload matches."""
    matched: dict[FindingKey, _Matched] = defaultdict(_Matched)
    for finding in report.findings:
        matched[_scan_key(inventory.id, finding)].findings.append(finding)
    existing = {row.key: row for row in load_rows(session, _of_inventory(inventory.id))}
    ledger = Ledger(session, actor=principal.actor, now=now)
    counts: Counter[str] = Counter()
    seen: set[FindingKey] = set()
    for key, found in sorted(matched.items()):
        row = existing.get(key) or _same_vulnerability(existing, key, found.record_ids)
        seen.add(row.key if row is not None else key)
        vex = _vex_values(found.suppressed_by)
        if row is None:
            _open(ledger, inventory, upload, key, found, vex)
            counts["suppressed" if vex else "opened"] += 1
            continue
        _carry_over(ledger, upload, row, key, found, vex, counts)
    for key, row in existing.items():
        if key not in seen and row.is_open:
            ledger.set_status(
                row,
                FindingStatus.fixed,
                FindingEventKind.fixed,
                upload_id=upload.id,
                fixed_at=now,
                reason=f"not matched in upload {upload.id} ({upload.file_name})",
            )
            counts["fixed"] += 1
    ledger.write()
    return {k: counts[k] for k in ("opened", "reopened", "persisting", "fixed", "suppressed")}


def _of_inventory(inventory_id: int) -> Any:
    return InventoryFinding.inventory_id == inventory_id


def _same_vulnerability(
    existing: dict[FindingKey, FindingRow], key: FindingKey, record_ids: set[str]
) -> FindingRow | None:
    """An open finding of the same component resting on the same records, in another group.

    Alias groups merge when a record arrives that links them; the finding keeps its
    history (and its decision) under the surviving group.
    """
    for row in existing.values():
        if row.key[:4] == key[:4] and row.key != key and row.is_open and row.links & record_ids:
            return row
    return None


def _open(
    ledger: Ledger,
    inventory: Inventory,
    upload: SbomUpload,
    key: FindingKey,
    found: _Matched,
    vex: dict[str, str | None],
) -> None:
    component = found.first.component
    row = FindingRow(
        id=None,
        inventory_id=inventory.id,
        ecosystem=key[1],
        name=component.name,
        name_key=key[2],
        version=key[3],
        purl=component.purl,
        bom_ref=component.bom_ref,
        group_id=key[4],
        status=FindingStatus.not_affected if vex else FindingStatus.new,
        links=found.record_ids,
    )
    ledger.create(
        row,
        FindingDetails.of_scan(found.first),
        upload_id=upload.id,
        vex=vex,
        reason=f"matched in upload {upload.id} ({upload.file_name})",
    )


def _carry_over(
    ledger: Ledger,
    upload: SbomUpload,
    row: FindingRow,
    key: FindingKey,
    found: _Matched,
    vex: dict[str, str | None],
    counts: Counter[str],
) -> None:
    """A finding matched again by a new upload: reopen it, or keep its decision."""
    if row.key != key:
        ledger.update(row, group_id=key[4])
        row.group_id = key[4]
        ledger.event(
            row,
            FindingEventKind.regrouped,
            row.status,
            upload_id=upload.id,
            reason="its records joined another alias group",
        )
    for osv_id in sorted(row.links - found.record_ids):
        ledger.unlink(row, osv_id)
    for osv_id in sorted(found.record_ids):
        ledger.link(row, osv_id)
    ledger.refresh(row, FindingDetails.of_scan(found.first))
    ledger.update(row, last_seen=ledger.now, last_upload_id=upload.id)
    vex_columns = {
        "vex_state": vex.get("state"),
        "vex_justification": vex.get("justification"),
        "vex_detail": vex.get("detail"),
    }
    if not row.is_open:
        status = FindingStatus.not_affected if vex else FindingStatus.new
        ledger.set_status(
            row,
            status,
            FindingEventKind.reopened,
            upload_id=upload.id,
            reason=f"matched again in upload {upload.id} ({upload.file_name})",
            fixed_at=None,
            status_reason=vex.get("reason"),
            decided_by=None,
            decided_at=None,
            **vex_columns,
        )
        counts["reopened"] += 1
        return
    if vex and row.status is FindingStatus.new:
        ledger.set_status(
            row,
            FindingStatus.not_affected,
            FindingEventKind.status,
            upload_id=upload.id,
            reason=str(vex.get("reason")),
            status_reason=vex.get("reason"),
            **vex_columns,
        )
        counts["suppressed"] += 1
        return
    counts["persisting"] += 1


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class InventorySummary:
    inventory: Inventory
    organisation: Organisation
    latest_upload: SbomUpload | None
    open_by_severity: dict[str, int]  # Severity name -> findings with status new

    @property
    def open_findings(self) -> int:
        return sum(self.open_by_severity.values())


@dataclass(frozen=True)
class InventoryView:
    inventory: Inventory
    organisation: Organisation
    uploads: Sequence[SbomUpload]  # newest first
    findings: Sequence[InventoryFinding]  # filtered, most severe first
    counts: dict[str, int]  # status -> findings (unfiltered)

    @property
    def latest_upload(self) -> SbomUpload | None:
        return self.uploads[0] if self.uploads else None


def list_inventories(session: Session, principal: Principal) -> list[InventorySummary]:
    """The inventories `principal` may see: its organisation's (every one, for operators)."""
    require_inventory(principal, InventoryAction.inventory_read, None)
    inventories = list(
        session.scalars(
            select(Inventory)
            .where(inventory_filter(principal, organisation_column=Inventory.organisation_id))
            .order_by(Inventory.organisation_id, Inventory.name)
        )
    )
    if not inventories:
        return []
    ids = [i.id for i in inventories]
    organisations = {
        o.id: o
        for o in session.scalars(
            select(Organisation).where(
                Organisation.id.in_({i.organisation_id for i in inventories})
            )
        )
    }
    uploads: dict[int, SbomUpload] = {}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for chunk in chunks(ids):
        latest = [i.latest_upload_id for i in inventories if i.id in chunk and i.latest_upload_id]
        uploads.update(
            {
                u.inventory_id: u
                for u in session.scalars(select(SbomUpload).where(SbomUpload.id.in_(latest)))
            }
        )
        rows = session.execute(
            select(InventoryFinding.inventory_id, InventoryFinding.severity, func.count())
            .where(InventoryFinding.inventory_id.in_(chunk))
            .where(InventoryFinding.status == FindingStatus.new)
            .group_by(InventoryFinding.inventory_id, InventoryFinding.severity)
        )
        for inventory_id, severity, count in rows:
            counts[inventory_id][severity] = count
    return [
        InventorySummary(i, organisations[i.organisation_id], uploads.get(i.id), counts[i.id])
        for i in inventories
    ]


def _severity_rank(finding: InventoryFinding) -> tuple[int, str, str, str]:
    try:
        rank = Severity[finding.severity]
    except KeyError:
        rank = Severity.UNKNOWN
    return (-rank, finding.primary_id, finding.name_key, finding.version)


def get_inventory(
    session: Session,
    principal: Principal,
    *,
    inventory_id: int,
    severity: Severity | None = None,
    status: FindingStatus | None = None,
) -> InventoryView:
    """An inventory with its uploads and findings (filtered by severity and status)."""
    inventory = _inventory(session, principal, inventory_id)
    organisation = session.get(Organisation, inventory.organisation_id)
    assert organisation is not None
    uploads = list(
        session.scalars(
            select(SbomUpload)
            .where(SbomUpload.inventory_id == inventory.id)
            .order_by(SbomUpload.id.desc())
        )
    )
    query = select(InventoryFinding).where(_of_inventory(inventory.id))
    if severity is not None:
        query = query.where(InventoryFinding.severity == severity.name)
    if status is not None:
        query = query.where(InventoryFinding.status == status)
    findings = sorted(session.scalars(query), key=_severity_rank)
    rows = session.execute(
        select(InventoryFinding.status, func.count())
        .where(_of_inventory(inventory.id))
        .group_by(InventoryFinding.status)
    )
    counts = {FindingStatus(status).value: int(n) for status, n in rows}
    return InventoryView(
        inventory,
        organisation,
        uploads,
        findings,
        counts,
    )


def _finding(
    session: Session, principal: Principal, inventory_id: int, finding_id: int
) -> tuple[Inventory, InventoryFinding]:
    inventory = _inventory(session, principal, inventory_id)
    finding = session.get(InventoryFinding, finding_id)
    if finding is None or finding.inventory_id != inventory.id:
        raise UnknownFinding(f"no finding {finding_id} in inventory {inventory_id}")
    return inventory, finding


def get_finding(
    session: Session, principal: Principal, *, inventory_id: int, finding_id: int
) -> tuple[InventoryFinding, list[FindingEvent]]:
    """A finding and its history, oldest first."""
    _, finding = _finding(session, principal, inventory_id, finding_id)
    events = list(
        session.scalars(
            select(FindingEvent)
            .where(FindingEvent.finding_id == finding.id)
            .order_by(FindingEvent.id)
        )
    )
    return finding, events


# --- deciding ------------------------------------------------------------------------------


def set_finding_status(
    session: Session,
    principal: Principal,
    *,
    inventory_id: int,
    finding_id: int,
    status: FindingStatus,
    reason: str = "",
    now: datetime,
) -> InventoryFinding:
    """A member's decision: accepted or not_affected (with a reason), or back to new."""
    inventory, finding = _finding(session, principal, inventory_id, finding_id)
    require_inventory(principal, InventoryAction.finding_decide, inventory.organisation_id)
    if status not in DECIDABLE:
        raise InvalidFindingStatus(
            f"a finding may be set to {', '.join(sorted(s.value for s in DECIDABLE))}; "
            "fixed is the matcher's conclusion"
        )
    reason = reason.strip()
    if status is not FindingStatus.new and not reason:
        raise InvalidFindingStatus(f"say why the finding is {status.value}")
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidFindingStatus(f"a reason may be at most {MAX_REASON_CHARS} characters")
    if finding.status is FindingStatus.fixed:
        raise Conflict(f"finding {finding.id} is fixed: it no longer matches, nothing to decide")
    before = {"status": finding.status.value, "reason": finding.status_reason}
    previous = finding.status
    finding.status = status
    finding.status_reason = reason or None
    finding.decided_by = principal.actor
    finding.decided_at = now
    (event_id,) = allocate_ids(session, "inventory_finding_events", 1)
    session.add(
        FindingEvent(
            id=event_id,
            finding_id=finding.id,
            occurred_at=now,
            actor=principal.actor[:300],
            kind=FindingEventKind.status,
            status_before=previous.value,
            status_after=status.value,
            reason=reason,
        )
    )
    session.flush()
    audit.append(
        session,
        actor=principal.actor,
        action="inventory.finding.status",
        subject_type="inventory_finding",
        subject_id=str(finding.id),
        before=before,
        after={"status": status.value, "reason": finding.status_reason},
        details={"inventory_id": inventory.id, "primary_id": finding.primary_id},
    )
    return finding
