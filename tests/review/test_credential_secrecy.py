"""Issue 6, acceptance 3: a model credential appears in no response, page, log line or row.

The whole review is walked over HTTP, the remaining routes and the CLI are exercised,
and then every response, page, CLI output, log record and text column of every table
is searched for the secret and for its Fernet ciphertext (as text, and base64 again).
The one place the ciphertext may be is its own column, where it opens with the key.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from clearinghouse.cli import app as cli_app
from clearinghouse.review.models import ModelVersion
from clearinghouse.review.secrets import decrypt_credential
from clearinghouse.settings import get_settings
from clearinghouse.storage.models import Base

from .conftest import START, World
from .scenario import MODEL_CREDENTIAL, walk_review

CIPHERTEXT_COLUMN = ("model_versions", "api_credential_ciphertext")


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", world.db_url)
    monkeypatch.setenv("CLEARINGHOUSE_ENCRYPTION_KEY", world.encryption_key)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _cli(runner: CliRunner, *args: str, input: str | None = None) -> str:
    result = runner.invoke(cli_app, list(args), input=input)
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def _the_rest_of_the_api(world: World, model_id: int) -> None:
    """The routes the scenario does not reach: model card, resubmit, withdraw, decline."""
    card = base64.b64encode(b"# Frontier-1 2.0 model card\n").decode()
    body = {
        "version": "2.0",
        "planned_release_at": (world.clock.now() + timedelta(days=20)).isoformat(),
        "access_kind": "api",
        "api_base_url": "https://api.frontierlab.example/v2",
        "api_credential": MODEL_CREDENTIAL,
        "model_card_name": "card.md",
        "model_card_base64": card,
    }
    v2 = world.ok("developer", "POST", f"/models/{model_id}/versions", body, 201)
    body.update(version="2.1", model_card_base64=None)
    v21 = world.ok("developer", "POST", f"/models/{model_id}/versions", body, 201)
    world.call(
        "developer", "PUT", f"/models/{model_id}/versions/{v21['id']}/model-card?name=card.md",
        content=b"# card\n" * 100,
    )  # fmt: skip
    moved = {"planned_release_at": (world.clock.now() + timedelta(days=25)).isoformat()}
    world.ok("developer", "PATCH", f"/models/{model_id}/versions/{v2['id']}", moved)
    review = world.ok("developer", "POST", "/reviews", {"model_version_id": v2["id"]}, 201)
    world.ok(
        "operator", "POST", f"/reviews/{review['id']}/assignments", {"organisation": "cisa"}, 201
    )
    proposal = world.ok(
        "reviewer", "POST", f"/reviews/{review['id']}/partners", {"partner": "bankco"}, 201
    )
    world.ok("outsider_partner", "POST", f"/partner-designations/{proposal['id']}/decline")
    new = world.ok("developer", "POST", f"/reviews/{review['id']}/resubmit",
                   {"model_version_id": v21["id"]}, 201)  # fmt: skip
    for role in world.tokens:
        world.call(role, "GET", f"/reviews/{new['id']}")
        world.call(role, "GET", "/reviews")
        world.call(role, "GET", "/models")
    world.ok("developer", "POST", f"/reviews/{new['id']}/withdraw")


def _database_text(world: World) -> Iterator[tuple[str, str, str | bytes]]:
    with world.db.read_session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if isinstance(value, str | bytes):
                        yield table.name, column, value
                    elif value is not None and not isinstance(value, int | float | bool):
                        yield table.name, column, str(value)


def test_the_credential_is_never_shown_logged_or_audited(
    world: World, cli: CliRunner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    walked = walk_review(world)
    _the_rest_of_the_api(world, walked.model_id)
    rid = walked.review_id

    outputs = [
        _cli(cli, "model", "list"),
        _cli(cli, "model", "list", "--as", world.emails["developer"]),
        _cli(cli, "model", "version-add", str(walked.model_id), "3.0", "--release",
             (START + timedelta(days=200)).isoformat(), "--access", "api",
             "--api-base-url", "https://api.frontierlab.example/v3", "--credential-stdin",
             "--as", world.emails["developer"], input=MODEL_CREDENTIAL + "\n"),
        _cli(cli, "review", "list"),
        _cli(cli, "review", "show", str(rid)),
        _cli(cli, "review", "show", str(rid), "--as", world.emails["developer"]),
        _cli(cli, "review", "tick"),
    ]  # fmt: skip
    assert "credential stored encrypted" in outputs[2]

    pages = [
        world.page(role, path)
        for role in ("developer", "reviewer", "operator", "partner")
        for path in (f"/reviews/{rid}", f"/reviews/{rid}/report.html", "/reviews", "/models")
    ]
    assert any(page.status_code == 200 for page in pages)

    with world.db.read_session() as session:
        ciphertexts = [
            c for c in session.scalars(select(ModelVersion.api_credential_ciphertext)) if c
        ]
    assert len(ciphertexts) == 4  # 1.0, 2.0, 2.1 over HTTP and 3.0 from the CLI
    cipher = Fernet(world.encryption_key.encode())
    assert all(decrypt_credential(cipher, c) == MODEL_CREDENTIAL for c in ciphertexts)
    needles = [MODEL_CREDENTIAL]
    for ciphertext in ciphertexts:
        assert MODEL_CREDENTIAL.encode() not in ciphertext
        needles += [ciphertext.decode(), base64.b64encode(ciphertext).decode()]

    def assert_clean(where: str, text: str | bytes) -> None:
        haystack = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        for needle in needles:
            assert needle not in haystack, where

    assert len(world.responses) > 150
    for response in world.responses:
        assert_clean(f"{response.request.method} {response.request.url.path}", response.content)
    for output in outputs:
        assert_clean("CLI output", output)
    assert caplog.records, "nothing was logged: is logging captured at all?"
    for record in caplog.records:
        assert_clean(f"log {record.name}", record.getMessage())
    assert_clean("log text", caplog.text)

    searched = 0
    for table, column, value in _database_text(world):
        if (table, column) == CIPHERTEXT_COLUMN:
            continue
        assert_clean(f"{table}.{column}", value)
        searched += 1
    assert searched > 500
