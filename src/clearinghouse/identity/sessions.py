"""Web login sessions kept on the server: the cookie holds a random id, stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.identity.errors import IdentityError
from clearinghouse.identity.models import User, WebSession
from clearinghouse.storage.base import utcnow

# token_urlsafe(32) gives 43 characters; anything much longer is not ours, and is not
# worth hashing.
_MAX_COOKIE_LENGTH = 128


def _cookie_hash(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def start_session(session: Session, *, user: User, hours: int) -> tuple[str, WebSession]:
    """Log `user` in for `hours`: the cookie value to set, and the stored session."""
    if hours <= 0:
        raise IdentityError("a web session must last a positive number of hours")
    cookie_value = secrets.token_urlsafe(32)
    now = utcnow()
    web_session = WebSession(
        session_hash=_cookie_hash(cookie_value),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(web_session)
    session.flush()
    audit.append(
        session,
        actor=f"user:{user.email}",
        action="session.start",
        subject_type="web_session",
        subject_id=str(web_session.id),
        after={"user_id": user.id, "expires_at": web_session.expires_at.isoformat()},
        details={"user": user.email, "hours": hours},
    )
    return cookie_value, web_session


def _find(session: Session, cookie_value: str | None) -> WebSession | None:
    if not cookie_value or len(cookie_value) > _MAX_COOKIE_LENGTH:
        return None
    return session.execute(
        select(WebSession).where(WebSession.session_hash == _cookie_hash(cookie_value))
    ).scalar_one_or_none()


def load_session(
    session: Session, cookie_value: str | None, *, now: datetime | None = None
) -> WebSession | None:
    """The live session a cookie names; None when unknown, expired or its user is inactive."""
    web_session = _find(session, cookie_value)
    if web_session is None:
        return None
    if web_session.expires_at <= (now or utcnow()):
        return None
    if not web_session.user.active:
        return None
    return web_session


def end_session(session: Session, cookie_value: str) -> None:
    """Log out: the session is deleted; an unknown cookie is already logged out."""
    web_session = _find(session, cookie_value)
    if web_session is None:
        return
    user = web_session.user
    subject_id = str(web_session.id)
    session.delete(web_session)
    session.flush()
    audit.append(
        session,
        actor=f"user:{user.email}",
        action="session.end",
        subject_type="web_session",
        subject_id=subject_id,
        before={"user_id": user.id},
        details={"user": user.email},
    )


def csrf_ok(web_session: WebSession, submitted: str | None) -> bool:
    """Whether a form carried this session's CSRF token (compared in constant time)."""
    if not submitted:
        return False
    return hmac.compare_digest(web_session.csrf_token.encode(), submitted.encode())
