"""`clearinghouse scan PATH`: scan an SBOM or lockfile offline against the local store.

Nothing is stored: the file is read, matched and reported. Exit status, so that CI pipelines
can gate on it: 0 when no active finding reaches `--fail-on` (or without `--fail-on`), 1 when
one does, 2 when the file cannot be read or an option is wrong (the reason on standard error).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True)

EXIT_UNREADABLE = 2


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    sarif = "sarif"
    cyclonedx = "cyclonedx"


def scan_command(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="CycloneDX or SPDX SBOM, or a lockfile (requirements.txt, poetry.lock, "
            "uv.lock, Pipfile.lock, package-lock.json, yarn.lock, Cargo.lock, go.mod, go.sum)",
        ),
    ],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="What to write")
    ] = OutputFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not standard out")
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 when an active finding is at or above this severity: "
            "unknown, low, medium, high, critical (unknown: any finding)",
        ),
    ] = None,
) -> None:
    """Scan PATH against the local vulnerability store, without storing anything."""
    from clearinghouse.formats.errors import FormatError
    from clearinghouse.formats.sbom import read_sbom
    from clearinghouse.matching.render import (
        UnknownThreshold,
        exit_code,
        print_report,
        report_as_json,
    )
    from clearinghouse.matching.scan import scan_document
    from clearinghouse.storage import open_database

    try:
        exit_code(None, fail_on)  # a misspelt threshold fails before any work
        document = read_sbom(path.read_bytes(), path.name)
    except (FormatError, UnknownThreshold) as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(EXIT_UNREADABLE) from None

    db = open_database()
    status = err.status(f"matching {len(document.components):,} components")
    with status, db.read_session() as session:
        report = scan_document(session, document)

    if output_format is OutputFormat.table:
        console = Console(file=output.open("w", encoding="utf-8")) if output else Console()
        print_report(report, console)
    else:
        if output_format is OutputFormat.json:
            payload: object = report_as_json(report)
        elif output_format is OutputFormat.sarif:
            from clearinghouse.formats.sarif import scan_to_sarif

            payload = scan_to_sarif(report, artifact=path.name)
        else:
            from clearinghouse.formats.cyclonedx_vdr import scan_to_vdr

            payload = scan_to_vdr(report)
        text = payload if isinstance(payload, str) else _json(payload)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    raise typer.Exit(exit_code(report, fail_on))


def _json(payload: object) -> str:
    import orjson

    return orjson.dumps(payload, option=orjson.OPT_INDENT_2, default=str).decode() + "\n"


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
