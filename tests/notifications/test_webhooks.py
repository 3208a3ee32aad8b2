"""Standard Webhooks signing, URL validation, and real POSTs that follow no redirect."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from clearinghouse.notifications import webhooks
from clearinghouse.notifications.errors import InvalidNotificationField

from .conftest import verify_signature


def test_the_published_standard_webhooks_test_vector_reproduces() -> None:
    # From the Standard Webhooks reference libraries: a receiver's library must accept ours.
    signature = webhooks.sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        message_id="msg_p5jXN8AQM9LWM0D4loKWxJek",
        timestamp=1614265330,
        body=b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signed_headers_verify_with_an_independent_implementation_and_only_for_that_body() -> None:
    secret = webhooks.new_secret()
    body = b'{"id":"msg_1","kind":"finding.new"}'
    headers = webhooks.signed_headers(secret, message_id="msg_1", body=body, timestamp=1700000000)
    assert headers["Content-Type"] == "application/json"
    assert verify_signature(secret, headers, body)
    assert not verify_signature(secret, headers, body + b" ")
    assert not verify_signature(webhooks.new_secret(), headers, body)
    assert secret.startswith("whsec_") and len(webhooks.secret_key(secret)) == 32


@pytest.mark.parametrize(
    ("url", "allow_http", "reason"),
    [
        ("ftp://example.com/x", False, "https://"),
        ("http://example.com/hook", False, "loopback"),
        ("https://user:pw@example.com/hook", False, "password"),
        ("https:///nohost", False, "host"),
        ("https://example.com:99999/x", False, "port"),
        ("https://example.com/" + "a" * 2001, False, "2000"),
    ],
)
def test_bad_webhook_urls_are_refused_with_the_reason(
    url: str, allow_http: bool, reason: str
) -> None:
    with pytest.raises(InvalidNotificationField, match=reason):
        webhooks.validate_url(url, allow_http=allow_http)


@pytest.mark.parametrize(
    ("url", "allow_http"),
    [
        ("https://hooks.example.com/clearinghouse", False),
        ("http://127.0.0.1:8080/hook", False),
        ("http://[::1]:8080/hook", False),
        ("http://localhost/hook", False),
        ("http://intranet.example/hook", True),
    ],
)
def test_good_webhook_urls_are_taken(url: str, allow_http: bool) -> None:
    assert webhooks.validate_url(url, allow_http=allow_http) == url


@pytest.fixture
def redirecting_server() -> Iterator[tuple[str, list[str]]]:
    """Answers every POST with a 307 to another host, and counts what reaches it."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.2:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", hits
    server.shutdown()
    server.server_close()


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    redirecting_server: tuple[str, list[str]],
) -> None:
    url, hits = redirecting_server
    result = webhooks.post(url, body=b"{}", headers={"Content-Type": "application/json"}, timeout=2)
    assert not result.ok and result.status_code == 307
    assert result.error is not None and "not followed" in result.error
    assert hits == ["/hook"]


def test_a_closed_port_is_a_connection_error_not_an_exception() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = webhooks.post(f"http://127.0.0.1:{port}/", body=b"{}", headers={}, timeout=2)
    assert not result.ok and result.status_code is None and "ConnectError" in (result.error or "")
