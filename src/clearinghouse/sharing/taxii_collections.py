"""The TAXII collections a reader sees: one per TLP level open to them and per sharing group.

- `clear`: TLP:CLEAR records, for everyone (anonymous included);
- `green`: TLP:GREEN records, for every authenticated user (the community);
- `<group-slug>-amber`: the group's TLP:AMBER records, for the members of the group;
- `<group-slug>-red`: the group's TLP:RED records, for the people named in the group.

Who is offered which collection is `identity.policy.taxii_collection_offered`'s decision.
A collection only says which label (and group) a record must carry to belong to it; what a
reader gets out of it is further cut by `identity.policy.visible_filter` (embargoes, owners).
A reader who is not in a group is not offered its collections: asking for one by id is a
404, exactly like asking for one that does not exist. Records labelled AMBER or RED without
a sharing group, and AMBER+STRICT ones, are for their owner organisation: no collection
serves them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from clearinghouse.identity import Principal
from clearinghouse.identity.policy import taxii_collection_offered
from clearinghouse.identity.tlp import Tlp
from clearinghouse.sharing.models import SharingGroup
from clearinghouse.vulnerabilities.models import Vulnerability

# Fixed forever: collection ids are derived from it, and clients keep them.
TAXII_NAMESPACE = uuid.UUID("b7d2a9de-3c55-5e1f-8f43-2f6c1d0a7e55")


@dataclass(frozen=True)
class TaxiiCollection:
    """One collection: which label (and sharing group) its records carry."""

    key: str  # what the id is derived from: "clear", "green", "sharing-group/7/amber"
    alias: str
    title: str
    description: str
    tlp: Tlp
    sharing_group_id: int | None = None

    @property
    def id(self) -> str:
        return str(uuid.uuid5(TAXII_NAMESPACE, self.key))

    def membership(self) -> ColumnElement[bool]:
        """The rows of `vulnerabilities` that belong to this collection (before access rules)."""
        label: ColumnElement[bool] = Vulnerability.tlp == self.tlp.value
        if self.sharing_group_id is None:
            return label
        return and_(label, Vulnerability.sharing_group_id == self.sharing_group_id)


CLEAR = TaxiiCollection(
    key="clear",
    alias="clear",
    title="TLP:CLEAR vulnerabilities",
    description="Records anyone may read and share without limit (TLP:CLEAR).",
    tlp=Tlp.CLEAR,
)
GREEN = TaxiiCollection(
    key="green",
    alias="green",
    title="TLP:GREEN vulnerabilities",
    description="Records for the community of this clearinghouse (TLP:GREEN).",
    tlp=Tlp.GREEN,
)


def _group_collection(group: SharingGroup, tlp: Tlp) -> TaxiiCollection:
    level = tlp.value.lower()
    audience = "the member organisations of" if tlp is Tlp.AMBER else "the people named in"
    return TaxiiCollection(
        key=f"sharing-group/{group.id}/{level}",
        alias=f"{group.slug}-{level}",
        title=f"{group.name}: TLP:{tlp.value}",
        description=f"TLP:{tlp.value} records shared with {audience} the group {group.slug}.",
        tlp=tlp,
        sharing_group_id=group.id,
    )


def collections_for(session: Session, principal: Principal) -> list[TaxiiCollection]:
    """Every collection `principal` is offered (`policy.taxii_collection_offered`), in order."""
    candidates = [CLEAR, GREEN]
    group_ids = principal.amber_groups | principal.red_groups
    if group_ids:
        groups = session.scalars(
            select(SharingGroup)
            .where(SharingGroup.id.in_(sorted(group_ids)))
            .order_by(SharingGroup.slug)
        ).all()
        for group in groups:
            candidates.append(_group_collection(group, Tlp.AMBER))
            candidates.append(_group_collection(group, Tlp.RED))
    return [c for c in candidates if taxii_collection_offered(principal, c.tlp, c.sharing_group_id)]


def find_collection(
    session: Session, principal: Principal, collection_id: str
) -> TaxiiCollection | None:
    """The collection of that id if `principal` is offered it; None otherwise (a 404)."""
    for collection in collections_for(session, principal):
        if collection.id == collection_id:
            return collection
    return None
