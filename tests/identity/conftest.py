"""Fixtures for the identity tests: organisations and users built through the service."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.storage import Database

ACTOR = "cli:test"


@dataclass(frozen=True)
class Community:
    """Three organisations and one user in each, as ids (sessions come and go)."""

    operator_org_id: int
    partner_org_id: int
    vendor_org_id: int
    operator_user_id: int
    partner_user_id: int
    vendor_user_id: int


@pytest.fixture
def community(db: Database) -> Iterator[Community]:
    """An operator, a critical-infrastructure partner and a vendor, one user each."""
    with db.session() as session:
        ops = create_organisation(
            session, slug="ops", name="Clearinghouse ops", kind=OrgKind.operator, actor=ACTOR
        )
        grid = create_organisation(
            session,
            slug="grid-co",
            name="Grid Co",
            kind=OrgKind.critical_infrastructure,
            actor=ACTOR,
        )
        acme = create_organisation(
            session, slug="acme", name="ACME Software", kind=OrgKind.vendor, actor=ACTOR
        )
        olga = create_user(
            session, email="olga@ops.example", org_slug="ops", role=Role.operator, actor=ACTOR
        )
        pat = create_user(
            session, email="pat@grid.example", org_slug="grid-co", role=Role.partner, actor=ACTOR
        )
        vic = create_user(
            session, email="vic@acme.example", org_slug="acme", role=Role.vendor, actor=ACTOR
        )
        ids = Community(ops.id, grid.id, acme.id, olga.id, pat.id, vic.id)
    yield ids


@pytest.fixture
def audit_actions(db: Database) -> Callable[[], list[str]]:
    """The actions of the audit log so far, oldest first."""

    def actions() -> list[str]:
        with db.read_session() as session:
            return list(
                session.execute(select(AuditEvent.action).order_by(AuditEvent.seq)).scalars()
            )

    return actions
