"""Acceptance 3: restricted items and the canary appear nowhere outside a reviewer's view.

An operator loads a restricted item set; a reviewer runs it against the scripted model
and determines coverage; then every API route, page, report (HTML, and the view model
the PDF is drawn from), CLI output, log record, audit event and database column is
searched for every item's text and the canary. Only the reviewer's item view, the
Fernet ciphertexts and the scripted model's own prompts may hold them; a control asserts
that the reviewer does see them, so the search can fail.
"""

from __future__ import annotations

import gzip
import logging
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clearinghouse.audit.models import AuditEvent
from clearinghouse.cli import app as cli_app
from clearinghouse.evals.restricted import CANARY, load_item_set
from clearinghouse.evals.runs import execute_run
from clearinghouse.review.report import build_report
from clearinghouse.settings import get_settings
from clearinghouse.storage.models import Base

from .conftest import Bench, ScriptedModel

ITEMS = [
    {
        "id": f"r{n}",
        "input": f"RESTRICTED-ITEM-{n}: name the undisclosed heap primitive number {n}",
        "target": f"RESTRICTED-ANSWER-{n}-tcache-poisoning",
        "domain": "exploitation",
        "group": f"family{n % 3}",
    }
    for n in range(24)
]
# Columns that hold restricted content by design: the two Fernet ciphertexts, and the set's
# canary (kept beside the set so a run can check its items; shown to reviewers only).
RESTRICTED_COLUMNS = {
    ("restricted_item_sets", "items_ciphertext"),
    ("restricted_item_sets", "canary"),
    ("eval_run_logs", "ciphertext"),
}


def _needles() -> list[str]:
    texts = [CANARY, "5b0c9f4e-7d2a-4e31-9a86"]
    for item in ITEMS:
        texts += [item["input"], item["target"], item["input"][:22], item["target"][:24]]
    return texts


def _leaks(text: str | bytes) -> list[str]:
    haystack = text.decode(errors="replace") if isinstance(text, bytes) else text
    return [needle for needle in _needles() if needle in haystack]


@pytest.fixture
def cli(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", bench.db_url)
    monkeypatch.setenv("CLEARINGHOUSE_ENCRYPTION_KEY", bench.settings.encryption_key)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _cli(runner: CliRunner, *args: str, ok: bool = True) -> str:
    result = runner.invoke(cli_app, list(args))
    if ok:
        assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output + (str(result.exception) if result.exception else "")


def _newest_inspect_traces(since: float) -> list[bytes]:
    folder = Path.home() / ".local" / "share" / "inspect_ai" / "traces"
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("trace-*.log*"):
        if path.stat().st_mtime >= since:
            raw = path.read_bytes()
            found.append(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    return found


@pytest.mark.slow
def test_restricted_items_and_the_canary_stay_with_reviewers(
    bench: Bench,
    scripted_model: ScriptedModel,
    cli: CliRunner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    started = time.time()
    with bench.db.session() as session:
        item_set = load_item_set(
            session,
            bench.principal("cli"),
            name="heap-primitives-2026",
            data=orjson.dumps(ITEMS),
            source="heap.json",
            now=bench.clock.now(),
            encryption_key=bench.settings.encryption_key,
        )
        set_id = item_set.id
    body = {"suite": "restricted", "item_set": "heap-primitives-2026"}
    run = bench.ok("reviewer", "POST", f"/reviews/{bench.review_id}/runs", body, 202)
    outcome = execute_run(
        bench.db, run["id"], encryption_key=bench.settings.encryption_key, clock=bench.clock
    )
    assert outcome.status.value == "done", outcome.error
    # The model under test did see the items: that is the point of running them.
    assert any(ITEMS[0]["input"] in prompt for prompt in scripted_model.prompts)
    path = f"/reviews/{bench.review_id}/determinations"
    bench.ok("reviewer", "POST", path, {"run_ids": [run["id"]], "policy_version": 2}, 201)

    # Control: the reviewer's item view holds every text and the canary.
    reviewer_items = bench.call("reviewer", "GET", f"/item-sets/{set_id}/items")
    assert reviewer_items.status_code == 200
    assert set(_leaks(reviewer_items.text)) == set(_needles())
    control = len(bench.responses)

    rid, run_id = bench.review_id, run["id"]
    routes = [
        ("GET", f"/reviews/{rid}/runs"),
        ("GET", f"/runs/{run_id}"),
        ("GET", f"/runs/{run_id}/results"),
        ("GET", f"/runs/{run_id}/log"),
        ("GET", f"/runs/compare?a={run_id}&b={run_id}"),
        ("GET", path),
        ("GET", "/item-sets"),
        ("GET", f"/item-sets/{set_id}/items"),
        ("GET", "/runs"),
        ("GET", "/policies"),
        ("GET", "/evals/suites"),
        ("GET", f"/reviews/{rid}"),
    ]
    for role in ("developer", "partner", "unassigned_reviewer", None):
        for method, route in routes:
            response = bench.call(role, method, route)
            if role == "unassigned_reviewer" and route.startswith("/item-sets"):
                continue  # a reviewer (role) may read restricted items: the policy says so
            assert not _leaks(response.content), (role, route, _leaks(response.content))
    developer_run = bench.ok("developer", "GET", f"/runs/{run_id}")
    assert developer_run["item_set"] is None and developer_run["summary"]["overall"]["n"] == 24
    assert bench.call("developer", "GET", f"/item-sets/{set_id}/items").status_code == 403
    assert bench.call("developer", "GET", f"/runs/{run_id}/results").status_code == 403
    assert bench.call("partner", "GET", f"/runs/{run_id}").status_code == 404

    for role in ("developer", "reviewer", "partner"):
        for page in (f"/reviews/{rid}", f"/reviews/{rid}/report.html"):
            response = bench.page(role, page)
            # The partner here was never designated: the review stays unseen.
            assert response.status_code == (404 if role == "partner" else 200), (role, page)
            assert not _leaks(response.content), (role, page)
    # The PDF is drawn from this view model: it must hold nothing restricted either.
    with bench.db.read_session() as session:
        for role in ("developer",):
            report = build_report(
                session, bench.principal(role), review_id=rid, now=bench.clock.now()
            )
            assert not _leaks(repr(report)), role
    reviewer_page = bench.page("reviewer", f"/reviews/{rid}")
    assert "heap-primitives-2026" in reviewer_page.text  # the reviewer sees the set's name
    assert "heap-primitives-2026" not in bench.page("developer", f"/reviews/{rid}").text

    developer = bench.emails["developer"]
    outputs = [
        _cli(cli, "bench", "list", "--review", str(rid), "--as", developer),
        _cli(cli, "bench", "show", str(run_id), "--as", developer),
        _cli(cli, "bench", "show", str(run_id), "--json"),
        _cli(cli, "bench", "item-sets"),
        _cli(cli, "bench", "item-sets", "--as", developer, ok=False),
        _cli(cli, "bench", "determine", str(run_id), "--policy", "1"),
        _cli(cli, "bench", "list"),
    ]
    for output in outputs:
        assert not _leaks(output), output

    with bench.db.read_session() as session:
        for event in session.scalars(select(AuditEvent)):
            assert not _leaks(orjson.dumps(event.details)), event.action
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    if (table.name, column) in RESTRICTED_COLUMNS or value is None:
                        continue
                    text = value if isinstance(value, str | bytes) else str(value)
                    assert not _leaks(text), (table.name, column)
    for record in caplog.records:
        assert not _leaks(record.getMessage()), record.getMessage()
    for trace in _newest_inspect_traces(started):
        assert not _leaks(trace)
    assert len(bench.responses) > control
