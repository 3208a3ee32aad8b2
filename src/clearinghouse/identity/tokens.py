"""API bearer tokens: created with a secret shown once, stored only as its SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.identity.errors import InvalidTokenRequest, UnknownToken
from clearinghouse.identity.models import ApiToken, User
from clearinghouse.identity.principal import Principal, principal_for
from clearinghouse.storage.base import utcnow

TOKEN_PREFIX = "chk_"  # noqa: S105 (the public marker that starts every secret)
PREFIX_LENGTH = 12
# "chk_" + secrets.token_urlsafe(32): 32 random bytes are 43 URL-safe base64 characters.
_SECRET_SHAPE = re.compile(r"chk_[A-Za-z0-9_-]{43}")
# Recording every use would make every API request a write; once in a while is enough
# to tell a token in use from a forgotten one.
LAST_USED_RESOLUTION = timedelta(minutes=5)


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _state(token: ApiToken) -> dict[str, object]:
    return {
        "user_id": token.user_id,
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


def create_token(
    session: Session,
    *,
    user: User,
    name: str,
    actor: str,
    expires_in_days: int | None = 90,
) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret; the caller shows the secret once and forgets it."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidTokenRequest("a token needs a name of 1 to 100 characters")
    if expires_in_days is not None and expires_in_days <= 0:
        raise InvalidTokenRequest("a token's lifetime must be a positive number of days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=_secret_hash(secret),
        created_at=now,
        expires_at=None if expires_in_days is None else now + timedelta(days=expires_in_days),
    )
    session.add(token)
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="token.create",
        subject_type="api_token",
        subject_id=str(token.id),
        after=_state(token),
        details={"user": user.email, "name": name, "prefix": token.prefix},
    )
    return token, secret


def authenticate_token(
    session: Session, secret: str, *, now: datetime | None = None
) -> Principal | None:
    """The principal a bearer secret stands for, or None; never raises on bad input.

    Call it in a writing session: it records `last_used_at` (at most every few minutes).
    """
    if not isinstance(secret, str) or not _SECRET_SHAPE.fullmatch(secret):
        return None
    now = now or utcnow()
    presented = _secret_hash(secret)
    token = session.execute(
        select(ApiToken).where(ApiToken.token_hash == presented)
    ).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, presented):
        return None
    if token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        session.flush()
    return principal_for(token.user)


def revoke_token(session: Session, *, token_id: int, actor: str) -> None:
    """Revoke a token from now on; revoking it again changes nothing and records nothing."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise UnknownToken(f"no API token with id {token_id}")
    if token.revoked_at is not None:
        return
    before = _state(token)
    token.revoked_at = utcnow()
    session.flush()
    audit.append(
        session,
        actor=actor,
        action="token.revoke",
        subject_type="api_token",
        subject_id=str(token.id),
        before=before,
        after=_state(token),
        details={"user": token.user.email, "name": token.name, "prefix": token.prefix},
    )


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """A user's tokens, newest first (their prefixes, never their secrets)."""
    return list(
        session.execute(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        ).scalars()
    )
