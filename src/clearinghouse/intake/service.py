"""Intake of one record submitted through the API (operators only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clearinghouse.errors import Conflict
from clearinghouse.formats import validate_osv
from clearinghouse.identity import Action, Principal, require
from clearinghouse.intake.parse import record_from_osv
from clearinghouse.intake.upsert import STALE, write_records
from clearinghouse.storage import Database


@dataclass(frozen=True)
class RecordOutcome:
    osv_id: str
    status: str  # added | updated | unchanged | withdrawn


def submit_record(
    db: Database, document: Any, principal: Principal, *, source: str = "api"
) -> RecordOutcome:
    """Validate and store one OSV record; an older copy of a stored record is a Conflict."""
    require(principal, Action.vuln_write)
    document = validate_osv(document, source=source)
    record = record_from_osv(document, source=source, source_file=f"{source}:{principal.actor}")
    with db.session() as session:
        result = write_records(session, [record], actor=principal.actor)
    status = result.outcomes[0][1]
    if status == STALE:
        raise Conflict(
            f"{record.osv_id}: a version with the same or a newer 'modified' is already stored"
        )
    return RecordOutcome(record.osv_id, status)
