"""The `clearinghouse` command: each area contributes a command group; this file wires them."""

from __future__ import annotations

import gc
import sys
from typing import Annotated

import typer
from rich.console import Console

from clearinghouse.errors import ClearinghouseError

app = typer.Typer(
    name="clearinghouse",
    help="AI-era cyber defence: a vulnerability clearinghouse and voluntary model review.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Migrate the database (CLEARINGHOUSE_DATABASE_URL) to the current schema."""
    from clearinghouse.settings import get_settings
    from clearinghouse.storage import Database, upgrade
    from clearinghouse.storage.migrate import current_revision

    db = Database(get_settings().database_url)
    upgrade(db, revision)
    typer.echo(f"database at revision {current_revision(db)}")


def _register_area_commands() -> None:
    """Each area owns its commands in `<area>/cli.py`; absent ones are simply not offered."""
    from importlib import import_module

    for module_name in (
        "clearinghouse.identity.cli",
        "clearinghouse.audit.cli",
        "clearinghouse.intake.cli",
        "clearinghouse.vulnerabilities.cli",
        "clearinghouse.matching.cli",
        "clearinghouse.api.cli",
        "clearinghouse.tasks.cli",
        "clearinghouse.review.cli",
        "clearinghouse.sbom.cli",
        "clearinghouse.evals.cli",
        "clearinghouse.disclosure.cli",
        "clearinghouse.reports.cli",
        "clearinghouse.advisories.cli",
        "clearinghouse.advisories.csaf_cli",
        "clearinghouse.advisories.provider_cli",
        "clearinghouse.sharing.cli",
        "clearinghouse.sharing.stix_cli",
        "clearinghouse.notifications.cli",
    ):
        module = import_module(module_name)
        module.register(app)


_register_area_commands()


def settle_start_up_heap() -> None:
    """Keep the garbage collector off what start-up built, and let it run less often.

    Everything imported by now (modules, classes, every area's command tree) lives until
    the process exits, yet each full collection during a long command would walk all of it
    again: over a third of a 10,000-component scan was spent so (docs/performance.md).
    `gc.freeze()` moves those objects out of the collector's sight for good, and a larger
    first-generation threshold spares a command that builds many short-lived objects most
    of its collections; reference counting frees nearly all of them anyway.
    """
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def main() -> None:
    settle_start_up_heap()
    try:
        app()
    except ClearinghouseError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)
