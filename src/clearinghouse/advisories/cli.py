"""`clearinghouse advisory ...`: draft, publish and list CSAF 2.0 advisories from the shell.

Commands act as the local operator (an analyst), or with `--as EMAIL` as that person,
through the same services and policy as the API; publications are signed with the
instance key. Errors are one red line (the main CLI prints `ClearinghouseError`s).
"""

from __future__ import annotations

import sys
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from clearinghouse.advisories import service
from clearinghouse.advisories.errors import InvalidAdvisoryField
from clearinghouse.advisories.models import AdvisoryStatus
from clearinghouse.advisories.signing import Signer, instance_signer
from clearinghouse.clock import SystemClock
from clearinghouse.identity.cli_actor import AsOption, acting_as
from clearinghouse.settings import get_settings

advisory_app = typer.Typer(
    help="Advisories: CSAF 2.0 drafts and publications.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines")]
AdvisoryArgument = Annotated[int, typer.Argument(help="The advisory's number")]


def _print_views(views: list[service.AdvisoryView], as_json: bool) -> None:
    rows = [
        {
            "id": v.advisory.id,
            "tracking_id": v.advisory.tracking_id,
            "title": v.title,
            "profile": v.advisory.profile.value,
            "status": v.advisory.status.value if v.analyst else v.versions[-1].status.value,
            "tlp": v.advisory.tlp if v.analyst else v.versions[-1].tlp,
            "versions": [x.version for x in v.versions],
        }
        for v in views
    ]
    if as_json:
        sys.stdout.write(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode() + "\n")
        return
    table = Table("id", "tracking id", "status", "TLP", "versions", "title")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["tracking_id"]),
            str(row["status"]),
            str(row["tlp"]),
            ",".join(row["versions"]) or "-",  # type: ignore[arg-type]
            str(row["title"]),
        )
    Console().print(table)


@advisory_app.command("draft")
def draft_command(
    from_vuln: Annotated[
        str | None, typer.Option("--from", help="A vulnerability id or alias to draft from")
    ] = None,
    case: Annotated[
        int | None, typer.Option("--case", help="A published or closed case (gives VEX)")
    ] = None,
    tlp: Annotated[str | None, typer.Option(help="TLP 2.0 label, e.g. AMBER")] = None,
    sharing_group: Annotated[str | None, typer.Option(help="Sharing group slug")] = None,
    as_email: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Draft an advisory from a vulnerability (`--from`) or a disclosure case (`--case`)."""
    if (from_vuln is None) == (case is None):
        raise InvalidAdvisoryField("source", "give either --from VULN_ID or --case N")
    with acting_as(as_email) as (session, principal):
        advisory = service.create_draft(
            session,
            principal,
            vulnerability=from_vuln,
            case_id=case,
            changes=service.DraftChanges(tlp=tlp, sharing_group=sharing_group),
            now=SystemClock().now(),
        )
        view = service.get_advisory(
            session, principal, advisory_id=advisory.id, now=SystemClock().now()
        )
        _print_views([view], as_json)


@advisory_app.command("list")
def list_command(as_email: AsOption = None, as_json: JsonOption = False) -> None:
    """The advisories you may see, newest first."""
    with acting_as(as_email) as (session, principal):
        _print_views(service.list_advisories(session, principal, now=SystemClock().now()), as_json)


@advisory_app.command("show")
def show_command(
    advisory_id: AdvisoryArgument, as_email: AsOption = None, as_json: JsonOption = False
) -> None:
    """One advisory with its versions."""
    with acting_as(as_email) as (session, principal):
        view = service.get_advisory(
            session, principal, advisory_id=advisory_id, now=SystemClock().now()
        )
        _print_views([view], as_json)
        if not as_json:
            for v in view.versions:
                typer.echo(
                    f"  version {v.version} {v.status.value} {v.published_at.isoformat()} "
                    f"by {v.published_by} sha256 {v.sha256}: {v.change_summary}"
                )


@advisory_app.command("publish")
def publish_command(
    advisory_id: AdvisoryArgument,
    status: Annotated[str, typer.Option(help="interim or final")] = "final",
    summary: Annotated[str, typer.Option(help="What this version changes")] = "",
    as_email: AsOption = None,
) -> None:
    """Validate, sign and publish the next version (interim or final)."""
    if status not in ("interim", "final"):
        raise InvalidAdvisoryField("status", "interim or final")
    settings = get_settings()

    def signer_for(session: Session) -> Signer:
        return instance_signer(settings, session=session)

    with acting_as(as_email) as (session, principal):
        publication = service.publish(
            session,
            principal,
            advisory_id=advisory_id,
            status=AdvisoryStatus(status),
            summary=summary,
            settings=settings,
            signer_for=signer_for,
            now=SystemClock().now(),
        )
        version = publication.version
        word = "published" if publication.created else "already published"
        typer.echo(
            f"advisory {advisory_id} version {version.version} ({version.status.value}) {word}; "
            f"sha256 {version.sha256}; {publication.notified} notification(s) queued"
        )


@advisory_app.command("csaf")
def csaf_command(
    advisory_id: AdvisoryArgument,
    version: Annotated[
        str | None, typer.Option(help="A version number; the latest if left out")
    ] = None,
    as_email: AsOption = None,
) -> None:
    """Print a published version's CSAF document, byte for byte as it was signed."""
    with acting_as(as_email) as (session, principal):
        row = service.get_version(
            session, principal, advisory_id=advisory_id, version=version, now=SystemClock().now()
        )
        sys.stdout.write(row.document)


def register(app: typer.Typer) -> None:
    app.add_typer(advisory_app, name="advisory")
