"""`clearinghouse vuln show ID`: a vulnerability group by any of its aliases."""

from __future__ import annotations

from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.table import Table

vuln_app = typer.Typer(help="Look up vulnerabilities in the store.", no_args_is_help=True)


@vuln_app.command("show")
def show_command(
    identifier: Annotated[
        str, typer.Argument(help="Any id or alias: CVE, GHSA, PYSEC, GO, RUSTSEC")
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the OSV record (all of the group's with --all)")
    ] = False,
    all_records: Annotated[bool, typer.Option("--all", help="With --json: every record")] = False,
) -> None:
    """Show the vulnerability group that IDENTIFIER belongs to."""
    from clearinghouse.identity import local_operator
    from clearinghouse.storage import open_database
    from clearinghouse.vulnerabilities.store import find_group

    db = open_database()
    with db.read_session() as session:
        group = find_group(session, identifier, local_operator())
    if as_json:
        documents = [r.document for r in group.records]
        if all_records:
            payload: object = documents
        elif documents:
            payload = documents[0]
        else:
            payload = {
                "id": group.requested,
                "aliases": group.aliases,
                "kev": group.kev.__dict__ if group.kev else None,
            }
        typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2, default=str).decode())
        return
    _print_group(group)


def _print_group(group: object) -> None:
    from clearinghouse.vulnerabilities.store import VulnGroupView

    assert isinstance(group, VulnGroupView)
    console = Console()
    console.print(f"[bold]{group.requested}[/bold]  group {group.group_id}", highlight=False)
    console.print(f"aliases: {', '.join(group.aliases)}", highlight=False)
    if group.kev:
        console.print(
            f"[red]known exploited[/red] (CISA KEV): added {group.kev.date_added}, "
            f"due {group.kev.due_date}; {group.kev.required_action}",
            highlight=False,
        )
    for record in group.records:
        console.rule(record.osv_id)
        if record.withdrawn:
            console.print(f"[yellow]withdrawn {record.withdrawn:%Y-%m-%d}[/yellow]")
        console.print(record.summary or "(no summary)", highlight=False)
        console.print(
            f"severity: {record.severity or 'unknown'}   modified: {record.modified:%Y-%m-%d}"
        )
        table = Table("ecosystem", "package", "ranges")
        for affected in record.document.get("affected") or ():
            package = affected.get("package") or {}
            ranges = "; ".join(
                ", ".join(f"{k} {v}" for event in r.get("events", ()) for k, v in event.items())
                for r in affected.get("ranges") or ()
            )
            table.add_row(
                package.get("ecosystem", ""), package.get("name", ""), ranges or "(versions listed)"
            )
        console.print(table)
        console.print(
            f"provenance: {record.source} from {record.source_file}, ingested "
            f"{record.ingested_at:%Y-%m-%d %H:%M} UTC, {record.revisions} earlier versions kept",
            highlight=False,
        )


@vuln_app.command("label")
def label_command(
    identifier: Annotated[str, typer.Argument(help="The stored record's id")],
    tlp: Annotated[str, typer.Option("--tlp", help="CLEAR, GREEN, AMBER, AMBER+STRICT, RED")],
    group: Annotated[str | None, typer.Option("--group", help="Sharing group slug")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Owner organisation")] = None,
    embargo_until: Annotated[
        str | None, typer.Option("--embargo-until", help="ISO 8601 with a time zone")
    ] = None,
) -> None:
    """Relabel a record: TLP, sharing group (none unless given), owner, embargo (operator)."""
    from clearinghouse.sharing.cli import LabelledKind
    from clearinghouse.sharing.cli import label_command as label

    label(LabelledKind.vuln, identifier, tlp, group, owner, embargo_until, None)


def register(app: typer.Typer) -> None:
    app.add_typer(vuln_app, name="vuln")
