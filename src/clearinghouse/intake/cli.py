"""`clearinghouse ingest PATH...`: take in feeds from files, folders and zip archives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from clearinghouse.formats import Format

REJECTIONS_SHOWN = 20


def _count_units(paths: list[Path]) -> int | None:
    """How many files the run will read, for the bar's total; cheap (listings only)."""
    from clearinghouse.intake.pipeline import limits_from
    from clearinghouse.intake.sources import iter_units
    from clearinghouse.settings import get_settings

    try:
        return sum(1 for _ in iter_units(paths, limits_from(get_settings())))
    except OSError:
        return None


def ingest_command(
    paths: Annotated[list[Path], typer.Argument(help="Files, folders or .zip archives")],
    format: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="Skip detection: read every file as this"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON")] = False,
    strict: Annotated[
        bool, typer.Option(help="Exit with status 2 when any record was rejected")
    ] = False,
    workers: Annotated[
        int | None, typer.Option(help="Parser processes (default: spare cores for bulk input)")
    ] = None,
) -> None:
    """Ingest vulnerability feeds: OSV (JSON/YAML), RustSec, CISA KEV, CVE JSON 5."""
    from clearinghouse.identity import local_operator
    from clearinghouse.intake import ingest_paths
    from clearinghouse.storage import open_database

    db = open_database()
    console = Console(stderr=True)
    total = _count_units(paths)
    with Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=as_json or not console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=total)
        summary = ingest_paths(
            db,
            paths,
            actor=local_operator().actor,
            forced_format=format,
            workers=workers,
            progress=lambda n: bar.advance(task, n),
        )
    result = summary.as_dict()
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        _print_summary(result)
    if strict and summary.counts["rejected"]:
        raise typer.Exit(2)


def _print_summary(result: dict[str, object]) -> None:
    console = Console()
    table = Table(title="ingest summary", show_header=True)
    for column in ("added", "updated", "unchanged", "withdrawn", "rejected"):
        table.add_column(column, justify="right")
    table.add_row(
        *(str(result[c]) for c in ("added", "updated", "unchanged", "withdrawn", "rejected"))
    )
    console.print(table)
    kev = result["kev"]
    assert isinstance(kev, dict)
    console.print(
        f"KEV entries: {kev['added']} added, {kev['updated']} updated, "
        f"{kev['unchanged']} unchanged; {result['stale']} stale copies kept out; "
        f"{result['skipped_files']} files held no record; {result['files']} files in "
        f"{result['seconds']} s ({result['records_per_second']} records/s)"
    )
    rejections = result["rejections"]
    assert isinstance(rejections, list)
    for rejection in rejections[:REJECTIONS_SHOWN]:
        console.print(
            f"[red]rejected[/red] {rejection['source']}: {rejection['reason']}", highlight=False
        )
    hidden = int(str(result["rejected"])) - min(len(rejections), REJECTIONS_SHOWN)
    if hidden > 0:
        console.print(f"... and {hidden} more rejections (see --json)")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
