"""`clearinghouse audit ...`: inspect and verify the audit chain."""

from __future__ import annotations

import typer

audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command() -> None:
    """Check every link of the chain; name the first broken event and exit 1 if any."""
    from rich.console import Console

    from clearinghouse.audit import verify
    from clearinghouse.storage import open_database

    db = open_database()
    with db.read_session() as session:
        report = verify(session)
    if report.ok:
        typer.echo(f"audit chain intact: {report.events_checked} events verified")
        return
    Console(stderr=True).print(
        f"[red]audit chain broken at event {report.first_broken_seq}:[/red] {report.reason} "
        f"({report.events_checked} events before it verified)",
        highlight=False,
    )
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
