"""Organisations and their people: create, look up, and check passwords, every change audited."""

from __future__ import annotations

import re
import secrets
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.identity.errors import (
    DuplicateOrganisation,
    DuplicateUser,
    IdentityError,
    InvalidEmail,
    InvalidSlug,
    RoleNotAllowed,
    UnknownOrganisation,
    UnknownUser,
    WeakPassword,
)
from clearinghouse.identity.models import Organisation, OrgKind, Role, User
from clearinghouse.identity.passwords import hash_password, needs_rehash, verify_password
from clearinghouse.storage.base import utcnow

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")
# Deliverability is the mail server's business; this only refuses what cannot be an address.
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
MIN_PASSWORD_LENGTH = 12

ROLES_BY_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.operator: frozenset({Role.operator}),
    OrgKind.agency: frozenset({Role.reviewer, Role.partner, Role.reporter}),
    OrgKind.ai_developer: frozenset({Role.developer, Role.reporter}),
    OrgKind.critical_infrastructure: frozenset({Role.partner, Role.reporter}),
    OrgKind.vendor: frozenset({Role.vendor, Role.reporter}),
    OrgKind.research: frozenset({Role.reporter}),
}


def role_allowed(kind: OrgKind, role: Role) -> bool:
    return role in ROLES_BY_KIND[kind]


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    if len(address) > 254 or not EMAIL.fullmatch(address):
        raise InvalidEmail(f"not an e-mail address: {email!r}")
    return address


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _org_state(org: Organisation) -> dict[str, str]:
    return {"slug": org.slug, "name": org.name, "kind": org.kind.value}


def _user_state(user: User) -> dict[str, object]:
    # Whether there is a password, never the password or its hash.
    return {
        "email": user.email,
        "name": user.name,
        "organisation": user.organisation.slug,
        "role": user.role.value,
        "active": user.active,
        "has_password": user.password_hash is not None,
    }


def create_organisation(
    session: Session, *, slug: str, name: str, kind: OrgKind, actor: str
) -> Organisation:
    if not SLUG.fullmatch(slug):
        raise InvalidSlug(
            f"invalid slug {slug!r}: 2 to 63 lower-case letters, digits and dashes, "
            "starting with a letter or digit"
        )
    name = name.strip()
    if not name:
        raise IdentityError("an organisation needs a name")
    kind = OrgKind(kind)
    if session.execute(select(Organisation.id).where(Organisation.slug == slug)).first():
        raise DuplicateOrganisation(f"organisation {slug!r} already exists")
    org = Organisation(slug=slug, name=name, kind=kind, created_at=utcnow())
    try:
        # A savepoint, so that losing a race to a concurrent create is a Conflict and
        # leaves the caller's transaction usable.
        with session.begin_nested():
            session.add(org)
            session.flush()
    except IntegrityError:
        raise DuplicateOrganisation(f"organisation {slug!r} already exists") from None
    audit.append(
        session,
        actor=actor,
        action="org.create",
        subject_type="organisation",
        subject_id=slug,
        after=_org_state(org),
        details=_org_state(org),
    )
    return org


def get_organisation(session: Session, slug: str) -> Organisation:
    org = session.execute(
        select(Organisation).where(Organisation.slug == slug)
    ).scalar_one_or_none()
    if org is None:
        raise UnknownOrganisation(f"no organisation {slug!r}")
    return org


def list_organisations(session: Session) -> list[Organisation]:
    return list(session.execute(select(Organisation).order_by(Organisation.slug)).scalars())


def create_user(
    session: Session,
    *,
    email: str,
    org_slug: str,
    role: Role,
    actor: str,
    name: str = "",
    password: str | None = None,
) -> User:
    """A new user of an organisation; without a password they can use API tokens only."""
    address = normalise_email(email)
    role = Role(role)
    org = get_organisation(session, org_slug)
    if not role_allowed(org.kind, role):
        allowed = ", ".join(sorted(r.value for r in ROLES_BY_KIND[org.kind]))
        raise RoleNotAllowed(
            f"a {org.kind.value} organisation's users may be {allowed}, not {role.value}"
        )
    if password is not None:
        _check_password(password)
    if session.execute(select(User.id).where(User.email == address)).first():
        raise DuplicateUser(f"user {address!r} already exists")
    user = User(
        email=address,
        name=name.strip(),
        organisation_id=org.id,
        role=role,
        password_hash=None if password is None else hash_password(password),
        active=True,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError:
        raise DuplicateUser(f"user {address!r} already exists") from None
    audit.append(
        session,
        actor=actor,
        action="user.create",
        subject_type="user",
        subject_id=address,
        after=_user_state(user),
        details={"organisation": org.slug, "role": role.value},
    )
    return user


def get_user(session: Session, email: str) -> User:
    user = session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None:
        raise UnknownUser(f"no user {email!r}")
    return user


def list_users(session: Session, *, org_slug: str | None = None) -> list[User]:
    query = select(User).order_by(User.email)
    if org_slug is not None:
        query = query.where(User.organisation_id == get_organisation(session, org_slug).id)
    return list(session.execute(query).scalars())


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def authenticate_password(session: Session, email: str, password: str) -> User | None:
    """The active user these credentials belong to, or None.

    An unknown address (or one with no password) still costs one Argon2 verification, so
    the answer's timing does not tell which addresses exist.
    """
    user = session.execute(
        select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()
    if user is None or user.password_hash is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
        audit.append(
            session,
            actor=audit.SYSTEM_ACTOR,
            action="user.password_rehash",
            subject_type="user",
            subject_id=user.email,
            details={"reason": "hash parameters older than the current defaults"},
        )
    return user


def set_password(session: Session, *, user: User, password: str, actor: str) -> None:
    _check_password(password)
    before = _user_state(user)
    user.password_hash = hash_password(password)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="user.password_set",
        subject_type="user",
        subject_id=user.email,
        before=before,
        after=_user_state(user),
        details={"user": user.email},
    )
