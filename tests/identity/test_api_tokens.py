"""API tokens: the secret is shown once and stored only hashed; revoked or expired ones fail."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text, update

from clearinghouse.audit import verify
from clearinghouse.identity.errors import InvalidTokenRequest, UnknownToken
from clearinghouse.identity.models import ApiToken, Role, User
from clearinghouse.identity.tokens import (
    authenticate_token,
    create_token,
    list_tokens,
    revoke_token,
)
from clearinghouse.storage import Database
from clearinghouse.storage.base import utcnow

from .conftest import ACTOR, Community


def _new_token(db: Database, user_id: int, **kwargs: object) -> tuple[int, str]:
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        token, secret = create_token(session, user=user, name="ci", actor=ACTOR, **kwargs)
        return token.id, secret


def _all_text(db: Database, table: str) -> str:
    with db.read_session() as session:
        rows = session.execute(text(f"SELECT * FROM {table}")).all()
    return "\n".join(repr(tuple(row)) for row in rows)


def test_the_secret_is_stored_only_as_its_hash(db: Database, community: Community) -> None:
    token_id, secret = _new_token(db, community.partner_user_id)
    assert secret.startswith("chk_") and len(secret) == 47
    with db.read_session() as session:
        token = session.get(ApiToken, token_id)
        assert token is not None
        assert token.prefix == secret[:12]
        assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert token.expires_at is not None
        assert timedelta(days=89) < token.expires_at - token.created_at <= timedelta(days=90)
    assert secret not in _all_text(db, "api_tokens")
    assert secret not in _all_text(db, "audit_events")
    assert secret[12:] not in _all_text(db, "audit_events")


def test_a_token_authenticates_as_its_user(db: Database, community: Community) -> None:
    _, secret = _new_token(db, community.partner_user_id)
    with db.session() as session:
        principal = authenticate_token(session, secret)
    assert principal is not None
    assert principal.user_id == community.partner_user_id
    assert principal.role is Role.partner
    assert principal.organisation_slug == "grid-co"
    assert principal.actor == "user:pat@grid.example"
    with db.read_session() as session:
        assert session.execute(select(ApiToken.last_used_at)).scalar_one() is not None


def test_a_revoked_token_fails(
    db: Database, community: Community, audit_actions: Callable[[], list[str]]
) -> None:
    token_id, secret = _new_token(db, community.partner_user_id)
    with db.session() as session:
        revoke_token(session, token_id=token_id, actor=ACTOR)
    with db.session() as session:
        assert authenticate_token(session, secret) is None
        # Revoking again changes nothing, so it records nothing.
        revoke_token(session, token_id=token_id, actor=ACTOR)
    assert audit_actions().count("token.revoke") == 1
    with db.read_session() as session:
        assert verify(session).ok


def test_an_expired_token_fails(db: Database, community: Community) -> None:
    token_id, secret = _new_token(db, community.partner_user_id, expires_in_days=1)
    with db.session() as session:
        expires_at = session.get(ApiToken, token_id).expires_at
        assert expires_at is not None
        assert authenticate_token(session, secret, now=expires_at - timedelta(seconds=1))
        assert authenticate_token(session, secret, now=expires_at) is None
        assert authenticate_token(session, secret, now=expires_at + timedelta(days=1)) is None


def test_a_token_without_expiry_lasts(db: Database, community: Community) -> None:
    _, secret = _new_token(db, community.partner_user_id, expires_in_days=None)
    with db.session() as session:
        later = utcnow() + timedelta(days=3650)
        assert authenticate_token(session, secret, now=later) is not None


def test_an_inactive_users_token_fails(db: Database, community: Community) -> None:
    _, secret = _new_token(db, community.partner_user_id)
    with db.session() as session:
        session.execute(
            update(User).where(User.id == community.partner_user_id).values(active=False)
        )
    with db.session() as session:
        assert authenticate_token(session, secret) is None


def test_a_near_miss_fails(db: Database, community: Community) -> None:
    _, secret = _new_token(db, community.partner_user_id)
    last = "A" if secret[-1] != "A" else "B"
    with db.session() as session:
        assert authenticate_token(session, secret[:-1] + last) is None
        assert authenticate_token(session, secret.upper()) is None
        assert authenticate_token(session, secret + "x") is None
        assert authenticate_token(session, f" {secret}") is None


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.text(max_size=80), st.from_regex(r"chk_[A-Za-z0-9_-]{43}", fullmatch=True)))
def test_garbage_never_raises(db: Database, garbage: str) -> None:
    with db.session() as session:
        assert authenticate_token(session, garbage) is None


def test_bad_requests_are_refused(db: Database, community: Community) -> None:
    with pytest.raises(InvalidTokenRequest):
        _new_token(db, community.partner_user_id, expires_in_days=0)
    with db.session() as session:
        user = session.get(User, community.partner_user_id)
        assert user is not None
        with pytest.raises(InvalidTokenRequest):
            create_token(session, user=user, name="  ", actor=ACTOR)
    with db.session() as session, pytest.raises(UnknownToken):
        revoke_token(session, token_id=999, actor=ACTOR)


def test_tokens_are_listed_per_user(db: Database, community: Community) -> None:
    first, _ = _new_token(db, community.partner_user_id)
    second, _ = _new_token(db, community.partner_user_id)
    _new_token(db, community.vendor_user_id)
    with db.read_session() as session:
        user = session.get(User, community.partner_user_id)
        assert user is not None
        assert [t.id for t in list_tokens(session, user=user)] == [second, first]


def test_creation_is_audited(
    db: Database, community: Community, audit_actions: Callable[[], list[str]]
) -> None:
    _new_token(db, community.vendor_user_id)
    assert audit_actions()[-1] == "token.create"
    with db.read_session() as session:
        assert verify(session).ok
