"""Runs on Inspect: queued, claimed once, run against the version's endpoint, stored.

Each run here goes through the real Inspect `eval` against the scripted server (or
Inspect's mock model), and the stored rows are read back from the database.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.errors import Forbidden
from clearinghouse.evals.errors import EvalError, TargetUnavailable, UnknownRun, UnknownSuite
from clearinghouse.evals.models import EvalRun, EvalRunLog, EvalSampleResult, RunStatus
from clearinghouse.evals.runs import execute_run, log_mentions, queue_run, redact, run_log

from .conftest import MODEL_CREDENTIAL, TINY_ITEMS, Bench, ScriptedModel


def _queue(bench: Bench, **kwargs: object) -> int:
    with bench.db.session() as session:
        run = queue_run(
            session,
            bench.principal(str(kwargs.pop("role", "reviewer"))),
            review_id=bench.review_id,
            suite=str(kwargs.pop("suite", "tiny")),
            now=bench.clock.now(),
            **kwargs,  # type: ignore[arg-type]
        )
        return run.id


@pytest.mark.slow
def test_a_run_against_the_endpoint_stores_scores_progress_and_an_encrypted_log(
    bench: Bench, scripted_model: ScriptedModel
) -> None:
    run_id = _queue(bench, limit=30, seed=7)
    seen: list[tuple[int, int]] = []
    outcome = execute_run(
        bench.db,
        run_id,
        encryption_key=bench.settings.encryption_key,
        progress=lambda done, total: seen.append((done, total)),
        clock=bench.clock,
    )
    assert outcome.status is RunStatus.done, outcome.error
    assert seen[-1] == (30, 30) and len(seen) == 30
    # The credential went to the endpoint, as a bearer token, and nowhere else.
    assert set(scripted_model.authorizations) == {f"Bearer {MODEL_CREDENTIAL}"}
    with bench.db.read_session() as session:
        run = session.get(EvalRun, run_id)
        assert run is not None and run.samples_done == run.samples_total == 30
        scores = session.scalars(
            select(EvalSampleResult.score).where(EvalSampleResult.run_id == run_id)
        ).all()
        assert len(scores) == 30 and sum(scores) == 28  # q0 and q25 answered wrongly
        log_row = session.get(EvalRunLog, run_id)
        assert log_row is not None
        assert b"What is 3 + 1000" not in log_row.ciphertext  # encrypted at rest
        name, content = run_log(
            session,
            bench.principal("reviewer"),
            run_id,
            now=bench.clock.now(),
            encryption_key=bench.settings.encryption_key,
        )
    assert name.endswith(".eval") and zipfile.is_zipfile(io.BytesIO(content))
    assert not log_mentions(content, [MODEL_CREDENTIAL])
    assert log_mentions(content, ["What is 3 + 1000"])  # the samples are in the log


def test_a_finished_run_delivered_again_changes_nothing(bench: Bench) -> None:
    run_id = _queue(bench, limit=5, target="mockllm/model")
    first = execute_run(bench.db, run_id, encryption_key=bench.settings.encryption_key)
    assert first.status is RunStatus.done
    with bench.db.read_session() as session:
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    again = execute_run(bench.db, run_id, encryption_key=bench.settings.encryption_key)
    assert again == first
    with bench.db.read_session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
        rows = session.scalar(
            select(func.count())
            .select_from(EvalSampleResult)
            .where(EvalSampleResult.run_id == run_id)
        )
    assert rows == 5


def test_the_mock_model_scores_zero_and_epochs_multiply_the_samples(bench: Bench) -> None:
    run_id = _queue(bench, limit=4, epochs=3, target="mockllm/model")
    outcome = execute_run(bench.db, run_id, encryption_key=bench.settings.encryption_key)
    assert outcome.status is RunStatus.done
    assert (outcome.samples_done, outcome.samples_total) == (12, 12)
    with bench.db.read_session() as session:
        epochs = session.scalars(
            select(EvalSampleResult.epoch).where(EvalSampleResult.run_id == run_id).distinct()
        ).all()
        total = session.scalar(
            select(func.sum(EvalSampleResult.score)).where(EvalSampleResult.run_id == run_id)
        )
    assert sorted(epochs) == [1, 2, 3] and total == 0


def test_an_unreachable_endpoint_fails_the_run_with_a_redacted_error(bench: Bench) -> None:
    run_id = _queue(bench, limit=2, target="nonexistent-provider/model-x")
    outcome = execute_run(bench.db, run_id, encryption_key=bench.settings.encryption_key)
    assert outcome.status is RunStatus.failed
    assert outcome.error and MODEL_CREDENTIAL not in outcome.error


def test_who_may_queue_runs(bench: Bench) -> None:
    with pytest.raises(Forbidden):
        _queue(bench, role="developer")
    with pytest.raises(UnknownRun):  # not a party: the review stays unseen
        _queue(bench, role="unassigned_reviewer")
    with pytest.raises(UnknownRun):
        _queue(bench, role="partner")
    with pytest.raises(UnknownSuite):
        _queue(bench, suite="no-such-suite")
    with pytest.raises(EvalError, match="epochs"):
        _queue(bench, epochs=0)
    with pytest.raises(TargetUnavailable):
        _queue(bench, target="not a model name")
    with pytest.raises(EvalError, match="restricted item set"):
        _queue(bench, suite="restricted")
    assert _queue(bench, role="operator") > 0


def test_redaction_and_the_log_check() -> None:
    assert redact("key sk-1 and sk-12", ["sk-1", "sk-12"]) == "key [redacted] and [redacted]"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("samples/1.json", '{"auth": "Bearer sk-SECRET"}')
    assert log_mentions(buffer.getvalue(), ["sk-SECRET"])
    assert not log_mentions(buffer.getvalue(), ["sk-OTHER"])


def test_tiny_suite_size_is_what_the_accuracy_tests_assume() -> None:
    assert TINY_ITEMS == 100
