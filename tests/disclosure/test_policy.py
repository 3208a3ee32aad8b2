"""The disclosure section of the policy: a table of who may do what, and its SQL twins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from clearinghouse.disclosure import service
from clearinghouse.disclosure.models import DisclosureCase
from clearinghouse.disclosure.parties import case_parties
from clearinghouse.errors import Forbidden, Unauthenticated
from clearinghouse.identity import ANONYMOUS, Principal, local_operator
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.policy import (
    CaseLabels,
    CaseParties,
    DisclosureAction,
    case_view,
    decide_disclosure,
    require_disclosure,
)
from clearinghouse.identity.principal import principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.storage import Database

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
OPS, ACME, GLOBEX, INITECH, LAB, CISA = 1, 2, 3, 4, 5, 6


def person(role: Role, org_id: int, kind: OrgKind) -> Principal:
    return Principal(
        user_id=100 + org_id * 10 + len(role.value),
        email=f"{role.value}@org{org_id}.example",
        role=role,
        organisation_id=org_id,
        organisation_slug=f"org{org_id}",
        organisation_kind=kind,
    )


PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "cli": local_operator(),
    "operator": person(Role.operator, OPS, OrgKind.operator),
    "analyst": person(Role.reviewer, CISA, OrgKind.agency),
    "vendor_a": person(Role.vendor, ACME, OrgKind.vendor),
    "acme_reporter": person(Role.reporter, ACME, OrgKind.vendor),
    "vendor_b": person(Role.vendor, GLOBEX, OrgKind.vendor),
    "outsider": person(Role.vendor, INITECH, OrgKind.vendor),
    "reporter": person(Role.reporter, LAB, OrgKind.research),
}
ORDER = list(PRINCIPALS)
PARTIES = CaseParties(vendor_org_ids=frozenset({ACME}))

# Columns in ORDER: anonymous cli operator analyst vendor_a acme_reporter vendor_b outsider reporter
TABLE = {
    DisclosureAction.case_read: "0 1 1 1 1 1 0 0 0",
    DisclosureAction.case_manage: "0 1 1 1 0 0 0 0 0",
    DisclosureAction.statement_post: "0 1 1 1 1 0 0 0 0",
    DisclosureAction.message_post: "0 1 1 1 1 1 0 0 0",
}


@pytest.mark.parametrize("action", list(TABLE))
def test_who_may_do_what_in_a_case(action: DisclosureAction) -> None:
    expected = [flag == "1" for flag in TABLE[action].split()]
    got = [bool(decide_disclosure(PRINCIPALS[name], action, PARTIES, now=NOW)) for name in ORDER]
    assert dict(zip(ORDER, got, strict=True)) == dict(zip(ORDER, expected, strict=True))


def test_views_and_refusals() -> None:
    views = {name: case_view(p, PARTIES) for name, p in PRINCIPALS.items()}
    assert views == {
        "anonymous": None,
        "cli": "coordinator",
        "operator": "coordinator",
        "analyst": "coordinator",
        "vendor_a": "vendor",
        "acme_reporter": "vendor",
        "vendor_b": None,
        "outsider": None,
        "reporter": None,
    }
    with pytest.raises(Unauthenticated):
        require_disclosure(ANONYMOUS, DisclosureAction.case_read, PARTIES)
    with pytest.raises(Forbidden):
        require_disclosure(PRINCIPALS["vendor_a"], DisclosureAction.case_manage, PARTIES)
    # Opening and listing: no case yet.
    opens = {
        n: bool(decide_disclosure(p, DisclosureAction.case_open, None))
        for n, p in PRINCIPALS.items()
    }
    assert [n for n, ok in opens.items() if ok] == ["cli", "operator", "analyst"]
    lists = {
        n: bool(decide_disclosure(p, DisclosureAction.case_read, None))
        for n, p in PRINCIPALS.items()
    }
    assert [n for n, ok in lists.items() if not ok] == ["anonymous"]


def _advisory_readers(labels: CaseLabels | None, now: datetime) -> list[str]:
    return [
        name
        for name, p in PRINCIPALS.items()
        if decide_disclosure(p, DisclosureAction.advisory_read, PARTIES, labels=labels, now=now)
    ]


def test_the_advisory_reaches_others_only_after_the_embargo_and_as_its_tlp_allows() -> None:
    parties_only = ["cli", "operator", "analyst", "vendor_a", "acme_reporter"]
    ends = NOW + timedelta(days=3)
    clear = CaseLabels("CLEAR", OPS, ends)
    amber = CaseLabels("AMBER", OPS, ends)
    assert _advisory_readers(None, NOW) == parties_only  # nothing produced yet
    assert _advisory_readers(clear, NOW) == parties_only
    assert _advisory_readers(clear, ends - timedelta(seconds=1)) == parties_only
    assert _advisory_readers(clear, ends) == ORDER  # the instant it ends: anyone
    assert _advisory_readers(amber, ends) == parties_only  # AMBER: the owner org and operators
    green = CaseLabels("GREEN", OPS, ends)
    assert "anonymous" not in _advisory_readers(green, ends)
    assert "reporter" in _advisory_readers(green, ends)
    unknown = CaseLabels("PURPLE", OPS, ends)  # fails closed, as RED
    assert _advisory_readers(unknown, ends + timedelta(days=1)) == parties_only


def test_the_list_filter_keeps_exactly_the_cases_each_one_may_see(db: Database) -> None:
    """`case_filter` (SQL) against `case_view` (Python), over cases with varied vendors."""
    vendors_by_case = [set(), {"acme"}, {"globex"}, {"acme", "globex"}, {"acme"}]
    with db.session() as session:
        orgs = {
            slug: create_organisation(session, slug=slug, name=slug, kind=kind, actor="t")
            for slug, kind in (
                ("ops", OrgKind.operator),
                ("acme", OrgKind.vendor),
                ("globex", OrgKind.vendor),
                ("initech", OrgKind.vendor),
            )
        }
        people = {
            name: create_user(session, email=f"u@{slug}.x", org_slug=slug, role=role, actor="t")
            for name, slug, role in (
                ("operator", "ops", Role.operator),
                ("acme", "acme", Role.vendor),
                ("globex", "globex", Role.vendor),
                ("initech", "initech", Role.vendor),
            )
        }
        coordinator = principal_for(people["operator"])
        for index, slugs in enumerate(vendors_by_case):
            case = DisclosureCase(
                title=f"case {index}", summary="", description="d", tlp="AMBER",
                embargo_ends_at=NOW + timedelta(days=9), coordinator_org_id=orgs["ops"].id,
                opened_by="t", opened_at=NOW, updated_at=NOW,
            )  # fmt: skip
            session.add(case)
            session.flush()
            for slug in sorted(slugs):
                service.invite_vendor(
                    session, coordinator, case_id=case.id, organisation_slug=slug, now=NOW
                )
        # A removal counts: Acme leaves the last case.
        last = session.scalars(select(DisclosureCase.id).order_by(DisclosureCase.id.desc())).first()
        assert last is not None
        service.remove_vendor(session, coordinator, case_id=last, organisation_slug="acme", now=NOW)
    with db.read_session() as session:
        cases = list(session.scalars(select(DisclosureCase)))
        for name in ("operator", "acme", "globex", "initech"):
            principal = principal_for(people[name])
            listed = {c.id for c in service.list_cases(session, principal, now=NOW)}
            allowed = {c.id for c in cases if case_view(principal, case_parties(session, c))}
            assert listed == allowed, name
        assert len(service.list_cases(session, principal_for(people["acme"]), now=NOW)) == 2
