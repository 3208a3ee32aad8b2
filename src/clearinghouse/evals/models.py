"""What the benchmark battery stores: runs, their per-sample results and Inspect logs,
restricted item sets, coverage policies and the determinations made under them.

Per-sample rows carry scores and item ids only, never item text: statistics and
redeterminations read them without ever opening a restricted item or an Inspect log.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.storage.base import Base, UTCDateTime, utcnow


class RunStatus(enum.StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class EvalRun(Base):
    """One suite run against one model version, usually inside a review."""

    __tablename__ = "eval_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("reviews.id"), nullable=True, index=True
    )
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    suite: Mapped[str] = mapped_column(String(64))
    item_set_id: Mapped[int | None] = mapped_column(
        ForeignKey("restricted_item_sets.id"), nullable=True
    )
    # "endpoint" (the model version's access details) or an explicit Inspect model name,
    # e.g. "mockllm/model". Never a credential.
    target: Mapped[str] = mapped_column(String(300))
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, native_enum=False, length=16, validate_strings=True),
        default=RunStatus.queued,
        index=True,
    )
    seed: Mapped[int] = mapped_column(Integer, default=0)
    epochs: Mapped[int] = mapped_column(Integer, default=1)
    sample_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    samples_total: Mapped[int] = mapped_column(Integer, default=0)
    samples_done: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(String(200))
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Written with progress; a running run whose heartbeat stopped was abandoned.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    inspect_eval_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    log_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # Redacted before it is stored: no credential, item text or canary.
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class EvalRunLog(Base):
    """A run's Inspect eval log (.eval), encrypted at rest like the credentials."""

    __tablename__ = "eval_run_logs"

    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id"), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvalSampleResult(Base):
    """One sample of one epoch: the item's id, its domain and group, and its score."""

    __tablename__ = "eval_sample_results"
    __table_args__ = (UniqueConstraint("run_id", "item_id", "epoch"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("eval_runs.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(64))
    item_group: Mapped[str] = mapped_column(String(200))
    epoch: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)


class RestrictedItemSet(Base):
    """A private item set: the items are one Fernet token, opened only inside a run."""

    __tablename__ = "restricted_item_sets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    items_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    item_count: Mapped[int] = mapped_column(Integer)
    canary: Mapped[str] = mapped_column(String(200))
    loaded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoveragePolicyVersion(Base):
    """One published version of the coverage policy, exactly as its YAML was written."""

    __tablename__ = "coverage_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    yaml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CoverageDetermination(Base):
    """Whether a model version is a covered frontier model under one policy version, and why."""

    __tablename__ = "coverage_determinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("reviews.id"), nullable=True, index=True
    )
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("coverage_policies.id"))
    policy_version: Mapped[int] = mapped_column(Integer)
    run_ids: Mapped[list[int]] = mapped_column(JSON)
    # Per domain: n, mean, standard error, 95% bounds, threshold, passed.
    scores: Mapped[dict[str, Any]] = mapped_column(JSON)
    covered: Mapped[bool] = mapped_column(Boolean)
    rule_fired: Mapped[str | None] = mapped_column(String(200), nullable=True)
    explanation: Mapped[str] = mapped_column(Text)
    determined_by: Mapped[str] = mapped_column(String(200))
    determined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
