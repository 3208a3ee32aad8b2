"""`clearinghouse stix export [ID...] [--out FILE]`: records as a STIX 2.1 bundle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

stix_app = typer.Typer(help="STIX 2.1 exports of the vulnerability store.", no_args_is_help=True)


@stix_app.command("export")
def export_command(
    identifiers: Annotated[
        list[str] | None,
        typer.Argument(metavar="[ID]...", help="Ids or aliases (CVE, GHSA, PYSEC...); none: all"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the bundle to FILE instead of stdout")
    ] = None,
) -> None:
    """Export the records of the IDs' alias groups (or every record) as one STIX 2.1 bundle.

    The CLI acts as the machine's operator: what an operator may read is exported, each
    object marked with its record's TLP 2.0 label. The ids in the bundle are stable, so
    exporting again gives the same objects.
    """
    from clearinghouse.formats.stix import serialize
    from clearinghouse.identity import local_operator
    from clearinghouse.sharing.stix_export import export_bundle
    from clearinghouse.storage import open_database

    db = open_database()
    try:
        with db.read_session() as session:
            bundle = export_bundle(session, local_operator(), identifiers or [])
    finally:
        db.dispose()
    text = serialize(bundle) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"{len(bundle.objects)} objects written to {out}", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(stix_app, name="stix")
