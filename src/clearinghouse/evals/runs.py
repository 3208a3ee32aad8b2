"""Benchmark runs: queue one, run it on Inspect (in a worker or the CLI), store what it measured.

A run is queued in the database first and executed by `execute_run`, which claims it
(so a job delivered twice runs once), builds the suite's Inspect task, evaluates it
against the target with progress written as samples finish, and then stores the
per-sample scores, the encrypted Inspect log and the final status in one transaction.
Everything stored outside the encrypted log is redacted of the credential, the
restricted items' text and the canary.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.clock import Clock, SystemClock
from clearinghouse.evals.errors import (
    EvalError,
    RunBusy,
    UnknownRun,
    UnknownSuite,
)
from clearinghouse.evals.models import EvalRun, EvalRunLog, EvalSampleResult, RunStatus
from clearinghouse.evals.offline import prepare_tokenizer_cache
from clearinghouse.evals.restricted import cipher_for, item_set, item_texts, open_items
from clearinghouse.evals.target import ENDPOINT, Target, endpoint_target, explicit_target
from clearinghouse.identity.policy import (
    EvalAction,
    EvalView,
    ReviewParties,
    eval_view,
    require_eval,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.review.models import ModelVersion, Review, ReviewStatus
from clearinghouse.review.parties import review_parties
from clearinghouse.storage import Database

log = logging.getLogger(__name__)

RESTRICTED_SUITE = "restricted"
MAX_EPOCHS = 20
MAX_LIMIT = 100_000
# A running run whose progress has not moved for this long was abandoned by its worker.
STALE_AFTER = timedelta(minutes=15)
PROGRESS_EVERY_SECONDS = 1.0
REDACTED = "[redacted]"


# --- suites -------------------------------------------------------------------------------


class SuiteSpec(Protocol):
    """What `evals.suites.SUITES` holds for each suite (built by the suites module)."""

    @property
    def name(self) -> str: ...

    @property
    def domain(self) -> str: ...

    def build(self, options: Any) -> Any: ...


_EXTRA_SUITES: dict[str, SuiteSpec] = {}


def register_suite(spec: SuiteSpec) -> None:
    """Add a suite beside the shipped battery (tests, and an instance's own suites)."""
    _EXTRA_SUITES[spec.name] = spec


def unregister_suite(name: str) -> None:
    _EXTRA_SUITES.pop(name, None)


def _battery() -> Any:
    """The suites module, or None while the battery is not installed in this tree."""
    import importlib

    try:
        return importlib.import_module("clearinghouse.evals.suites")
    except ModuleNotFoundError as exc:
        if exc.name != "clearinghouse.evals.suites":
            raise
        return None


def available_suites() -> dict[str, SuiteSpec]:
    found: dict[str, SuiteSpec] = {}
    battery = _battery()
    found.update(getattr(battery, "SUITES", None) or {})
    found.update(_EXTRA_SUITES)
    return found


@dataclass(frozen=True)
class _FallbackOptions:
    """The suites' `SuiteOptions` fields, for registered suites when the battery is absent."""

    seed: int = 0
    limit: int | None = None
    epochs: int = 1
    items: Sequence[dict[str, Any]] | None = None


def suite_options(
    *, seed: int, limit: int | None, epochs: int, items: Sequence[dict[str, Any]] | None
) -> Any:
    options_type = getattr(_battery(), "SuiteOptions", None) or _FallbackOptions
    return options_type(seed=seed, limit=limit, epochs=epochs, items=items)


def _suite(name: str) -> SuiteSpec:
    suites = available_suites()
    if name not in suites:
        known = ", ".join(sorted(suites)) or "none installed"
        raise UnknownSuite(f"no suite {name!r} (known: {known})")
    return suites[name]


# --- redaction ----------------------------------------------------------------------------


def redact(text: str, secrets_: Iterable[str]) -> str:
    """`text` with every secret (credential, item text, canary) replaced by [redacted]."""
    for secret in sorted({s for s in secrets_ if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def log_mentions(log_bytes: bytes, secrets_: Iterable[str]) -> bool:
    """Whether any member of an Inspect .eval log (a zip) holds one of `secrets_`."""
    needles = [s.encode() for s in secrets_ if s]
    if not needles:
        return False
    with zipfile.ZipFile(BytesIO(log_bytes)) as archive:
        for member in archive.namelist():
            content = archive.read(member)
            if any(needle in content for needle in needles):
                return True
    return False


# --- queueing -----------------------------------------------------------------------------


def _parties(session: Session, review_id: int | None, now: datetime) -> ReviewParties | None:
    if review_id is None:
        return None
    review = session.get(Review, review_id)
    if review is None:
        raise UnknownRun(f"no review {review_id}")
    return review_parties(session, review, now=now)


def _run_state(run: EvalRun) -> dict[str, object]:
    return {
        "review_id": run.review_id,
        "model_version_id": run.model_version_id,
        "suite": run.suite,
        "item_set_id": run.item_set_id,
        "target": run.target,
        "status": run.status.value,
        "seed": run.seed,
        "epochs": run.epochs,
        "sample_limit": run.sample_limit,
        "samples_total": run.samples_total,
        "samples_done": run.samples_done,
        "attempt": run.attempt,
    }


def _audit(session: Session, actor: str, action: str, run: EvalRun, **details: object) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        subject_type="eval_run",
        subject_id=str(run.id),
        after=_run_state(run),
        details=details,
    )


def queue_run(
    session: Session,
    principal: Principal,
    *,
    model_version_id: int | None = None,
    review_id: int | None = None,
    suite: str,
    limit: int | None = None,
    epochs: int = 1,
    seed: int | None = None,
    target: str | None = None,
    served_model: str | None = None,
    item_set_name: str | None = None,
    now: datetime,
) -> EvalRun:
    """Record a queued run; the caller enqueues it once this transaction commits.

    In a review, the review's model version is the one evaluated and reviewers of an
    assigned agency (or operators) may queue it; outside a review, operators only.
    """
    parties = _parties(session, review_id, now)
    if parties is not None and eval_view(principal, parties) is None:
        raise UnknownRun(f"no review {review_id}")
    require_eval(principal, EvalAction.run_start, parties)
    if review_id is not None:
        review = session.get(Review, review_id)
        assert review is not None
        if model_version_id is not None and model_version_id != review.model_version_id:
            raise EvalError(
                f"review {review_id} is of model version {review.model_version_id}, "
                f"not {model_version_id}"
            )
        if review.status is not ReviewStatus.open:
            raise EvalError(f"review {review_id} is {review.status.value}: it takes no new runs")
        model_version_id = review.model_version_id
    if model_version_id is None or session.get(ModelVersion, model_version_id) is None:
        raise UnknownRun(f"no model version {model_version_id}")
    spec = _suite(suite)
    if not 1 <= epochs <= MAX_EPOCHS:
        raise EvalError(f"epochs must be 1 to {MAX_EPOCHS}")
    if limit is not None and not 1 <= limit <= MAX_LIMIT:
        raise EvalError(f"limit must be 1 to {MAX_LIMIT}")
    if target is not None:
        explicit_target(target)  # refuse a malformed name now, not in the worker
        stored_target = target
    else:
        stored_target = f"{ENDPOINT}:{served_model}" if served_model else ENDPOINT
    item_set_id = None
    if suite == RESTRICTED_SUITE or item_set_name is not None:
        if suite != RESTRICTED_SUITE or item_set_name is None:
            raise EvalError("a restricted item set goes with the restricted suite, and back")
        item_set_id = item_set(session, item_set_name).id
    run = EvalRun(
        review_id=review_id,
        model_version_id=model_version_id,
        suite=spec.name,
        item_set_id=item_set_id,
        target=stored_target,
        status=RunStatus.queued,
        seed=seed if seed is not None else secrets.randbelow(2**31),
        epochs=epochs,
        sample_limit=limit,
        requested_by=principal.actor,
        queued_at=now,
    )
    session.add(run)
    session.flush()
    _audit(session, principal.actor, "eval_run.queue", run)
    return run


def enqueue_run(settings: Any, run_id: int) -> None:
    """Put the run on the task queue the settings name (after the run's row is committed)."""
    from clearinghouse.evals.jobs import queue_job

    queue_job(settings, run_id)


# --- progress, through Inspect's hooks -----------------------------------------------------


ProgressCallback = Callable[[int, int], None]


@dataclass
class _Listener:
    db: Database
    run_id: int
    total: int
    callback: ProgressCallback | None
    clock: Clock
    done: int = 0
    last_write: float = 0.0

    def sample_done(self) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total)
        now = time.monotonic()
        if now - self.last_write >= PROGRESS_EVERY_SECONDS or self.done >= self.total:
            self.last_write = now
            with self.db.session() as session:
                run = session.get(EvalRun, self.run_id)
                if run is not None:
                    run.samples_done = min(self.done, max(run.samples_total, self.done))
                    run.heartbeat_at = self.clock.now()


_LISTENERS: dict[str, _Listener] = {}
_EVALS: dict[str, _Listener] = {}
_LISTENERS_LOCK = threading.Lock()
# Inspect keeps process-wide state while it evaluates: one eval at a time per process.
_INSPECT_LOCK = threading.Lock()
_RUN_METADATA_KEY = "clearinghouse_run"


def _install_hooks() -> None:
    from inspect_ai.hooks import Hooks, SampleEnd, TaskEnd, TaskStart, hooks

    @hooks(name="clearinghouse_progress", description="Benchmark run progress for the review")
    class _Progress(Hooks):
        async def on_task_start(self, data: TaskStart) -> None:
            token = (data.spec.metadata or {}).get(_RUN_METADATA_KEY)
            with _LISTENERS_LOCK:
                listener = _LISTENERS.get(str(token))
                if listener is not None:
                    _EVALS[data.eval_id] = listener

        async def on_sample_end(self, data: SampleEnd) -> None:
            with _LISTENERS_LOCK:
                listener = _EVALS.get(data.eval_id)
            if listener is not None:
                listener.sample_done()

        async def on_task_end(self, data: TaskEnd) -> None:
            with _LISTENERS_LOCK:
                _EVALS.pop(data.eval_id, None)


_HOOKS_READY = False


def _ensure_hooks() -> None:
    global _HOOKS_READY
    with _LISTENERS_LOCK:
        if _HOOKS_READY:
            return
        _HOOKS_READY = True
    _install_hooks()


# --- execution ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: RunStatus
    samples_done: int
    samples_total: int
    error: str | None


def _outcome(run: EvalRun) -> RunOutcome:
    return RunOutcome(run.id, run.status, run.samples_done, run.samples_total, run.error)


def _claim(db: Database, run_id: int, now: datetime) -> RunOutcome | None:
    """Mark a queued (or abandoned) run running; None when it is ours to run."""
    with db.session() as session:
        run = session.get(EvalRun, run_id, with_for_update=True)
        if run is None:
            raise UnknownRun(f"no benchmark run {run_id}")
        if run.status in (RunStatus.done, RunStatus.failed):
            return _outcome(run)  # a second delivery of a finished job changes nothing
        if run.status is RunStatus.running:
            beat = run.heartbeat_at or run.started_at
            if beat is not None and now - beat < STALE_AFTER:
                raise RunBusy(f"benchmark run {run_id} is running in another worker")
        run.status = RunStatus.running
        run.attempt += 1
        run.started_at = now
        run.heartbeat_at = now
        run.samples_done = 0
        run.error = None
        _audit(session, "system", "eval_run.start", run, attempt=run.attempt)
    return None


def _resolve(
    session: Session, run: EvalRun, encryption_key: str | None
) -> tuple[Target, list[dict[str, Any]] | None]:
    version = session.get(ModelVersion, run.model_version_id)
    if version is None:
        raise UnknownRun(f"no model version {run.model_version_id}")
    needs_cipher = run.target.startswith(ENDPOINT) or run.item_set_id is not None
    cipher = cipher_for(session, encryption_key) if needs_cipher else None
    if run.target.startswith(ENDPOINT):
        assert cipher is not None
        served = run.target.partition(":")[2] or None
        target = endpoint_target(version, cipher, served_model=served)
    else:
        target = explicit_target(run.target)
    items = None
    if run.item_set_id is not None:
        assert cipher is not None
        items = open_items(item_set(session, run.item_set_id), cipher)
    return target, items


def _scored_rows(eval_log: Any, default_domain: str) -> list[tuple[str, str, str, int, float]]:
    from inspect_ai.scorer import value_to_float

    to_float = value_to_float()
    rows = []
    for sample in eval_log.samples or []:
        metadata = sample.metadata or {}
        item_id = str(metadata.get("item_id", sample.id))
        domain = str(metadata.get("domain", default_domain))
        group = str(metadata.get("group", item_id))
        scores = sample.scores or {}
        first = next(iter(scores.values()), None)
        value = to_float(first.value) if first is not None else 0.0
        rows.append((item_id, domain, group, int(sample.epoch), float(value)))
    return rows


def _evaluate(
    task: Any, target: Target, run: EvalRun, listener: _Listener, log_dir: Path
) -> tuple[Any, bytes]:
    from inspect_ai import eval as inspect_eval

    token = secrets.token_hex(16)
    with _LISTENERS_LOCK:
        _LISTENERS[token] = listener
    try:
        with _INSPECT_LOCK:
            logs = inspect_eval(
                task,
                model=target.model(),
                log_dir=str(log_dir),
                log_format="eval",
                display="none",
                epochs=run.epochs,
                limit=run.sample_limit,
                metadata={_RUN_METADATA_KEY: token, "clearinghouse_run_id": run.id},
                score_display=False,
            )
    finally:
        with _LISTENERS_LOCK:
            _LISTENERS.pop(token, None)
    eval_log = logs[0]
    return eval_log, Path(eval_log.location).read_bytes()


def execute_run(
    db: Database,
    run_id: int,
    *,
    encryption_key: str | None = None,
    progress: ProgressCallback | None = None,
    clock: Clock | None = None,
) -> RunOutcome:
    """Run a queued run to its end and store the results; idempotent for finished runs.

    A failure (no way to reach the model, an Inspect error) is recorded on the run as
    its redacted error, and the failed outcome returned: the job has done its work.
    """
    clock = clock or SystemClock()
    finished = _claim(db, run_id, clock.now())
    if finished is not None:
        return finished
    hidden: list[str] = []
    try:
        with db.read_session() as session:
            run = session.get(EvalRun, run_id)
            assert run is not None
            target, items = _resolve(session, run, encryption_key)
        hidden = [*target.secrets(), *(item_texts(items) if items is not None else [])]
        spec = _suite(run.suite)
        task = spec.build(
            suite_options(seed=run.seed, limit=run.sample_limit, epochs=run.epochs, items=items)
        )
        samples = len(task.dataset)
        if run.sample_limit is not None:
            samples = min(samples, run.sample_limit)
        total = samples * run.epochs
        with db.session() as session:
            row = session.get(EvalRun, run_id)
            assert row is not None
            row.samples_total = total
        prepare_tokenizer_cache()
        _ensure_hooks()
        listener = _Listener(db, run_id, total, progress, clock)
        with tempfile.TemporaryDirectory(prefix="clearinghouse-run-") as folder:
            eval_log, log_bytes = _evaluate(task, target, run, listener, Path(folder))
            # Inspect reads samples lazily from the log file: read them while it exists.
            ok = eval_log.status == "success"
            rows = _scored_rows(eval_log, spec.domain) if ok else []
        return _store(
            db, run_id, (eval_log, rows, log_bytes), target, hidden, encryption_key, clock
        )
    except Exception as exc:  # recorded on the run, redacted; nothing is lost
        message = redact(f"{type(exc).__name__}: {exc}", hidden)
        log.error("benchmark run %s failed: %s", run_id, message)
        return _fail(db, run_id, message, clock.now())


def _store(
    db: Database,
    run_id: int,
    result: tuple[Any, list[tuple[str, str, str, int, float]], bytes],
    target: Target,
    hidden: Sequence[str],
    encryption_key: str | None,
    clock: Clock,
) -> RunOutcome:
    from clearinghouse.storage.bulk import BulkInsert

    eval_log, rows, log_bytes = result
    ok = eval_log.status == "success"
    error = None
    if not ok:
        detail = eval_log.error.message if eval_log.error is not None else eval_log.status
        error = redact(f"Inspect ended with status {eval_log.status}: {detail}", hidden)
    # The credential must never be stored, not even encrypted inside the log.
    keep_log = not log_mentions(log_bytes, target.secrets())
    with db.session() as session:
        run = session.get(EvalRun, run_id, with_for_update=True)
        assert run is not None
        session.execute(delete(EvalSampleResult).where(EvalSampleResult.run_id == run_id))
        session.execute(delete(EvalRunLog).where(EvalRunLog.run_id == run_id))
        insert = BulkInsert(
            EvalSampleResult, ("run_id", "item_id", "domain", "item_group", "epoch", "score")
        )
        insert(session, [(run_id, *row) for row in rows])
        if keep_log:
            cipher = cipher_for(session, encryption_key)
            session.add(
                EvalRunLog(
                    run_id=run_id,
                    file_name=Path(eval_log.location).name,
                    size_bytes=len(log_bytes),
                    sha256=hashlib.sha256(log_bytes).hexdigest(),
                    ciphertext=cipher.encrypt(log_bytes),
                    created_at=clock.now(),
                )
            )
        else:
            error = (error + "; " if error else "") + "log withheld: it held the credential"
        run.status = RunStatus.done if ok else RunStatus.failed
        run.samples_done = run.samples_total if ok else run.samples_done
        run.finished_at = clock.now()
        run.heartbeat_at = run.finished_at
        run.inspect_eval_id = str(eval_log.eval.eval_id)[:64]
        run.log_name = Path(eval_log.location).name[:300] if keep_log else None
        run.error = error
        action = "eval_run.finish" if ok else "eval_run.fail"
        _audit(session, "system", action, run, results=len(rows))
        return _outcome(run)


def _fail(db: Database, run_id: int, message: str, now: datetime) -> RunOutcome:
    with db.session() as session:
        run = session.get(EvalRun, run_id, with_for_update=True)
        if run is None:
            raise UnknownRun(f"no benchmark run {run_id}")
        run.status = RunStatus.failed
        run.finished_at = now
        run.heartbeat_at = now
        run.error = message[:4000]
        _audit(session, "system", "eval_run.fail", run)
        return _outcome(run)


# --- reading ------------------------------------------------------------------------------


def visible_run(
    session: Session, principal: Principal, run_id: int, *, now: datetime, action: EvalAction
) -> tuple[EvalRun, EvalView]:
    """A run and how much of it `principal` sees; outsiders get the 404 of a missing run."""
    run = session.get(EvalRun, run_id)
    if run is None:
        raise UnknownRun(f"no benchmark run {run_id}")
    parties = _parties(session, run.review_id, now)
    view = eval_view(principal, parties) if principal.is_authenticated else None
    if view is None:
        if not principal.is_authenticated:
            require_eval(principal, action, parties)  # 401: log in and ask again
        raise UnknownRun(f"no benchmark run {run_id}")
    require_eval(principal, action, parties)
    return run, view


def review_runs(
    session: Session, principal: Principal, review_id: int, *, now: datetime
) -> tuple[list[EvalRun], EvalView]:
    """A review's runs, newest first, for its reviewers and developer."""
    parties = _parties(session, review_id, now)
    view = eval_view(principal, parties) if principal.is_authenticated else None
    if view is None:
        if not principal.is_authenticated:
            require_eval(principal, EvalAction.run_read, parties)
        raise UnknownRun(f"no review {review_id}")
    runs = session.scalars(
        select(EvalRun)
        .where(EvalRun.review_id == review_id)
        .order_by(EvalRun.queued_at.desc(), EvalRun.id.desc())
    )
    return list(runs), view


def all_runs(session: Session, principal: Principal) -> list[EvalRun]:
    """Every run (operators): the CLI's and the API's list outside a review."""
    require_eval(principal, EvalAction.run_read_items, None)
    return list(session.scalars(select(EvalRun).order_by(EvalRun.id.desc())))


def run_log(
    session: Session,
    principal: Principal,
    run_id: int,
    *,
    now: datetime,
    encryption_key: str | None = None,
) -> tuple[str, bytes]:
    """The run's Inspect log, decrypted, for reviewers: (file name, .eval bytes)."""
    run, _ = visible_run(session, principal, run_id, now=now, action=EvalAction.run_read_items)
    row = session.get(EvalRunLog, run.id)
    if row is None:
        raise UnknownRun(f"benchmark run {run_id} has no stored log")
    return row.file_name, cipher_for(session, encryption_key).decrypt(row.ciphertext)


def is_finished(status: RunStatus) -> bool:
    return status in (RunStatus.done, RunStatus.failed)
