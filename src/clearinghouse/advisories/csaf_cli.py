"""`clearinghouse csaf validate FILE`: check any CSAF 2.0 document."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

csaf_app = typer.Typer(
    help="CSAF 2.0 documents: validate against the schema and the mandatory tests.",
    no_args_is_help=True,
)
err = Console(stderr=True)

EXIT_VALID = 0
EXIT_INVALID = 1
EXIT_UNREADABLE = 2


def _read_limited(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes, so that a huge file is refused without reading it all."""
    with path.open("rb") as file:
        return file.read(limit + 1)


@csaf_app.command("validate")
def validate_command(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="A CSAF 2.0 JSON document")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (valid, failures)")
    ] = False,
) -> None:
    """Validate FILE: the CSAF 2.0 JSON schema and every mandatory test of section 6.1.

    Exit status: 0 valid, 1 invalid (each failure printed with its test id, JSON path and
    reason), 2 when the file cannot be read, is not strict JSON or is over 20 MiB.
    """
    from clearinghouse.formats.csaf import MAX_CSAF_BYTES, CsafUnreadable, load_csaf, validate_csaf

    try:
        document = load_csaf(_read_limited(path, MAX_CSAF_BYTES))
    except (OSError, CsafUnreadable) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        err.print(
            f"[red]error:[/red] {escape(str(path))}: {escape(reason)}",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_UNREADABLE) from None

    report = validate_csaf(document)
    if as_json:
        import orjson

        sys.stdout.write(orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for failure in report.failures:
            typer.echo(f"{path}: {failure.test_id} {failure.path or '/'}: {failure.message}")
        if report.valid:
            typer.echo(f"{path}: valid CSAF 2.0 ({len(report.failures)} failures)")
        else:
            tests = ", ".join(sorted(report.failed_tests))
            typer.echo(f"{path}: invalid: {len(report.failures)} failures ({tests})")
    raise typer.Exit(EXIT_VALID if report.valid else EXIT_INVALID)


def register(app: typer.Typer) -> None:
    app.add_typer(csaf_app, name="csaf")
