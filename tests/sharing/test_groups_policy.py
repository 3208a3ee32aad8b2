"""The SQL twins of the sharing rules keep exactly the rows the pure rules allow (hypothesis).

`report_filter` must keep what `report_view` shows, `finding_shared_filter` what
`finding_shared` opens, and `sharing_group_filter` the groups `sharing_group_visible`
shows, for any principal and any labelled rows, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, String, Table, delete, insert, select

from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.policy import (
    ReportAction,
    ReportFacts,
    decide_report,
    finding_shared,
    finding_shared_filter,
    report_filter,
    report_view,
    sharing_group_filter,
    sharing_group_visible,
)
from clearinghouse.identity.principal import ANONYMOUS, Principal, local_operator
from clearinghouse.storage import Database

metadata = MetaData()
rows_table = Table(
    "sharing_policy_probe",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submitted_by", Integer, nullable=True),
    Column("reporter_org", Integer, nullable=True),
    Column("tlp", String(16), nullable=False),
    Column("sharing_group_id", Integer, nullable=True),
)


@pytest.fixture
def probe(db: Database) -> Iterator[Database]:
    metadata.drop_all(db.engine, checkfirst=True)
    metadata.create_all(db.engine)
    yield db
    metadata.drop_all(db.engine)


GROUPS = st.sampled_from([7, 8, 9])
principals = st.one_of(
    st.just(ANONYMOUS),
    st.just(local_operator()),
    st.builds(
        Principal,
        user_id=st.integers(1, 4),
        email=st.just("someone@example.org"),
        role=st.sampled_from(list(Role)),
        organisation_id=st.sampled_from([1, 2, 3]),
        organisation_slug=st.just("org"),
        organisation_kind=st.sampled_from(list(OrgKind)),
        amber_groups=st.frozensets(GROUPS),
        red_groups=st.frozensets(GROUPS),
    ),
)
rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(1, 4)),
        st.one_of(st.none(), st.sampled_from([1, 2, 3])),
        st.sampled_from(["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED", "amber", ""]),
        st.one_of(st.none(), GROUPS),
    ),
    min_size=1,
    max_size=20,
)


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(drawn=rows, askers=st.lists(principals, min_size=1, max_size=4))
def test_the_sql_twins_keep_exactly_what_the_rules_allow(
    probe: Database,
    drawn: list[tuple[int | None, int | None, str, int | None]],
    askers: list[Principal],
) -> None:
    facts = {n: ReportFacts(*row) for n, row in enumerate(drawn, start=1)}
    with probe.session() as session:
        session.execute(delete(rows_table))
        session.execute(
            insert(rows_table),
            [
                {
                    "id": n,
                    "submitted_by": f.submitted_by_user_id,
                    "reporter_org": f.reporter_org_id,
                    "tlp": f.tlp,
                    "sharing_group_id": f.sharing_group_id,
                }
                for n, f in facts.items()
            ],
        )
    c = rows_table.c
    with probe.read_session() as session:
        for principal in askers:
            reports = report_filter(
                principal,
                submitted_by_column=c.submitted_by,
                reporter_org_column=c.reporter_org,
                tlp_column=c.tlp,
                sharing_group_column=c.sharing_group_id,
            )
            kept = set(session.scalars(select(c.id).where(reports)))
            assert kept == {n for n, f in facts.items() if report_view(principal, f)}, principal
            for n, f in facts.items():  # reading one report agrees with the list
                readable = decide_report(principal, ReportAction.report_read, f)
                assert bool(readable) == (n in kept), (principal, f)

            shared = finding_shared_filter(
                principal, tlp_column=c.tlp, sharing_group_column=c.sharing_group_id
            )
            kept = set(session.scalars(select(c.id).where(shared)))
            expected = {
                n
                for n, f in facts.items()
                if finding_shared(principal, tlp=f.tlp, sharing_group_id=f.sharing_group_id)
            }
            assert kept == expected, principal

            groups = sharing_group_filter(principal, group_column=c.sharing_group_id)
            # A group's id is never NULL: only rows naming one stand for groups.
            kept = set(session.scalars(select(c.id).where(c.sharing_group_id.is_not(None), groups)))
            expected = {
                n
                for n, f in facts.items()
                if f.sharing_group_id is not None
                and sharing_group_visible(principal, f.sharing_group_id)
            }
            assert kept == expected, principal


def test_amber_opens_to_members_red_to_named_and_other_labels_to_nobody_more() -> None:
    member = Principal(5, "m@x.example", Role.partner, 2, "x", OrgKind.vendor, None, frozenset({7}))
    named = Principal(
        6, "n@x.example", Role.partner, 2, "x", OrgKind.vendor, None, frozenset({7}), frozenset({7})
    )
    for label, member_reads, named_reads in (
        ("AMBER", True, True),
        ("RED", False, True),
        ("AMBER+STRICT", False, False),
        ("GREEN", False, False),
        ("CLEAR", False, False),
    ):
        report = ReportFacts(1, 1, label, 7)
        assert (report_view(member, report) is not None) == member_reads, label
        assert (report_view(named, report) is not None) == named_reads, label
        assert finding_shared(member, tlp=label, sharing_group_id=7) == member_reads, label
        assert finding_shared(named, tlp=label, sharing_group_id=7) == named_reads, label
    # Another group's label opens nothing.
    assert report_view(named, ReportFacts(1, 1, "RED", 8)) is None
    # A recipient reads a report, but labels it only if it is the reporter's.
    assert not decide_report(member, ReportAction.report_label, ReportFacts(1, 1, "AMBER", 7))
    assert decide_report(member, ReportAction.report_label, ReportFacts(5, 1, "AMBER", 7))
