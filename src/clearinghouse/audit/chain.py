"""Append events to the hash chain, and verify it.

Each event's hash covers its own fields and the previous event's hash, so editing,
deleting or reordering any stored event breaks every link after it. Appends lock the
single head row, so concurrent writers (several API servers, workers) append in turn.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.audit.models import AuditChainHead, AuditEvent
from clearinghouse.storage.base import utcnow

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR = "system"


def digest(value: Any) -> str:
    """SHA-256 of a value's canonical JSON: the before/after fingerprint of a state."""
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    return hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _event_hash(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before_digest: str | None,
    after_digest: str | None,
    details: str,
    prev_hash: str,
) -> str:
    body = [
        seq,
        occurred_at.isoformat(),
        actor,
        action,
        subject_type,
        subject_id,
        before_digest,
        after_digest,
        details,
        prev_hash,
    ]
    return hashlib.sha256(orjson.dumps(body)).hexdigest()


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    before: Any = None,
    after: Any = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; it commits or rolls back with it.

    `before` and `after` are the states (any JSON-able value) around the change; only
    their digests are stored, so the log proves what changed without copying secrets.
    """
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one()
    occurred_at = utcnow()
    fields: dict[str, Any] = {
        "seq": head.seq + 1,
        "occurred_at": occurred_at,
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "before_digest": None if before is None else digest(before),
        "after_digest": None if after is None else digest(after),
        "details": orjson.dumps(dict(details or {}), option=orjson.OPT_SORT_KEYS).decode(),
        "prev_hash": head.hash,
    }
    event = AuditEvent(**fields, hash=_event_hash(**fields))
    session.add(event)
    head.seq = event.seq
    head.hash = event.hash
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events_checked: int
    first_broken_seq: int | None = None
    reason: str = ""


def verify(session: Session, batch_size: int = 5000) -> ChainReport:
    """Walk the chain from the start; name the first event whose link does not hold."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    rows = session.execute(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch_size)
    ).scalars()
    for event in rows:
        if event.seq != expected_seq:
            return ChainReport(False, checked, expected_seq, f"event {expected_seq} is missing")
        if event.prev_hash != prev_hash:
            return ChainReport(
                False, checked, event.seq, "its prev_hash does not match the event before it"
            )
        recomputed = _event_hash(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor=event.actor,
            action=event.action,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            before_digest=event.before_digest,
            after_digest=event.after_digest,
            details=event.details,
            prev_hash=event.prev_hash,
        )
        if recomputed != event.hash:
            return ChainReport(False, checked, event.seq, "its content does not match its hash")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    head = session.get(AuditChainHead, 1)
    if head is not None and (head.seq != checked or head.hash != prev_hash):
        return ChainReport(
            False, checked, checked + 1, "the chain head names events that are not stored"
        )
    return ChainReport(True, checked)
