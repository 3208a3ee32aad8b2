"""`clearinghouse case ...`: coordinated disclosure from the instance's shell.

Commands act as the local operator (a coordinator), or with `--as EMAIL` as that person
(a vendor answering from the shell), through the same services and policy as the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearinghouse.clock import SystemClock
from clearinghouse.disclosure.errors import InvalidCaseField, UnknownCase
from clearinghouse.disclosure.fields import CaseChanges
from clearinghouse.disclosure.models import CaseStatus, StatementStatus
from clearinghouse.identity.cli_actor import AsOption, acting_as

case_app = typer.Typer(
    help="Coordinated disclosure cases: vendors, statements, messages, embargoes.",
    no_args_is_help=True,
)

CaseArgument = Annotated[int, typer.Argument(help="The case's number")]


def _now() -> datetime:
    return SystemClock().now()


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidCaseField("embargo", f"{value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise InvalidCaseField("embargo", f"{value!r} needs a time zone, e.g. {value}Z")
    return moment


@case_app.command("open")
def case_open(
    report_ids: Annotated[list[int], typer.Argument(help="Validated report numbers")],
    title: Annotated[str | None, typer.Option(help="Instead of the first report's")] = None,
    summary: Annotated[str | None, typer.Option(help="One paragraph for the advisory")] = None,
    ecosystem: Annotated[str | None, typer.Option(help="OSV ecosystem, e.g. PyPI")] = None,
    package: Annotated[str | None, typer.Option(help="Affected package")] = None,
    versions: Annotated[str | None, typer.Option(help="Affected versions, e.g. '<2.1.3'")] = None,
    cvss: Annotated[str | None, typer.Option(help="CVSS 3.1 or 4.0 vector")] = None,
    tlp: Annotated[str | None, typer.Option(help="TLP label (the report's by default)")] = None,
    embargo: Annotated[str | None, typer.Option(help="Embargo end, ISO 8601 with zone")] = None,
    as_email: AsOption = None,
) -> None:
    """Open a case from validated reports."""
    from clearinghouse.disclosure.service import open_case

    changes = CaseChanges(
        title=title,
        summary=summary,
        package_ecosystem=ecosystem,
        package_name=package,
        affected_versions=versions,
        cvss_vector=cvss,
        tlp=tlp,
        embargo_ends_at=_when(embargo) if embargo else None,
    )
    with acting_as(as_email) as (session, principal):
        case = open_case(session, principal, report_ids=report_ids, changes=changes, now=_now())
        typer.echo(
            f"case {case.id} opened: {case.title} (TLP:{case.tlp}, embargo until "
            f"{case.embargo_ends_at.isoformat()})"
        )


@case_app.command("list")
def case_list(
    status: Annotated[CaseStatus | None, typer.Option(help="Only cases in this state")] = None,
    as_email: AsOption = None,
) -> None:
    """List the cases you take part in."""
    from clearinghouse.disclosure.service import list_cases

    with acting_as(as_email) as (session, principal):
        table = Table("case", "title", "state", "severity", "TLP", "embargo until")
        for case in list_cases(session, principal, status=status, now=_now()):
            table.add_row(
                str(case.id),
                case.title,
                case.status.value,
                case.severity or "-",
                case.tlp,
                case.embargo_ends_at.isoformat(),
            )
        Console().print(table)


@case_app.command("show")
def case_show(case_id: CaseArgument, as_email: AsOption = None) -> None:
    """Show a case, whole, as JSON (its parties only)."""
    from clearinghouse.disclosure.contents import case_contents
    from clearinghouse.disclosure.schemas import CaseOut

    with acting_as(as_email) as (session, principal):
        contents = case_contents(session, principal, case_id=case_id, now=_now())
        typer.echo(CaseOut.of_contents(contents).model_dump_json(indent=2))


@case_app.command("invite")
def case_invite(
    case_id: CaseArgument,
    organisation: Annotated[str, typer.Argument(help="The vendor organisation's slug")],
    as_email: AsOption = None,
) -> None:
    """Invite a vendor organisation to a case."""
    from clearinghouse.disclosure.service import invite_vendor

    with acting_as(as_email) as (session, principal):
        invite_vendor(
            session, principal, case_id=case_id, organisation_slug=organisation, now=_now()
        )
        typer.echo(f"{organisation} invited to case {case_id}")


@case_app.command("remove-vendor")
def case_remove_vendor(
    case_id: CaseArgument,
    organisation: Annotated[str, typer.Argument(help="The vendor organisation's slug")],
    reason: Annotated[str, typer.Option(help="Why, for the other coordinators")] = "",
    as_email: AsOption = None,
) -> None:
    """Take a vendor off a case."""
    from clearinghouse.disclosure.service import remove_vendor

    with acting_as(as_email) as (session, principal):
        remove_vendor(
            session,
            principal,
            case_id=case_id,
            organisation_slug=organisation,
            reason=reason,
            now=_now(),
        )
        typer.echo(f"{organisation} removed from case {case_id}")


@case_app.command("statement")
def case_statement(
    case_id: CaseArgument,
    status: Annotated[StatementStatus, typer.Argument(help="affected, not_affected or fixed")],
    versions: Annotated[str, typer.Option(help="Which versions")] = "",
    text: Annotated[str, typer.Option("--text", help="The statement itself")] = "",
    vendor: Annotated[str | None, typer.Option(help="Coordinators: the vendor it is for")] = None,
    as_email: AsOption = None,
) -> None:
    """Post a vendor statement."""
    from clearinghouse.disclosure.service import post_statement

    with acting_as(as_email) as (session, principal):
        row = post_statement(
            session,
            principal,
            case_id=case_id,
            status=status,
            versions=versions,
            statement=text,
            vendor_slug=vendor,
            now=_now(),
        )
        typer.echo(f"statement {row.id} posted to case {case_id}: {row.status.value}")


@case_app.command("message")
def case_message(
    case_id: CaseArgument,
    body: Annotated[str, typer.Argument(help="The message")],
    reply_to: Annotated[int | None, typer.Option(help="The message this answers")] = None,
    as_email: AsOption = None,
) -> None:
    """Write to the case's parties."""
    from clearinghouse.disclosure.service import post_message

    with acting_as(as_email) as (session, principal):
        row = post_message(
            session, principal, case_id=case_id, body=body, parent_id=reply_to, now=_now()
        )
        typer.echo(f"message {row.id} posted to case {case_id}")


