"""`clearinghouse advisory ...`: draft, publish and list advisories."""

from __future__ import annotations

import typer

advisory_app = typer.Typer(
    help="Advisories: CSAF 2.0 drafts and publications.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(advisory_app, name="advisory")
