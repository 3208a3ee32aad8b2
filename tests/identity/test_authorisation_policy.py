"""The authorisation policy: a table of who reads what, and its SQL twin checked against it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, select

from clearinghouse.errors import Forbidden, Unauthenticated
from clearinghouse.identity import (
    ANONYMOUS,
    Action,
    Principal,
    Tlp,
    decide,
    local_operator,
    require,
    visible_filter,
)
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.storage import Database
from clearinghouse.storage.base import UTCDateTime

NOW = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
OPS, GRID, ACME = 1, 2, 3


@dataclass(frozen=True)
class Resource:
    tlp: str
    owner_org_id: int | None
    embargo_ends_at: datetime | None
    sharing_group_id: int | None = None


def user(role: Role, org_id: int | None, kind: OrgKind | None = None) -> Principal:
    return Principal(
        user_id=100 + (org_id or 0),
        email=f"{role.value}@org{org_id}.example",
        role=role,
        organisation_id=org_id,
        organisation_slug=None if org_id is None else f"org{org_id}",
        organisation_kind=kind,
    )


# Columns of the tables below, in this order.
PRINCIPALS = {
    "anonymous": ANONYMOUS,
    "cli": local_operator(),
    "operator": user(Role.operator, OPS, OrgKind.operator),
    "owner": user(Role.partner, GRID, OrgKind.critical_infrastructure),
    "other": user(Role.vendor, ACME, OrgKind.vendor),
}

# Resources owned by GRID.          anon cli  op  owner other
OWNED_OPEN = {
    Tlp.CLEAR: "Y Y Y Y Y",
    Tlp.GREEN: "N Y Y Y Y",
    Tlp.AMBER: "N Y Y Y N",
    Tlp.AMBER_STRICT: "N N N Y N",
    Tlp.RED: "N N N Y N",
}
OWNED_EMBARGOED = {
    Tlp.CLEAR: "N Y Y Y N",
    Tlp.GREEN: "N Y Y Y N",
    Tlp.AMBER: "N Y Y Y N",
    Tlp.AMBER_STRICT: "N N N Y N",
    Tlp.RED: "N N N Y N",
}
# Resources with no owner organisation.
UNOWNED_OPEN = {
    Tlp.CLEAR: "Y Y Y Y Y",
    Tlp.GREEN: "N Y Y N N",
    Tlp.AMBER: "N Y Y N N",
    Tlp.AMBER_STRICT: "N Y Y N N",
    Tlp.RED: "N Y Y N N",
}
UNOWNED_EMBARGOED = {label: "N Y Y N N" for label in Tlp}

EMBARGOES = {
    "none": None,
    "ended": NOW - timedelta(days=1),
    "ends-now": NOW,
    "future": NOW + timedelta(microseconds=1),
}


def _cases() -> Iterator[tuple[str, str, Tlp, str, str, bool]]:
    for owner_name, owner, open_table, embargoed_table in (
        ("grid", GRID, OWNED_OPEN, OWNED_EMBARGOED),
        ("none", None, UNOWNED_OPEN, UNOWNED_EMBARGOED),
    ):
        for embargo_name in EMBARGOES:
            table = embargoed_table if embargo_name == "future" else open_table
            for label, row in table.items():
                for principal_name, cell in zip(PRINCIPALS, row.split(), strict=True):
                    yield owner_name, embargo_name, label, principal_name, cell, owner is not None


@pytest.mark.parametrize(
    ("owner_name", "embargo_name", "label", "principal_name", "cell", "owned"), list(_cases())
)
def test_who_may_read_what(
    owner_name: str, embargo_name: str, label: Tlp, principal_name: str, cell: str, owned: bool
) -> None:
    resource = Resource(label.value, GRID if owned else None, EMBARGOES[embargo_name])
    principal = PRINCIPALS[principal_name]
    decision = decide(principal, Action.vuln_read, resource, now=NOW)
    assert decision.allowed is (cell == "Y"), decision.reason
    assert bool(decision) is decision.allowed
    assert decision.reason


def test_an_embargo_lifts_at_its_instant() -> None:
    ends = NOW + timedelta(hours=1)
    resource = Resource("CLEAR", GRID, ends)
    assert not decide(ANONYMOUS, Action.vuln_read, resource, now=ends - timedelta(microseconds=1))
    assert decide(ANONYMOUS, Action.vuln_read, resource, now=ends)


def test_without_now_the_clock_is_used() -> None:
    past = Resource("CLEAR", GRID, datetime(2000, 1, 1, tzinfo=UTC))
    future = Resource("CLEAR", GRID, datetime(2999, 1, 1, tzinfo=UTC))
    assert decide(ANONYMOUS, Action.vuln_read, past)
    assert not decide(ANONYMOUS, Action.vuln_read, future)


@pytest.mark.parametrize("label", ["WHITE", "amber", "", "TLP:CLEAR", "PURPLE"])
def test_a_non_canonical_stored_label_fails_closed_as_red(label: str) -> None:
    resource = Resource(label, GRID, None)
    assert not decide(ANONYMOUS, Action.vuln_read, resource, now=NOW)
    assert not decide(PRINCIPALS["operator"], Action.vuln_read, resource, now=NOW)
    assert not decide(PRINCIPALS["other"], Action.vuln_read, resource, now=NOW)
    assert decide(PRINCIPALS["owner"], Action.vuln_read, resource, now=NOW)


def test_anyone_may_ask_for_a_list() -> None:
    assert decide(ANONYMOUS, Action.vuln_read)


OPERATOR_ONLY = [
    Action.vuln_write,
    Action.vuln_ingest,
    Action.org_manage,
    Action.user_manage,
    Action.audit_read,
]


@pytest.mark.parametrize("action", OPERATOR_ONLY)
def test_operator_actions(action: Action) -> None:
    assert decide(local_operator("alice"), action)
    assert decide(PRINCIPALS["operator"], action)
    for role in (Role.reviewer, Role.developer, Role.partner, Role.vendor, Role.reporter):
        principal = user(role, GRID)
        assert not decide(principal, action)
        with pytest.raises(Forbidden, match="operators only"):
            require(principal, action)
    with pytest.raises(Unauthenticated):
        require(ANONYMOUS, action)


def test_writing_ignores_the_label_but_needs_an_operator() -> None:
    red = Resource("RED", GRID, NOW + timedelta(days=3))
    assert decide(PRINCIPALS["operator"], Action.vuln_write, red, now=NOW)
    assert not decide(PRINCIPALS["owner"], Action.vuln_write, red, now=NOW)


def test_everyone_logged_in_manages_their_own_tokens() -> None:
    for principal in (local_operator(), *(user(role, GRID) for role in Role)):
        assert decide(principal, Action.token_manage_own)
    with pytest.raises(Unauthenticated):
        require(ANONYMOUS, Action.token_manage_own)


def test_require_tells_anonymous_to_log_in_and_others_no() -> None:
    amber = Resource("AMBER", GRID, None)
    with pytest.raises(Unauthenticated, match="AMBER"):
        require(ANONYMOUS, Action.vuln_read, amber, now=NOW)
    with pytest.raises(Forbidden, match="AMBER"):
        require(PRINCIPALS["other"], Action.vuln_read, amber, now=NOW)
    embargoed = Resource("CLEAR", GRID, NOW + timedelta(days=1))
    with pytest.raises(Unauthenticated, match="embargo"):
        require(ANONYMOUS, Action.vuln_read, embargoed, now=NOW)
    require(PRINCIPALS["owner"], Action.vuln_read, embargoed, now=NOW)
    require(ANONYMOUS, Action.vuln_read, Resource("CLEAR", None, None), now=NOW)


def test_principals_name_their_actor() -> None:
    assert ANONYMOUS.actor == "anonymous" and not ANONYMOUS.is_authenticated
    cli = local_operator("alice")
    assert cli.actor == "cli:alice" and cli.is_authenticated
    assert cli.role is Role.operator and cli.organisation_id is None
    assert local_operator().actor == "cli:cli"
    assert PRINCIPALS["owner"].actor == "user:partner@org2.example"


# --- visible_filter, the SQL twin of decide(principal, vuln_read, row) ---

probe_metadata = MetaData()
probe = Table(
    "policy_probe",
    probe_metadata,
    Column("id", Integer, primary_key=True),
    Column("tlp", String(16), nullable=False),
    Column("owner_org_id", Integer, nullable=True),
    Column("embargo_ends_at", UTCDateTime, nullable=True),
    Column("sharing_group_id", Integer, nullable=True),
)


@pytest.fixture
def probe_table(db: Database) -> Iterator[Database]:
    probe_metadata.drop_all(db.engine, checkfirst=True)
    probe_metadata.create_all(db.engine)
    yield db
    probe_metadata.drop_all(db.engine)


ORG_IDS = st.sampled_from([1, 2, 3])
GROUP_IDS = st.sampled_from([7, 8])
group_sets = st.frozensets(GROUP_IDS)
principals = st.one_of(
    st.just(ANONYMOUS),
    st.builds(local_operator, st.sampled_from(["cli", "alice"])),
    st.builds(
        Principal,
        user_id=st.integers(1, 50),
        email=st.just("someone@example.org"),
        role=st.sampled_from(list(Role)),
        # A user always has an organisation; None probes the rule's edge all the same.
        organisation_id=st.one_of(ORG_IDS, st.none()),
        organisation_slug=st.just("org"),
        organisation_kind=st.sampled_from(list(OrgKind)),
        amber_groups=group_sets,
        red_groups=group_sets,
    ),
)
labels = st.sampled_from([*(label.value for label in Tlp), "WHITE", "amber", "", "TLP:RED"])
nows = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2099, 1, 1), timezones=st.just(UTC)
)
offsets = st.one_of(
    st.sampled_from([timedelta(0), timedelta(microseconds=1), timedelta(microseconds=-1)]),
    st.timedeltas(min_value=timedelta(days=-400), max_value=timedelta(days=400)),
)
rows = st.lists(
    st.tuples(
        labels,
        st.one_of(st.none(), ORG_IDS),
        st.one_of(st.none(), offsets),
        st.one_of(st.none(), GROUP_IDS),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(now=nows, drawn_rows=rows, askers=st.lists(principals, min_size=1, max_size=4))
def test_visible_filter_returns_exactly_what_decide_allows(
    probe_table: Database,
    now: datetime,
    drawn_rows: list[tuple[str, int | None, timedelta | None, int | None]],
    askers: list[Principal],
) -> None:
    resources = {
        n: Resource(tlp, owner, None if offset is None else now + offset, group)
        for n, (tlp, owner, offset, group) in enumerate(drawn_rows, start=1)
    }
    with probe_table.session() as session:
        session.execute(delete(probe))
        session.execute(
            insert(probe),
            [
                {
                    "id": n,
                    "tlp": r.tlp,
                    "owner_org_id": r.owner_org_id,
                    "embargo_ends_at": r.embargo_ends_at,
                    "sharing_group_id": r.sharing_group_id,
                }
                for n, r in resources.items()
            ],
        )
    with probe_table.read_session() as session:
        for principal in askers:
            where = visible_filter(
                principal,
                tlp_column=probe.c.tlp,
                owner_column=probe.c.owner_org_id,
                embargo_column=probe.c.embargo_ends_at,
                sharing_group_column=probe.c.sharing_group_id,
                now=now,
            )
            seen = set(session.execute(select(probe.c.id).where(where)).scalars())
            hidden = set(session.execute(select(probe.c.id).where(~where)).scalars())
            allowed = {
                n for n, r in resources.items() if decide(principal, Action.vuln_read, r, now=now)
            }
            assert seen == allowed, principal
            # NULL-safe: negating the filter gives exactly the rest.
            assert hidden == set(resources) - allowed, principal


# --- Sharing groups: who beyond the owner reads AMBER and RED --------------------------

PARTNERS = 7
member = Principal(
    user_id=300,
    email="ops@acme.example",
    role=Role.partner,
    organisation_id=ACME,
    organisation_slug="acme",
    organisation_kind=OrgKind.vendor,
    amber_groups=frozenset({PARTNERS}),
)
named = Principal(
    user_id=301,
    email="ciso@acme.example",
    role=Role.partner,
    organisation_id=ACME,
    organisation_slug="acme",
    organisation_kind=OrgKind.vendor,
    amber_groups=frozenset({PARTNERS}),
    red_groups=frozenset({PARTNERS}),
)
outsider = user(Role.partner, 9)


@pytest.mark.parametrize(
    ("label", "member_reads", "named_reads"),
    [
        ("AMBER", True, True),
        ("AMBER+STRICT", False, False),  # the organisation only: a group does not widen it
        ("RED", False, True),  # individual recipients only
        ("GREEN", True, True),
    ],
)
def test_a_sharing_group_opens_amber_to_members_and_red_to_named_people(
    label: str, member_reads: bool, named_reads: bool
) -> None:
    resource = Resource(label, GRID, None, PARTNERS)
    assert bool(decide(member, Action.vuln_read, resource, now=NOW)) is member_reads
    assert bool(decide(named, Action.vuln_read, resource, now=NOW)) is named_reads
    outsider_reads = label == "GREEN"  # the community reads GREEN, group or not
    assert bool(decide(outsider, Action.vuln_read, resource, now=NOW)) is outsider_reads
    # The same resource without the group: only the owner's rules.
    alone = Resource(label, GRID, None, None)
    assert bool(decide(member, Action.vuln_read, alone, now=NOW)) is (label == "GREEN")


def test_an_embargo_opens_to_the_designated_partners_and_nobody_else() -> None:
    embargoed = Resource("CLEAR", GRID, NOW + timedelta(days=3), PARTNERS)
    assert decide(member, Action.vuln_read, embargoed, now=NOW)
    assert not decide(outsider, Action.vuln_read, embargoed, now=NOW)
    assert not decide(ANONYMOUS, Action.vuln_read, embargoed, now=NOW)
    assert decide(ANONYMOUS, Action.vuln_read, embargoed, now=NOW + timedelta(days=3))
    # An embargoed RED resource stays closed to a member who is not named.
    red = Resource("RED", GRID, NOW + timedelta(days=3), PARTNERS)
    assert not decide(member, Action.vuln_read, red, now=NOW)
    assert decide(named, Action.vuln_read, red, now=NOW)
