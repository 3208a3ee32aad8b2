"""`--as EMAIL`: every area's commands act as that person, or as the local operator."""

from __future__ import annotations

import pytest

from clearinghouse.identity.cli_actor import UnknownActor, cli_principal
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.storage import Database


def test_as_names_an_active_user_or_nobody(sqlite_db: Database) -> None:
    with sqlite_db.session() as session:
        create_organisation(
            session, slug="gridco", name="GridCo", kind=OrgKind.critical_infrastructure, actor="t"
        )
        create_user(
            session, email="ops@gridco.example", org_slug="gridco", role=Role.partner, actor="t"
        )
    with sqlite_db.session() as session:
        operator = cli_principal(session, None)
        assert operator.cli_name and operator.role is Role.operator
        person = cli_principal(session, "  OPS@gridco.example ")  # as typed, case and spaces
        assert (person.email, person.organisation_slug) == ("ops@gridco.example", "gridco")
        with pytest.raises(UnknownActor, match=r"no active user 'nobody@x\.example'"):
            cli_principal(session, "nobody@x.example")
