"""benchmark battery: suites, restricted items, runs, results, policies, determinations

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import clearinghouse.storage.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coverage_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_policies")),
        sa.UniqueConstraint("version", name=op.f("uq_coverage_policies_version")),
    )
    op.create_table(
        "restricted_item_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("items_ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("canary", sa.String(length=200), nullable=False),
        sa.Column("loaded_by", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restricted_item_sets")),
        sa.UniqueConstraint("name", name=op.f("uq_restricted_item_sets_name")),
    )
    op.create_table(
        "coverage_determinations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("run_ids", sa.JSON(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("covered", sa.Boolean(), nullable=False),
        sa.Column("rule_fired", sa.String(length=200), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("determined_by", sa.String(length=200), nullable=False),
        sa.Column(
            "determined_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_coverage_determinations_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["coverage_policies.id"],
            name=op.f("fk_coverage_determinations_policy_id_coverage_policies"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_coverage_determinations_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_determinations")),
    )
    with op.batch_alter_table("coverage_determinations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coverage_determinations_model_version_id"),
            ["model_version_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_coverage_determinations_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "eval_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("suite", sa.String(length=64), nullable=False),
        sa.Column("item_set_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="runstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("epochs", sa.Integer(), nullable=False),
        sa.Column("sample_limit", sa.Integer(), nullable=True),
        sa.Column("samples_total", sa.Integer(), nullable=False),
        sa.Column("samples_done", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column(
            "queued_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "started_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "finished_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "heartbeat_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("inspect_eval_id", sa.String(length=64), nullable=True),
        sa.Column("log_name", sa.String(length=300), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["item_set_id"],
            ["restricted_item_sets.id"],
            name=op.f("fk_eval_runs_item_set_id_restricted_item_sets"),
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_eval_runs_model_version_id_model_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_eval_runs_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_runs")),
    )
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eval_runs_model_version_id"), ["model_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_eval_runs_review_id"), ["review_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_eval_runs_status"), ["status"], unique=False)

    op.create_table(
        "eval_run_logs",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", clearinghouse.storage.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["eval_runs.id"], name=op.f("fk_eval_run_logs_run_id_eval_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_eval_run_logs")),
    )
    op.create_table(
        "eval_sample_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=64), nullable=False),
        sa.Column("item_group", sa.String(length=200), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["eval_runs.id"], name=op.f("fk_eval_sample_results_run_id_eval_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_eval_sample_results")),
        sa.UniqueConstraint(
            "run_id", "item_id", "epoch", name=op.f("uq_eval_sample_results_run_id")
        ),
    )
    with op.batch_alter_table("eval_sample_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_eval_sample_results_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("eval_sample_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_sample_results_run_id"))

    op.drop_table("eval_sample_results")
    op.drop_table("eval_run_logs")
    with op.batch_alter_table("eval_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eval_runs_status"))
        batch_op.drop_index(batch_op.f("ix_eval_runs_review_id"))
        batch_op.drop_index(batch_op.f("ix_eval_runs_model_version_id"))

    op.drop_table("eval_runs")
    with op.batch_alter_table("coverage_determinations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_determinations_review_id"))
        batch_op.drop_index(batch_op.f("ix_coverage_determinations_model_version_id"))

    op.drop_table("coverage_determinations")
    op.drop_table("restricted_item_sets")
    op.drop_table("coverage_policies")