@case_app.command("embargo")
def case_embargo(
    case_id: CaseArgument,
    ends_at: Annotated[str, typer.Argument(help="New embargo end, ISO 8601 with zone")],
    as_email: AsOption = None,
) -> None:
    """Move a case's embargo (a stored record follows it)."""
    from clearinghouse.disclosure.service import update_case

    with acting_as(as_email) as (session, principal):
        case = update_case(
            session,
            principal,
            case_id=case_id,
            changes=CaseChanges(embargo_ends_at=_when(ends_at)),
            now=_now(),
        )
        typer.echo(f"case {case.id} embargoed until {case.embargo_ends_at.isoformat()}")


@case_app.command("move")
def case_move(
    case_id: CaseArgument,
    to: Annotated[CaseStatus, typer.Argument(help="The state to move the case to")],
    reason: Annotated[str, typer.Option(help="Why")] = "",
    as_email: AsOption = None,
) -> None:
    """Move a case on (publishing waits for the embargo; publishing or closing produces
    the advisory and stores its OSV record)."""
    from clearinghouse.disclosure.contents import produced_advisory
    from clearinghouse.disclosure.service import move_case

    with acting_as(as_email) as (session, principal):
        case = move_case(session, principal, case_id=case_id, to=to, reason=reason, now=_now())
        advisory = produced_advisory(session, case.id)
        produced = f"; advisory {advisory.osv_id}" if advisory else ""
        typer.echo(f"case {case.id} is {case.status.value}{produced}")


@case_app.command("advisory")
def case_advisory(
    case_id: CaseArgument,
    output: Annotated[str, typer.Option(help="markdown, html or osv")] = "markdown",
    as_email: AsOption = None,
) -> None:
    """Print a case's advisory: the published one, or (for its parties) the draft."""
    from clearinghouse.disclosure.advisory_draft import dump_json
    from clearinghouse.disclosure.publication import draft_advisory, read_advisory

    if output not in ("markdown", "html", "osv"):
        raise InvalidCaseField("output", "markdown, html or osv")
    with acting_as(as_email) as (session, principal):
        try:
            stored = read_advisory(session, principal, case_id=case_id, now=_now()).advisory
            texts = {"markdown": stored.markdown, "html": stored.html, "osv": stored.osv_document}
        except UnknownCase:
            # Nothing produced, or nothing this person may read: the draft, for parties only
            # (anyone else gets the same "no case" as for a case that does not exist).
            draft = draft_advisory(session, principal, case_id=case_id, now=_now())
            texts = {"markdown": draft.markdown, "html": draft.html, "osv": dump_json(draft.osv)}
        typer.echo(texts[output])


def register(app: typer.Typer) -> None:
    app.add_typer(case_app, name="case")
