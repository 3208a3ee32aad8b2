"""Acceptance 2: the battery through the task queue against a model served over HTTP.

The model is a scripted OpenAI-compatible server that the test starts on 127.0.0.1
(it answers /v1/chat/completions with canned answers: 96 of the 100 tiny items right).
A real Huey consumer on a SQLite queue file runs the job in this process; the API
queues it, the review's reviewer follows its progress, the encrypted Inspect log is
stored, and the same stored results are determined under policy versions 1 and 2
with different outcomes, without a second run.
"""

from __future__ import annotations

import io
import math
import signal
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from clearinghouse.evals.jobs import JOB_RETRIES, JOB_RETRY_DELAY, execute_benchmark_run
from clearinghouse.settings import get_settings
from clearinghouse.tasks.queue import make_huey

from .conftest import MODEL_CREDENTIAL, Bench, ScriptedModel, make_bench

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@pytest.fixture
def queued_bench(
    db_url: str, scripted_model: ScriptedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Bench]:
    queue_url = f"sqlite:///{tmp_path / 'queue.db'}"
    for bench in make_bench(db_url, base_url=scripted_model.base_url, queue_url=queue_url):
        # The worker reads its settings from the environment, as `clearinghouse worker` does.
        monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
        monkeypatch.setenv("CLEARINGHOUSE_ENCRYPTION_KEY", bench.settings.encryption_key)
        monkeypatch.setenv("CLEARINGHOUSE_QUEUE_URL", queue_url)
        get_settings.cache_clear()
        try:
            yield bench
        finally:
            get_settings.cache_clear()


def _wait_until_finished(bench: Bench, run_id: int, seconds: float) -> tuple[dict, list[int]]:
    progress: list[int] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = bench.ok("reviewer", "GET", f"/runs/{run_id}")
        progress.append(run["progress"]["samples_done"])
        if run["status"] in ("done", "failed"):
            return run, progress
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in {seconds} s: {run}")


@pytest.mark.slow
def test_battery_through_the_queue_against_an_http_model_under_two_policies(
    queued_bench: Bench, scripted_model: ScriptedModel
) -> None:
    bench = queued_bench
    worker = make_huey(bench.settings)
    worker.task(retries=JOB_RETRIES, retry_delay=JOB_RETRY_DELAY)(execute_benchmark_run)
    consumer = worker.create_consumer(
        workers=1, worker_type="thread", periodic=False, check_worker_health=False
    )
    handlers = {sig: signal.getsignal(sig) for sig in SIGNALS}
    consumer.start()
    try:
        queued = bench.ok(
            "reviewer", "POST", f"/reviews/{bench.review_id}/runs", {"suite": "tiny"}, 202
        )
        assert queued["status"] in ("queued", "running")
        run, progress = _wait_until_finished(bench, queued["id"], 90)
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)

    assert run["status"] == "done", run
    assert run["progress"] == {"samples_done": 100, "samples_total": 100}
    assert progress == sorted(progress)  # progress only moves forward
    assert len(scripted_model.prompts) == 100
    assert set(scripted_model.authorizations) == {f"Bearer {MODEL_CREDENTIAL}"}

    overall = run["summary"]["overall"]
    assert overall["n"] == 100 and overall["clusters"] == 10
    assert math.isclose(overall["mean"], 0.96)
    # Items 0, 25, 50, 75 wrong: groups g0 and g5 hold two each (docs/evals.md, CRSE).
    expected_se = math.sqrt(10 / 9 * (2 * 1.6**2 + 8 * 0.4**2)) / 100
    assert math.isclose(overall["standard_error"], expected_se, rel_tol=1e-9)
    assert math.isclose(overall["lower"], 0.96 - 1.959963984540054 * expected_se, rel_tol=1e-9)

    # The stored Inspect log opens for the reviewer and holds the samples, not the key.
    log = bench.call("reviewer", "GET", f"/runs/{run['id']}/log")
    assert log.status_code == 200 and zipfile.is_zipfile(io.BytesIO(log.content))
    assert MODEL_CREDENTIAL.encode() not in log.content
    with zipfile.ZipFile(io.BytesIO(log.content)) as archive:
        assert any(name.startswith("samples/") for name in archive.namelist())
        assert all(MODEL_CREDENTIAL.encode() not in archive.read(n) for n in archive.namelist())
    assert bench.call("developer", "GET", f"/runs/{run['id']}/log").status_code == 403

    # Two policy versions, one stored result set, two outcomes; nothing is run again.
    path = f"/reviews/{bench.review_id}/determinations"
    under_v1 = bench.ok(
        "reviewer", "POST", path, {"run_ids": [run["id"]], "policy_version": 1}, 201
    )
    under_v2 = bench.ok(
        "reviewer", "POST", path, {"run_ids": [run["id"]], "policy_version": 2}, 201
    )
    assert len(scripted_model.prompts) == 100
    assert under_v1["covered"] is False and under_v1["rule_fired"] is None
    assert under_v2["covered"] is True and under_v2["rule_fired"] == "domain:knowledge"
    assert "Not a covered frontier model under coverage policy version 1" in under_v1["explanation"]
    assert "reaches the threshold 0.850" in under_v2["explanation"]
    knowledge_v1 = next(d for d in under_v1["scores"]["domains"] if d["domain"] == "knowledge")
    assert knowledge_v1["threshold"] == 0.95 and not knowledge_v1["passes"]

    # The developer sees both determinations and the aggregates, never per-item results.
    seen = bench.ok("developer", "GET", path)
    assert [d["policy_version"] for d in seen] == [2, 1]
    assert bench.call("developer", "GET", f"/runs/{run['id']}/results").status_code == 403
    assert bench.ok("developer", "GET", f"/runs/{run['id']}")["summary"]["overall"]["n"] == 100
    page = bench.page("developer", f"/reviews/{bench.review_id}")
    assert page.status_code == 200 and "<svg" in page.text and "Capability profile" in page.text
