"""`clearinghouse csaf validate FILE`: check any CSAF 2.0 document."""

from __future__ import annotations

import typer

csaf_app = typer.Typer(
    help="CSAF 2.0 documents: validate against the schema and the mandatory tests.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(csaf_app, name="csaf")
