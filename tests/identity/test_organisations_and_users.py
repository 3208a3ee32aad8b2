"""Organisations and users: naming rules, roles by kind, conflicts, passwords, and the audit."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from clearinghouse.audit import verify
from clearinghouse.audit.models import AuditEvent
from clearinghouse.errors import Conflict, NotFound
from clearinghouse.identity import principal_for
from clearinghouse.identity.errors import (
    DuplicateOrganisation,
    DuplicateUser,
    InvalidEmail,
    InvalidSlug,
    RoleNotAllowed,
    UnknownOrganisation,
    UnknownUser,
    WeakPassword,
)
from clearinghouse.identity.models import OrgKind, Role, User
from clearinghouse.identity.passwords import verify_password
from clearinghouse.identity.service import (
    authenticate_password,
    create_organisation,
    create_user,
    get_organisation,
    get_user,
    list_organisations,
    list_users,
    set_password,
)
from clearinghouse.storage import Database

from .conftest import ACTOR, Community

PASSWORD = "twelve chars!"

# From the brief and DESIGN.md, "Who uses it": the roles each kind of organisation may hold.
ALLOWED = {
    OrgKind.operator: {Role.operator},
    OrgKind.agency: {Role.reviewer, Role.partner, Role.reporter},
    OrgKind.ai_developer: {Role.developer, Role.reporter},
    OrgKind.critical_infrastructure: {Role.partner, Role.reporter},
    OrgKind.vendor: {Role.vendor, Role.reporter},
    OrgKind.research: {Role.reporter},
}


def test_organisations_are_created_listed_and_found(
    db: Database, audit_actions: Callable[[], list[str]]
) -> None:
    with db.session() as session:
        create_organisation(session, slug="nsa", name="NSA", kind=OrgKind.agency, actor=ACTOR)
        create_organisation(
            session, slug="a1-lab", name=" A1 Lab ", kind=OrgKind.ai_developer, actor=ACTOR
        )
    with db.read_session() as session:
        assert [o.slug for o in list_organisations(session)] == ["a1-lab", "nsa"]
        lab = get_organisation(session, "a1-lab")
        assert (lab.name, lab.kind) == ("A1 Lab", OrgKind.ai_developer)
        with pytest.raises(UnknownOrganisation) as missing:
            get_organisation(session, "nobody")
        assert isinstance(missing.value, NotFound) and missing.value.status_code == 404
    assert audit_actions() == ["org.create", "org.create"]


@pytest.mark.parametrize(
    "slug", ["a", "A-lab", "-lab", "lab_1", "lab 1", "lab.example", "x" * 64, "", "läb"]
)
def test_bad_slugs_are_refused(db: Database, slug: str) -> None:
    with db.session() as session, pytest.raises(InvalidSlug):
        create_organisation(session, slug=slug, name="Lab", kind=OrgKind.research, actor=ACTOR)


def test_a_duplicate_organisation_is_a_conflict(db: Database, community: Community) -> None:
    with db.session() as session, pytest.raises(DuplicateOrganisation) as duplicate:
        create_organisation(session, slug="acme", name="Other", kind=OrgKind.vendor, actor=ACTOR)
    assert isinstance(duplicate.value, Conflict) and duplicate.value.status_code == 409


def test_roles_follow_the_organisation_kind(db: Database) -> None:
    with db.session() as session:
        for kind in OrgKind:
            create_organisation(
                session,
                slug=f"org-{kind.value}".replace("_", "-"),
                name=kind,
                kind=kind,
                actor=ACTOR,
            )
    for kind in OrgKind:
        for role in Role:
            slug = f"org-{kind.value}".replace("_", "-")
            email = f"{role.value}@{slug}.example"
            with db.session() as session:
                if role in ALLOWED[kind]:
                    assert (
                        create_user(
                            session, email=email, org_slug=slug, role=role, actor=ACTOR
                        ).role
                        is role
                    )
                else:
                    with pytest.raises(RoleNotAllowed, match=kind.value):
                        create_user(session, email=email, org_slug=slug, role=role, actor=ACTOR)
    with db.read_session() as session:
        assert len(list_users(session)) == sum(len(roles) for roles in ALLOWED.values())


def test_users_get_lower_cased_addresses(db: Database, community: Community) -> None:
    with db.session() as session:
        user = create_user(
            session,
            email="  Rita@Research.Example ",
            org_slug="grid-co",
            role=Role.reporter,
            name="Rita",
            actor=ACTOR,
        )
        assert user.email == "rita@research.example"
        assert user.password_hash is None
        principal = principal_for(user)
    assert principal.organisation_kind is OrgKind.critical_infrastructure
    with db.read_session() as session:
        assert get_user(session, "RITA@research.example").name == "Rita"
        with pytest.raises(UnknownUser):
            get_user(session, "nobody@example.org")
        assert [u.email for u in list_users(session, org_slug="grid-co")] == [
            "pat@grid.example",
            "rita@research.example",
        ]
        with pytest.raises(UnknownOrganisation):
            list_users(session, org_slug="nobody")


@pytest.mark.parametrize("email", ["", "no-at-sign", "a@b", "two@@example.org", "sp ace@x.org"])
def test_bad_addresses_are_refused(db: Database, community: Community, email: str) -> None:
    with db.session() as session, pytest.raises(InvalidEmail):
        create_user(session, email=email, org_slug="acme", role=Role.vendor, actor=ACTOR)


def test_a_duplicate_user_is_a_conflict_whatever_the_case(
    db: Database, community: Community
) -> None:
    with db.session() as session, pytest.raises(DuplicateUser):
        create_user(
            session, email="PAT@grid.example", org_slug="acme", role=Role.vendor, actor=ACTOR
        )


def test_the_organisation_must_exist(db: Database) -> None:
    with db.session() as session, pytest.raises(UnknownOrganisation):
        create_user(session, email="a@b.example", org_slug="nobody", role=Role.vendor, actor=ACTOR)


def test_short_passwords_are_refused(db: Database, community: Community) -> None:
    with db.session() as session, pytest.raises(WeakPassword):
        create_user(
            session,
            email="new@acme.example",
            org_slug="acme",
            role=Role.vendor,
            actor=ACTOR,
            password="eleven char",
        )
    with db.session() as session:
        user = session.get(User, community.vendor_user_id)
        assert user is not None
        with pytest.raises(WeakPassword):
            set_password(session, user=user, password="short", actor=ACTOR)


def test_password_login(db: Database, community: Community) -> None:
    with db.session() as session:
        create_user(
            session,
            email="lee@acme.example",
            org_slug="acme",
            role=Role.reporter,
            actor=ACTOR,
            password=PASSWORD,
        )
    with db.session() as session:
        user = authenticate_password(session, "LEE@acme.example", PASSWORD)
        assert user is not None and user.email == "lee@acme.example"
        assert authenticate_password(session, "lee@acme.example", PASSWORD + "x") is None
        assert authenticate_password(session, "nobody@acme.example", PASSWORD) is None
        # A user with no password (API tokens only) cannot log in with any password.
        assert authenticate_password(session, "vic@acme.example", "") is None
        session.execute(update(User).where(User.email == "lee@acme.example").values(active=False))
    with db.session() as session:
        assert authenticate_password(session, "lee@acme.example", PASSWORD) is None


def test_an_old_hash_is_replaced_at_login(
    db: Database, community: Community, audit_actions: Callable[[], list[str]]
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with db.session() as session:
        session.execute(
            update(User).where(User.id == community.vendor_user_id).values(password_hash=weak)
        )
    with db.session() as session:
        assert authenticate_password(session, "vic@acme.example", PASSWORD) is not None
    with db.read_session() as session:
        stored = session.get(User, community.vendor_user_id).password_hash
        assert stored is not None and stored != weak and verify_password(stored, PASSWORD)
        assert verify(session).ok
    assert audit_actions()[-1] == "user.password_rehash"


def test_set_password_then_log_in(db: Database, community: Community) -> None:
    with db.session() as session:
        user = session.get(User, community.vendor_user_id)
        assert user is not None
        set_password(session, user=user, password=PASSWORD, actor="user:vic@acme.example")
    with db.session() as session:
        assert authenticate_password(session, "vic@acme.example", PASSWORD) is not None


def test_every_change_is_audited_without_secrets(db: Database, community: Community) -> None:
    with db.session() as session:
        user = create_user(
            session,
            email="sam@acme.example",
            org_slug="acme",
            role=Role.reporter,
            actor="user:olga@ops.example",
            password=PASSWORD,
        )
        set_password(session, user=user, password=PASSWORD + "2", actor=ACTOR)
        password_hash = user.password_hash
    assert password_hash is not None
    with db.read_session() as session:
        events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        assert [e.action for e in events] == [
            *["org.create"] * 3,
            *["user.create"] * 3,
            "user.create",
            "user.password_set",
        ]
        sam = events[-2]
        assert (sam.actor, sam.subject_type, sam.subject_id) == (
            "user:olga@ops.example",
            "user",
            "sam@acme.example",
        )
        assert orjson.loads(sam.details) == {"organisation": "acme", "role": "reporter"}
        for event in events:
            for value in (event.details, event.before_digest, event.after_digest):
                assert PASSWORD not in (value or "")
                assert password_hash not in (value or "")
        assert verify(session).ok
