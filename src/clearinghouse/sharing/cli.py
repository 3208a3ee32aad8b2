"""`clearinghouse sharing ...`: sharing groups and labels from the instance's shell.

Commands act as the local operator, or with `--as EMAIL` as that person, through the same
services and policy as the API (`sharing.service`, `sharing.labels`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

from clearinghouse.identity.cli_actor import AsOption, acting_as
from clearinghouse.sharing.errors import InvalidLabel

sharing_app = typer.Typer(
    help="Sharing groups (who reads TLP:AMBER and TLP:RED) and STIX 2.1 exports.",
    no_args_is_help=True,
)

SlugArgument = Annotated[str, typer.Argument(help="The group's slug, e.g. energy-isac")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


class LabelledKind(StrEnum):
    vuln = "vuln"
    report = "report"
    case = "case"
    finding = "finding"


def _print_groups(groups: list[object], as_json: bool) -> None:
    from clearinghouse.sharing.schemas import GroupOut
    from clearinghouse.sharing.service import GroupView

    views = [g for g in groups if isinstance(g, GroupView)]
    if as_json:
        payload = [GroupOut.of(g).model_dump(mode="json") for g in views]
        typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table("group", "name", "organisation", "named person")
    for group in views:
        if not group.members:
            table.add_row(group.slug, group.name, "(no members)", "")
        for member in group.members:
            table.add_row(group.slug, group.name, member.organisation, member.user or "")
    Console().print(table)


@sharing_app.command("group-create")
def group_create(
    slug: SlugArgument,
    name: Annotated[str, typer.Option(help="A name people recognise")],
    description: Annotated[str, typer.Option(help="What the group is for")] = "",
    as_email: AsOption = None,
) -> None:
    """Create a sharing group (operators)."""
    from clearinghouse.sharing.service import create_group

    with acting_as(as_email) as (session, principal):
        group = create_group(session, principal, slug=slug, name=name, description=description)
        typer.echo(f"sharing group {group.slug} created")


@sharing_app.command("group-list")
def group_list(as_email: AsOption = None, as_json: JsonOption = False) -> None:
    """The groups you may read, with their members."""
    from clearinghouse.sharing.service import list_groups

    with acting_as(as_email) as (session, principal):
        _print_groups(list(list_groups(session, principal)), as_json)


@sharing_app.command("group-add")
def group_add(
    slug: SlugArgument,
    organisation: Annotated[str, typer.Option("--org", help="The member organisation's slug")],
    user: Annotated[
        str | None, typer.Option("--user", help="Name one person of it (opens TLP:RED)")
    ] = None,
    as_email: AsOption = None,
) -> None:
    """Add an organisation to a group, or name one of its people (operators)."""
    from clearinghouse.sharing.service import add_member

    with acting_as(as_email) as (session, principal):
        add_member(session, principal, slug=slug, organisation=organisation, user=user)
        typer.echo(f"{user or organisation} added to {slug}")


@sharing_app.command("group-remove")
def group_remove(
    slug: SlugArgument,
    organisation: Annotated[str, typer.Option("--org", help="The member organisation's slug")],
    user: Annotated[str | None, typer.Option("--user", help="Only this named person")] = None,
    as_email: AsOption = None,
) -> None:
    """Remove an organisation's membership, or one named person (operators)."""
    from clearinghouse.sharing.service import remove_member

    with acting_as(as_email) as (session, principal):
        remove_member(session, principal, slug=slug, organisation=organisation, user=user)
        typer.echo(f"{user or organisation} removed from {slug}")


def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidLabel(f"--embargo-until: {value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise InvalidLabel(f"--embargo-until: {value!r} needs a time zone, e.g. {value}Z")
    return moment


@sharing_app.command("label")
def label_command(
    kind: Annotated[LabelledKind, typer.Argument(help="What to label")],
    identifier: Annotated[
        str, typer.Argument(help="Record id (vuln), number (report, case), INVENTORY/FINDING")
    ],
    tlp: Annotated[str, typer.Option("--tlp", help="CLEAR, GREEN, AMBER, AMBER+STRICT, RED")],
    group: Annotated[str | None, typer.Option("--group", help="Sharing group slug")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner organisation (vuln)")] = None,
    embargo_until: Annotated[
        str | None, typer.Option("--embargo-until", help="ISO 8601 with a time zone (vuln)")
    ] = None,
    as_email: AsOption = None,
) -> None:
    """Put a TLP label and a sharing group (none unless given) on a resource."""
    from clearinghouse.clock import SystemClock
    from clearinghouse.sharing import labels

    now = SystemClock().now()
    if kind is not LabelledKind.vuln and (owner is not None or embargo_until is not None):
        raise InvalidLabel("--owner and --embargo-until label vulnerabilities only")
    with acting_as(as_email) as (session, principal):
        if kind is LabelledKind.vuln:
            label = labels.label_vulnerability(
                session,
                principal,
                identifier,
                tlp=tlp,
                group=group,
                owner=owner,
                embargo_ends_at=_when(embargo_until),
                now=now,
            )
        elif kind is LabelledKind.finding:
            inventory, _, finding = identifier.partition("/")
            if not (inventory.isdigit() and finding.isdigit()):
                raise InvalidLabel(f"a finding is INVENTORY/FINDING, e.g. 3/41, not {identifier!r}")
            label = labels.label_finding(
                session, principal, int(inventory), int(finding), tlp=tlp, group=group
            )
        else:
            if not identifier.isdigit():
                raise InvalidLabel(f"a {kind.value} is named by its number, not {identifier!r}")
            if kind is LabelledKind.report:
                label = labels.label_report(
                    session, principal, int(identifier), tlp=tlp, group=group
                )
            else:
                label = labels.label_case(
                    session, principal, int(identifier), tlp=tlp, group=group, now=now
                )
    typer.echo(
        f"{kind.value} {identifier}: TLP:{label.tlp}"
        + (f", sharing group {label.sharing_group}" if label.sharing_group else "")
    )


def register(app: typer.Typer) -> None:
    app.add_typer(sharing_app, name="sharing")
