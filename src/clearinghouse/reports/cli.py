"""`clearinghouse report submit | list | show | triage | evidence | merge | split`.

Commands act as the local operator (an analyst), or with `--as EMAIL` as that person, as
`clearinghouse review` and `clearinghouse sbom` do. `submit` reads a structured report, an
OSV draft (JSON or YAML) or a SARIF 2.1.0 log (one report per result).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearinghouse.clock import SystemClock
from clearinghouse.identity.cli_actor import AsOption, acting_as, cli_principal
from clearinghouse.reports.errors import ReportError, ReportTooLarge
from clearinghouse.reports.models import (
    DiscoveredBy,
    EvidenceResult,
    RejectionReason,
    ReportStatus,
)

report_app = typer.Typer(
    help="Vulnerability reports: submit, triage, validate.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON")]


def _echo_json(value: object) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@report_app.command("submit")
def submit_command(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="A structured report (JSON), an OSV draft (JSON/YAML) or a SARIF 2.1.0 log",
        ),
    ],
    discovered_by: Annotated[
        DiscoveredBy | None, typer.Option(help="person, tool or model (overrides the file)")
    ] = None,
    discovered_by_name: Annotated[
        str | None, typer.Option(help="The tool or model that found it")
    ] = None,
    model_run: Annotated[str | None, typer.Option(help="The run of the model or tool")] = None,
    as_json: JsonOption = False,
    as_email: AsOption = None,
) -> None:
    """Submit a report file; prints each report made, with any duplicate it was linked to."""
    from clearinghouse.reports.attachments import BlobStore, attachments_root
    from clearinghouse.reports.intake import (
        MAX_SUBMISSION_BYTES,
        drafts_from_bytes,
        recheck_duplicates,
        submit_report,
    )
    from clearinghouse.reports.views import summary_out, view_of
    from clearinghouse.settings import get_settings
    from clearinghouse.storage import open_database

    if path.stat().st_size > MAX_SUBMISSION_BYTES:
        raise ReportTooLarge(f"{path}: a submission may be at most 32 MiB")
    drafts = drafts_from_bytes(
        path.read_bytes(),
        filename=path.name,
        discovered_by=discovered_by,
        discovered_by_name=discovered_by_name,
        model_run=model_run,
    )
    settings = get_settings()
    blobs = BlobStore(attachments_root(settings.database_url))
    now = SystemClock().now()
    db = open_database()
    try:
        with db.session() as session:
            principal = cli_principal(session, as_email)
            reports = [submit_report(session, principal, d, blobs=blobs, now=now) for d in drafts]
        recheck_duplicates(db, [r.id for r in reports if r.duplicate_of_id is None], now=now)
        with db.read_session() as session:
            from clearinghouse.reports.models import Report

            fresh = [session.get(Report, r.id) for r in reports]
            rows = [summary_out(r, view=view_of(principal)) for r in fresh if r is not None]
    finally:
        db.dispose()
    if as_json:
        _echo_json([row.model_dump(mode="json") for row in rows])
        return
    for row in rows:
        linked = f" (duplicate of report {row.duplicate_of_id})" if row.duplicate_of_id else ""
        typer.echo(f"report {row.id}: {row.title}{linked}")


def _statuses(values: list[str] | None) -> tuple[ReportStatus, ...]:
    from clearinghouse.reports.api import statuses_of

    return statuses_of(list(values or []))


@report_app.command("list")
def list_command(
    status: Annotated[
        list[str] | None, typer.Option(help="received, triaged, ..., open (default) or all")
    ] = None,
    model_run: Annotated[str | None, typer.Option(help="Only this model run")] = None,
    order: Annotated[str, typer.Option(help="priority, newest, oldest, cvss, blast, sla")] = (
        "priority"
    ),
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOption = False,
    as_email: AsOption = None,
) -> None:
    """The triage queue, highest priority first."""
    from clearinghouse.reports.queue import ORDERS, QueueFilter, triage_queue
    from clearinghouse.reports.views import summary_out, view_of

    if order not in ORDERS:
        raise ReportError(f"--order is one of {', '.join(ORDERS)}")
    with acting_as(as_email, write=False) as (session, principal):
        result = triage_queue(
            session,
            principal,
            wanted=QueueFilter(statuses=_statuses(status), model_run=model_run),
            order=order,
            per_page=limit,
            now=SystemClock().now(),
        )
        rows = [summary_out(r, view=view_of(principal)) for r in result.reports]
    if as_json:
        _echo_json({"total": result.total, "reports": [r.model_dump(mode="json") for r in rows]})
        return
    table = Table(title=f"{result.total} reports")
    for column in ("id", "status", "SSVC", "CVSS", "title", "package", "duplicate of"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row.id),
            row.status.value,
            row.ssvc_coordinator or "",
            f"{row.cvss_score:.1f}" if row.cvss_score is not None else "",
            row.title[:60],
            row.package_name or "",
            str(row.duplicate_of_id or ""),
        )
    Console().print(table)


@report_app.command("show")
def show_command(
    report_id: Annotated[int, typer.Argument(min=1)],
    as_json: JsonOption = False,
    as_email: AsOption = None,
) -> None:
    """One report, with its scores, links, evidence and history."""
    from clearinghouse.reports.views import detail_out, get_report

    with acting_as(as_email, write=False) as (session, principal):
        out = detail_out(get_report(session, principal, report_id))
    if as_json:
        _echo_json(out.model_dump(mode="json"))
        return
    typer.echo(f"report {out.id}: {out.title}")
    typer.echo(
        f"status: {out.status.value}"
        + (f" ({out.rejection_reason.value})" if out.rejection_reason else "")
    )
    typer.echo(f"package: {out.package_ecosystem or '-'} {out.package_name or ''}")
    typer.echo(
        f"CVSS {out.scores.cvss_score if out.scores.cvss_score is not None else '-'}; "
        f"SSVC {out.scores.ssvc_coordinator} / {out.scores.ssvc_deployer}; "
        f"known exploited: {'yes' if out.scores.known_exploited else 'no'}; "
        f"blast radius: {out.scores.blast_inventories} inventories, "
        f"{out.scores.blast_organisations} organisations"
    )
    for link in out.links:
        target = f"report {link.report_id}" if link.report_id else link.osv_id
        typer.echo(f"  {link.kind.value}: {target} (score {link.score})")
    for event in out.history:
        typer.echo(
            f"  {event.occurred_at:%Y-%m-%d %H:%M} {event.actor}: {event.kind} {event.reason}"
        )


@report_app.command("triage")
def triage_command(
    report_ids: Annotated[list[int] | None, typer.Argument(help="Report ids")] = None,
    to: Annotated[ReportStatus, typer.Option("--to", help="The state to move to")] = (
        ReportStatus.triaged
    ),
    reason: Annotated[str, typer.Option(help="Why (kept in the history and audit log)")] = "",
    rejection_reason: Annotated[
        RejectionReason | None, typer.Option(help="With --to rejected")
    ] = None,
    model_run: Annotated[
        str | None, typer.Option(help="Every open report of this model run")
    ] = None,
    as_json: JsonOption = False,
    as_email: AsOption = None,
) -> None:
    """Move reports through triage: one, several, or a whole model run at once."""
    from clearinghouse.reports.triage import bulk_transition

    with acting_as(as_email, write=True) as (session, principal):
        outcome = bulk_transition(
            session,
            principal,
            report_ids=report_ids or [],
            model_run=model_run,
            to=to,
            reason=reason,
            rejection_reason=rejection_reason,
            now=SystemClock().now(),
        )
    if as_json:
        _echo_json({"changed": outcome.changed, "skipped": outcome.skipped})
        return
    typer.echo(f"{len(outcome.changed)} moved to {to.value}")
    for report_id, why in outcome.skipped.items():
        typer.echo(f"report {report_id} left as it was: {why}")


@report_app.command("evidence")
def evidence_command(
    report_id: Annotated[int, typer.Argument(min=1)],
    steps: Annotated[str, typer.Option(help="How it was reproduced")],
    environment: Annotated[str, typer.Option(help="Where: versions, OS, configuration")],
    result: Annotated[EvidenceResult, typer.Option(help="reproduced, not_reproduced, ...")],
    notes: Annotated[str, typer.Option()] = "",
    as_email: AsOption = None,
) -> None:
    """Attach validation evidence to a report."""
    from clearinghouse.reports.triage import record_evidence

    with acting_as(as_email, write=True) as (session, principal):
        evidence = record_evidence(
            session,
            principal,
            report_id=report_id,
            steps=steps,
            environment=environment,
            result=result,
            notes=notes,
            now=SystemClock().now(),
        )
        typer.echo(f"evidence {evidence.id} recorded on report {report_id}: {result.value}")


@report_app.command("merge")
def merge_command(
    report_id: Annotated[int, typer.Argument(min=1)],
    into: Annotated[int, typer.Option(min=1, help="The report it repeats")],
    reason: Annotated[str, typer.Option()],
    as_email: AsOption = None,
) -> None:
    """Merge a report into the one it repeats (it is rejected as a duplicate)."""
    from clearinghouse.reports.triage import merge

    with acting_as(as_email, write=True) as (session, principal):
        report = merge(
            session,
            principal,
            report_id=report_id,
            into=into,
            reason=reason,
            now=SystemClock().now(),
        )
        typer.echo(f"report {report.id} merged into report {report.duplicate_of_id}")


@report_app.command("split")
def split_command(
    report_id: Annotated[int, typer.Argument(min=1)],
    reason: Annotated[str, typer.Option()],
    as_email: AsOption = None,
) -> None:
    """Undo a duplicate link: the report stands on its own again."""
    from clearinghouse.reports.triage import split

    with acting_as(as_email, write=True) as (session, principal):
        split(session, principal, report_id=report_id, reason=reason, now=SystemClock().now())
        typer.echo(f"report {report_id} split off")


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
