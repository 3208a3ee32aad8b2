"""`clearinghouse sharing ...`: sharing groups and STIX exports."""

from __future__ import annotations

import typer

sharing_app = typer.Typer(
    help="Sharing groups (who reads TLP:AMBER and TLP:RED) and STIX 2.1 exports.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(sharing_app, name="sharing")
