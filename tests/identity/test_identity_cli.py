"""The org, user and token commands, end to end through the root `clearinghouse` app."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from clearinghouse.audit.models import AuditEvent
from clearinghouse.cli import app
from clearinghouse.identity.errors import (
    DuplicateOrganisation,
    RoleNotAllowed,
    UnknownToken,
    UnknownUser,
    WeakPassword,
)
from clearinghouse.identity.models import ApiToken, Role
from clearinghouse.identity.service import authenticate_password
from clearinghouse.identity.tokens import authenticate_token
from clearinghouse.settings import get_settings
from clearinghouse.storage import Database


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def invoke(runner: CliRunner, *args: str, input: str | None = None) -> Result:
    result = runner.invoke(app, list(args), input=input)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _setup(runner: CliRunner) -> None:
    invoke(
        runner, "org", "add", "grid-co", "--name", "Grid Co", "--kind", "critical_infrastructure"
    )
    invoke(runner, "org", "add", "acme", "--name", "ACME Software", "--kind", "vendor")


def test_organisations(run: CliRunner) -> None:
    _setup(run)
    listing = invoke(run, "org", "list").output
    assert "grid-co" in listing and "Grid Co" in listing and "critical_infrastructure" in listing
    assert listing.index("acme") < listing.index("grid-co")
    again = run.invoke(app, ["org", "add", "acme", "--name", "x", "--kind", "vendor"])
    assert again.exit_code == 1 and isinstance(again.exception, DuplicateOrganisation)
    bad_kind = run.invoke(app, ["org", "add", "lab", "--name", "x", "--kind", "bank"])
    assert bad_kind.exit_code == 2


def test_users_with_and_without_passwords(run: CliRunner, db_url: str) -> None:
    _setup(run)
    added = invoke(
        run,
        "user",
        "add",
        "Pat@Grid.example",
        "--org",
        "grid-co",
        "--role",
        "partner",
        "--name",
        "Pat",
        "--password-stdin",
        input="a long enough password\n",
    )
    assert "pat@grid.example" in added.output and "with a password" in added.output
    # Not a terminal and no --password-stdin: an API-token-only user.
    tokens_only = invoke(
        run, "user", "add", "bot@acme.example", "--org", "acme", "--role", "vendor"
    )
    assert "without a password" in tokens_only.output
    refused = run.invoke(
        app, ["user", "add", "x@acme.example", "--org", "acme", "--role", "operator"]
    )
    assert refused.exit_code == 1 and isinstance(refused.exception, RoleNotAllowed)

    weak = run.invoke(
        app,
        ["user", "add", "y@acme.example", "--org", "acme", "--role", "vendor", "--password-stdin"],
        input="short\n",
    )
    assert weak.exit_code == 1 and isinstance(weak.exception, WeakPassword)

    listing = invoke(run, "user", "list").output
    assert "pat@grid.example" in listing and "bot@acme.example" in listing
    only_acme = invoke(run, "user", "list", "--org", "acme").output
    assert "bot@acme.example" in only_acme and "pat@grid.example" not in only_acme

    db = Database(db_url)
    try:
        with db.session() as session:
            pat = authenticate_password(session, "pat@grid.example", "a long enough password")
            assert pat is not None and pat.role is Role.partner and pat.name == "Pat"
    finally:
        db.dispose()


def test_tokens_are_shown_once_and_can_be_revoked(run: CliRunner, db_url: str) -> None:
    _setup(run)
    invoke(run, "user", "add", "bot@acme.example", "--org", "acme", "--role", "vendor")
    created = invoke(
        run, "token", "create", "bot@acme.example", "--name", "ci", "--expires-days", "7"
    )
    lines = created.output.splitlines()
    secret = next(line for line in lines if line.startswith("chk_"))
    assert "will not be shown again" in created.output
    missing = run.invoke(app, ["token", "create", "nobody@acme.example", "--name", "ci"])
    assert missing.exit_code == 1 and isinstance(missing.exception, UnknownUser)

    db = Database(db_url)
    try:
        with db.session() as session:
            principal = authenticate_token(session, secret)
            assert principal is not None and principal.email == "bot@acme.example"
            token_id = session.execute(select(ApiToken.id)).scalar_one()
        invoke(run, "token", "revoke", str(token_id))
        with db.session() as session:
            assert authenticate_token(session, secret) is None
        unknown = run.invoke(app, ["token", "revoke", "999"])
        assert unknown.exit_code == 1 and isinstance(unknown.exception, UnknownToken)
        with db.read_session() as session:
            events = session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        assert [e.action for e in events] == [
            "org.create",
            "org.create",
            "user.create",
            "token.create",
            "token.revoke",
        ]
        assert all(e.actor.startswith("cli:") for e in events)
        assert all(secret not in e.details for e in events)
    finally:
        db.dispose()
    verified = invoke(run, "audit", "verify")
    assert "5 events verified" in verified.output


def test_a_token_without_expiry(run: CliRunner) -> None:
    _setup(run)
    invoke(run, "user", "add", "bot@acme.example", "--org", "acme", "--role", "vendor")
    created = invoke(
        run, "token", "create", "bot@acme.example", "--name", "ci", "--expires-days", "0"
    )
    assert "expires never" in created.output
