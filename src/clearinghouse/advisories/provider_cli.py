"""`clearinghouse csaf-provider key-info|export-key` and `clearinghouse export osv`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

provider_app = typer.Typer(
    help="The CSAF trusted provider: the instance's OpenPGP signing key.", no_args_is_help=True
)
export_app = typer.Typer(help="Bulk exports of what anyone may read.", no_args_is_help=True)


def _signer() -> object:
    from clearinghouse.advisories.signing import instance_signer
    from clearinghouse.settings import get_settings
    from clearinghouse.storage import open_database

    settings = get_settings()
    db = open_database(settings.database_url)
    try:
        return instance_signer(settings, db=db, actor="cli")
    finally:
        db.dispose()


@provider_app.command("key-info")
def key_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Show the instance's signing key (made now if there is none): never its secret half."""
    from clearinghouse.advisories.signing import GnupgSigner

    signer = _signer()
    assert isinstance(signer, GnupgSigner)
    info = signer.info
    fields = {
        "fingerprint": info.fingerprint,
        "algorithm": info.algorithm,
        "user_id": info.user_id,
        "created_at": info.created_at,
        "url_path": f"/.well-known/csaf/openpgp/{info.fingerprint}.asc",
    }
    if as_json:
        typer.echo(orjson.dumps(fields, option=orjson.OPT_INDENT_2).decode())
        return
    for name, value in fields.items():
        typer.echo(f"{name}: {value}")


@provider_app.command("export-key")
def export_key(
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the public key here (default: stdout)")
    ] = None,
) -> None:
    """Print the ASCII-armoured public key, to verify the `.asc` files with `gpg --verify`."""
    from clearinghouse.advisories.signing import GnupgSigner

    signer = _signer()
    assert isinstance(signer, GnupgSigner)
    armored = signer.public_key_armored()
    if out is None:
        typer.echo(armored, nl=not armored.endswith("\n"))
        return
    out.write_text(armored)
    typer.echo(f"wrote the public key {signer.fingerprint} to {out}", err=True)


@export_app.command("osv")
def export_osv(
    out: Annotated[Path, typer.Option("--out", help="Folder to write into")] = Path("osv-export"),
    ecosystems: Annotated[
        list[str] | None,
        typer.Option("--ecosystem", help="Only this ecosystem (repeatable); default: all"),
    ] = None,
) -> None:
    """Write OUT/ecosystems.txt and OUT/<ecosystem>/all.zip, as OSV.dev publishes them."""
    from clearinghouse.storage import open_database
    from clearinghouse.storage.base import utcnow
    from clearinghouse.vulnerabilities.exports import ExportedRecord, export_to_folder

    db = open_database()
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    started = time.perf_counter()
    try:
        with Progress(*columns, console=console) as bar:
            current: list[TaskID] = []

            def on_start(ecosystem: str, total: int) -> None:
                current[:] = [bar.add_task(ecosystem, total=total)]

            def on_record(_record: ExportedRecord) -> None:
                bar.advance(current[0])

            results = export_to_folder(
                db,
                out,
                now=utcnow(),
                ecosystems=ecosystems,
                on_start=on_start,
                on_record=on_record,
            )
    finally:
        db.dispose()
    elapsed = time.perf_counter() - started
    total = sum(r.records for r in results)
    size = sum(r.bytes for r in results)
    console.print(
        f"exported {total} records into {len(results)} zips ({size / 1e6:.1f} MB) "
        f"under {out} in {elapsed:.1f} s",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(provider_app, name="csaf-provider")
    app.add_typer(export_app, name="export")
