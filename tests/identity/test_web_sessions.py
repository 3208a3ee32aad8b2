"""Web sessions: the cookie is stored only hashed, sessions expire, logout ends them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from clearinghouse.audit import verify
from clearinghouse.identity.errors import IdentityError
from clearinghouse.identity.models import User, WebSession
from clearinghouse.identity.sessions import csrf_ok, end_session, load_session, start_session
from clearinghouse.storage import Database

from .conftest import Community


def _start(db: Database, user_id: int, hours: int = 12) -> tuple[str, int]:
    with db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        cookie, web_session = start_session(session, user=user, hours=hours)
        return cookie, web_session.id


def test_a_session_is_found_by_its_cookie(db: Database, community: Community) -> None:
    cookie, session_id = _start(db, community.partner_user_id)
    with db.read_session() as session:
        stored = session.get(WebSession, session_id)
        assert stored is not None
        assert stored.session_hash == hashlib.sha256(cookie.encode()).hexdigest()
        assert cookie not in (stored.session_hash, stored.csrf_token)
        loaded = load_session(session, cookie)
        assert loaded is not None and loaded.id == session_id
        assert loaded.user.email == "pat@grid.example"
        assert loaded.expires_at - loaded.created_at == timedelta(hours=12)


def test_sessions_expire(db: Database, community: Community) -> None:
    cookie, session_id = _start(db, community.partner_user_id, hours=1)
    with db.read_session() as session:
        expires_at = session.get(WebSession, session_id).expires_at
        assert load_session(session, cookie, now=expires_at - timedelta(seconds=1)) is not None
        assert load_session(session, cookie, now=expires_at) is None


def test_unknown_cookies_and_inactive_users_get_nothing(db: Database, community: Community) -> None:
    cookie, _ = _start(db, community.partner_user_id)
    with db.read_session() as session:
        assert load_session(session, None) is None
        assert load_session(session, "") is None
        assert load_session(session, cookie + "x") is None
        assert load_session(session, "x" * 10_000) is None
    with db.session() as session:
        session.execute(
            update(User).where(User.id == community.partner_user_id).values(active=False)
        )
    with db.read_session() as session:
        assert load_session(session, cookie) is None


def test_logout_ends_the_session(
    db: Database, community: Community, audit_actions: Callable[[], list[str]]
) -> None:
    cookie, _ = _start(db, community.partner_user_id)
    other_cookie, _ = _start(db, community.vendor_user_id)
    with db.session() as session:
        end_session(session, cookie)
        end_session(session, cookie)  # twice is still logged out, and records nothing
    with db.read_session() as session:
        assert load_session(session, cookie) is None
        assert load_session(session, other_cookie) is not None
        assert len(session.execute(select(WebSession)).all()) == 1
        assert verify(session).ok
    assert audit_actions()[-3:] == ["session.start", "session.start", "session.end"]


def test_csrf_tokens_are_per_session(db: Database, community: Community) -> None:
    _, first_id = _start(db, community.partner_user_id)
    _, second_id = _start(db, community.partner_user_id)
    with db.read_session() as session:
        first = session.get(WebSession, first_id)
        second = session.get(WebSession, second_id)
        assert first is not None and second is not None
        assert len(first.csrf_token) >= 43
        assert csrf_ok(first, first.csrf_token)
        assert not csrf_ok(first, second.csrf_token)
        assert not csrf_ok(first, None)
        assert not csrf_ok(first, "")
        assert not csrf_ok(first, "é" * 43)


def test_a_session_must_last(db: Database, community: Community) -> None:
    with pytest.raises(IdentityError):
        _start(db, community.partner_user_id, hours=0)
