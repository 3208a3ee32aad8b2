"""CSRF protection for forms posted before anyone has signed in: a signed double-submit token.

The browser gets a random nonce in a cookie and the same nonce, signed with the
instance's secret key, in a hidden form field. A forged cross-site form can make the
browser send the cookie, but cannot read it to build a matching signed field. Once
someone has signed in, forms carry the per-session token from identity.sessions instead.
"""

from __future__ import annotations

import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer

from clearinghouse.errors import Forbidden

CSRF_COOKIE = "ch_csrf"
CSRF_FIELD = "csrf_token"
# Long enough to read a login form, short enough that a leaked field soon stops working.
MAX_AGE_SECONDS = 2 * 60 * 60


class CsrfRejected(Forbidden):
    title = "CSRF check failed"


def new_nonce() -> str:
    return secrets.token_urlsafe(32)


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="clearinghouse.csrf.login")


def signed_token(secret_key: str, nonce: str) -> str:
    """The hidden-field value that goes with the cookie `nonce`."""
    return _serializer(secret_key).dumps(nonce)


def check_signed_token(secret_key: str, cookie_nonce: str | None, submitted: str | None) -> None:
    """Raises CsrfRejected unless `submitted` is a fresh signature of the cookie's nonce."""
    if not cookie_nonce or not submitted:
        raise CsrfRejected("the form is missing its CSRF token; reload the page and try again")
    try:
        nonce = _serializer(secret_key).loads(submitted, max_age=MAX_AGE_SECONDS)
    except BadSignature as exc:
        raise CsrfRejected("the form's CSRF token is invalid or expired; reload the page") from exc
    if not isinstance(nonce, str) or not hmac.compare_digest(nonce, cookie_nonce):
        raise CsrfRejected("the form's CSRF token does not match this browser; reload the page")
