"""Webhook signing (Standard Webhooks) and one HTTP attempt (httpx) that follows no redirect.

The signature is `v1,` + base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), where the
key is the secret's bytes: the secret is shown as `whsec_` + base64(key), as the Standard
Webhooks libraries expect it. https://www.standardwebhooks.com/
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from clearinghouse.notifications.errors import InvalidNotificationField

SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's prefix, not a secret)
SECRET_BYTES = 32
MAX_URL_LENGTH = 2000
USER_AGENT = "clearinghouse-webhooks/1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a `whsec_...` secret stands for."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, *, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    mac = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def signed_headers(secret: str, *, message_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Webhook-Id": message_id,
        "Webhook-Timestamp": str(timestamp),
        "Webhook-Signature": sign(secret, message_id=message_id, timestamp=timestamp, body=body),
    }


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_url(url: str, *, allow_http: bool) -> str:
    """The URL as given, or `InvalidNotificationField` saying what is wrong with it."""
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise InvalidNotificationField("url", f"give a URL of at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise InvalidNotificationField("url", "the URL must start with https://")
    if not parts.hostname:
        raise InvalidNotificationField("url", "the URL names no host")
    if parts.username is not None or parts.password is not None:
        # Credentials in a URL would be stored and shown in clear; the signature authenticates us.
        raise InvalidNotificationField("url", "the URL must not carry a user name or password")
    if parts.fragment:
        raise InvalidNotificationField("url", "the URL must not have a #fragment")
    try:
        parts.port  # noqa: B018 (raises on a port out of range)
    except ValueError:
        raise InvalidNotificationField("url", "the URL's port is not a number 1-65535") from None
    if parts.scheme == "http" and not (allow_http or _is_loopback(parts.hostname)):
        raise InvalidNotificationField(
            "url", "plain http:// is accepted for loopback hosts only; use https://"
        )
    return url


@dataclass(frozen=True)
class AttemptResult:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: float


def post(url: str, *, body: bytes, headers: dict[str, str], timeout: float) -> AttemptResult:
    """One POST. 2xx is delivered; anything else fails (3xx too: redirects are not followed)."""
    started = time.perf_counter()
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            code = response.status_code
    except httpx.TimeoutException as exc:
        return _failed(started, f"timed out after {timeout:g} s ({exc.__class__.__name__})")
    except httpx.HTTPError as exc:
        return _failed(started, f"{exc.__class__.__name__}: {exc}"[:300])
    duration = (time.perf_counter() - started) * 1000
    if 200 <= code < 300:
        return AttemptResult(True, code, None, duration)
    if 300 <= code < 400:
        where = response.headers.get("location", "")[:200]
        return AttemptResult(False, code, f"redirect to {where!r} not followed", duration)
    return AttemptResult(False, code, f"HTTP {code}", duration)


def _failed(started: float, error: str) -> AttemptResult:
    return AttemptResult(False, None, error, (time.perf_counter() - started) * 1000)
