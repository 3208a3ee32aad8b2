"""Inventories on both databases: organisations and their people, records in real OSV shape.

Records are written through intake's own `write_records` (so the re-match hook runs as it
does in production); SBOMs are built as the readers build them (`SbomDocument`), so these
tests do not depend on any one reader.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from clearinghouse.formats import validate_osv
from clearinghouse.formats.components import Component, SbomDocument, VexStatement
from clearinghouse.identity.models import OrgKind, Role, User
from clearinghouse.identity.principal import Principal, principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.intake.parse import record_from_osv
from clearinghouse.intake.upsert import BatchResult, write_records
from clearinghouse.review.models import Notification
from clearinghouse.storage import Database

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"

ORGS = {
    "ops": ("Clearinghouse operations", OrgKind.operator),
    "gridco": ("Grid Co", OrgKind.critical_infrastructure),
    "waterco": ("Water Co", OrgKind.critical_infrastructure),
}
PEOPLE = {
    "operator": ("ops@ops.example", "ops", Role.operator),
    "grid": ("analyst@gridco.example", "gridco", Role.partner),
    "grid2": ("second@gridco.example", "gridco", Role.partner),
    "water": ("analyst@waterco.example", "waterco", Role.partner),
}


@dataclass(frozen=True)
class Cast:
    db: Database
    principals: dict[str, Principal]
    emails: dict[str, str]
    org_ids: dict[str, int]


def make_cast(db: Database, *, passwords: bool = False) -> Cast:
    """The organisations and people; passwords (slow to hash) only for pages that log in."""
    org_ids: dict[str, int] = {}
    with db.session() as session:
        for slug, (name, kind) in ORGS.items():
            org_ids[slug] = create_organisation(
                session, slug=slug, name=name, kind=kind, actor="test"
            ).id
        for email, org, role in PEOPLE.values():
            create_user(
                session,
                email=email,
                org_slug=org,
                role=role,
                actor="test",
                password=PASSWORD if passwords else None,
            )
    with db.read_session() as session:
        principals = {
            key: principal_for(session.scalars(select(User).where(User.email == email)).one())
            for key, (email, _, _) in PEOPLE.items()
        }
    emails = {key: email for key, (email, _, _) in PEOPLE.items()}
    return Cast(db, principals, emails, org_ids)


@pytest.fixture
def cast(db: Database) -> Iterator[Cast]:
    yield make_cast(db)


def osv(
    osv_id: str,
    package: str,
    *,
    introduced: str = "0",
    fixed: str | None = None,
    last_affected: str | None = None,
    ecosystem: str = "PyPI",
    aliases: Sequence[str] = (),
    modified: datetime = NOW - timedelta(days=30),
    severity: str | None = None,
    withdrawn: datetime | None = None,
    summary: str | None = None,
    extra_affected: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """An OSV record in the shape the PyPI advisory database writes them."""
    events: list[dict[str, str]] = [{"introduced": introduced}]
    if fixed is not None:
        events.append({"fixed": fixed})
    if last_affected is not None:
        events.append({"last_affected": last_affected})
    document: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": osv_id,
        "modified": modified.isoformat().replace("+00:00", "Z"),
        "summary": summary or f"{osv_id} in {package}",
        "aliases": list(aliases),
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": package},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
            },
            *extra_affected,
        ],
        "references": [{"type": "ADVISORY", "url": f"https://osv.dev/vulnerability/{osv_id}"}],
    }
    if severity is not None:
        document["database_specific"] = {"severity": severity}
    if withdrawn is not None:
        document["withdrawn"] = withdrawn.isoformat().replace("+00:00", "Z")
    return document


def store(db: Database, *documents: dict[str, Any]) -> BatchResult:
    """Store records as intake does (the re-match hook included), in one transaction."""
    records = [
        record_from_osv(validate_osv(d, source="test"), source="test", source_file="test")
        for d in documents
    ]
    with db.session() as session:
        return write_records(session, records, actor="test-intake")


def pypi(name: str, version: str, bom_ref: str | None = None) -> Component:
    purl = f"pkg:pypi/{name.lower()}@{version}"
    return Component("PyPI", name, version, purl=purl, bom_ref=bom_ref or purl)


def sbom(*components: Component, vex: Sequence[VexStatement] = ()) -> SbomDocument:
    return SbomDocument(
        format="CycloneDX",
        format_version="1.6",
        encoding="json",
        name="billing-api",
        components=tuple(components),
        vex=tuple(vex),
    )


def notifications(db: Database, kind: str = "finding.new") -> list[Notification]:
    with db.read_session() as session:
        return list(
            session.scalars(
                select(Notification).where(Notification.kind == kind).order_by(Notification.id)
            )
        )


def count(db: Database, model: Any) -> int:
    with db.read_session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
