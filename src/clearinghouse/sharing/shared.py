"""The findings a sharing group reads: those an organisation labelled and shared with it.

A member reads a shared finding, and nothing else of the inventory it comes from, under
the finding's label (`identity.policy.finding_shared_filter`); the organisation's own
users and operators read their group's findings as they read the inventory itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from clearinghouse.identity.models import Organisation
from clearinghouse.identity.policy import finding_shared_filter, inventory_filter
from clearinghouse.identity.principal import Principal
from clearinghouse.sbom.models import Inventory, InventoryFinding
from clearinghouse.sharing.service import readable_group

MAX_SHARED = 500


@dataclass(frozen=True)
class SharedFinding:
    id: int
    organisation: str
    inventory: str
    vulnerability: str
    summary: str
    severity: str
    ecosystem: str
    package: str
    version: str
    fixed_version: str | None
    status: str
    tlp: str


def shared_findings(session: Session, principal: Principal, slug: str) -> list[SharedFinding]:
    """The findings shared with group `slug` that `principal` may read (at most 500)."""
    group = readable_group(session, principal, slug)
    visible = or_(
        finding_shared_filter(
            principal,
            tlp_column=InventoryFinding.tlp,
            sharing_group_column=InventoryFinding.sharing_group_id,
        ),
        inventory_filter(principal, organisation_column=Inventory.organisation_id),
    )
    rows = session.execute(
        select(InventoryFinding, Inventory.name, Organisation.slug)
        .join(Inventory, Inventory.id == InventoryFinding.inventory_id)
        .join(Organisation, Organisation.id == Inventory.organisation_id)
        .where(InventoryFinding.sharing_group_id == group.id, visible)
        .order_by(Organisation.slug, Inventory.name, InventoryFinding.id)
        .limit(MAX_SHARED)
    ).all()
    return [
        SharedFinding(
            id=finding.id,
            organisation=organisation,
            inventory=inventory,
            vulnerability=finding.primary_id,
            summary=finding.summary,
            severity=finding.severity,
            ecosystem=finding.ecosystem,
            package=finding.name,
            version=finding.version,
            fixed_version=finding.fixed_version,
            status=finding.status.value,
            tlp=finding.tlp,
        )
        for finding, inventory, organisation in rows
    ]
