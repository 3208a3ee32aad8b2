"""Hand a case's OSV record to the vulnerability store, labelled with the case's TLP and embargo.

Once stored, the record is searched, shown, matched and exported by the store's own code,
which reads the labels through `identity.policy.visible_filter`: the case's embargo then
holds in `/api/v1/vulns`, `/vulns`, the OSV query API and inventory findings alike.

Why not intake's `submit_record` as it stands: it commits in a transaction of its own and
stores every new record as TLP:CLEAR with no embargo and no owner. Relabelling afterwards
would leave a moment in which an embargoed record reads as public, and the re-match that
intake runs inside `write_records` would already have matched it, as CLEAR, against every
inventory (findings and notifications that outlive any relabel). Until intake takes the
labels itself, the record goes through intake in the case's own transaction, in two
steps: a placeholder that names no package and says nothing (so nothing can match or read
it) is stored and labelled, then the record replaces it as a newer version, and intake's
update, which keeps a stored record's labels, re-matches it under them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clearinghouse.errors import Conflict
from clearinghouse.formats.osv import validate_osv
from clearinghouse.identity.policy import CaseLabels
from clearinghouse.intake.parse import record_from_osv
from clearinghouse.intake.upsert import STALE, write_records
from clearinghouse.vulnerabilities.models import Vulnerability

SOURCE = "disclosure"


def _timestamp_before(modified: str) -> str:
    moment = datetime.fromisoformat(modified.replace("Z", "+00:00")) - timedelta(seconds=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def relabel(session: Session, osv_id: str, labels: CaseLabels) -> None:
    """Put the case's labels on its stored record (in the caller's transaction)."""
    session.execute(
        update(Vulnerability)
        .where(Vulnerability.osv_id == osv_id)
        .values(
            tlp=labels.tlp,
            owner_org_id=labels.owner_org_id,
            embargo_ends_at=labels.embargo_ends_at,
            sharing_group_id=labels.sharing_group_id,
        )
    )


def store_record(
    session: Session, document: dict[str, Any], *, labels: CaseLabels, actor: str
) -> str:
    """Store `document` under `labels`; returns intake's outcome (added, updated, ...)."""
    document = validate_osv(document, source=SOURCE)
    osv_id = document["id"]
    source_file = f"{SOURCE}:{actor}"
    stored = session.scalar(select(Vulnerability.id).where(Vulnerability.osv_id == osv_id))
    if stored is None:
        placeholder = validate_osv(
            {"id": osv_id, "modified": _timestamp_before(document["modified"])}, source=SOURCE
        )
        write_records(
            session,
            [record_from_osv(placeholder, source=SOURCE, source_file=source_file)],
            actor=actor,
        )
    relabel(session, osv_id, labels)
    record = record_from_osv(document, source=SOURCE, source_file=source_file)
    result = write_records(session, [record], actor=actor)
    status = result.outcomes[0][1]
    if status == STALE:
        raise Conflict(f"{osv_id}: the store holds a version with the same or a newer 'modified'")
    return "added" if stored is None else status
