"""`clearinghouse sbom upload | list | show`: inventories from the instance's shell.

Commands act as the local operator (who uploads on an organisation's behalf with
`--org`), or with `--as EMAIL` as that person, as `clearinghouse review` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from clearinghouse.clock import SystemClock
from clearinghouse.identity.cli_actor import AsOption, acting_as
from clearinghouse.matching.findings import Severity
from clearinghouse.sbom.errors import InventoryError, SbomTooLarge
from clearinghouse.sbom.models import FindingStatus

sbom_app = typer.Typer(help="Inventories: upload SBOMs, see their findings.", no_args_is_help=True)

SKIPPED_SHOWN = 20


def _read(path: Path) -> bytes:
    from clearinghouse.sbom.service import MAX_SBOM_BYTES

    if path.stat().st_size > MAX_SBOM_BYTES:
        raise SbomTooLarge(f"{path}: an SBOM may be at most {MAX_SBOM_BYTES // (1024 * 1024)} MiB")
    return path.read_bytes()


@sbom_app.command("upload")
def upload_command(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, readable=True, help="CycloneDX, SPDX or a lockfile"
        ),
    ],
    inventory: Annotated[str, typer.Option("--inventory", help="The inventory's name")],
    org: Annotated[
        str | None, typer.Option("--org", help="Organisation slug (your own with --as)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    as_email: AsOption = None,
) -> None:
    """Upload an SBOM as the latest version of an inventory, and match it."""
    from clearinghouse.formats.sbom import read_sbom
    from clearinghouse.sbom.service import upload_document

    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=as_json,
        transient=True,
    ) as progress:
        step = progress.add_task(f"reading {path.name}", total=3)
        data = _read(path)
        progress.update(step, advance=1, description=f"parsing {path.name} ({len(data)} bytes)")
        document = read_sbom(data, path.name)
        progress.update(
            step, advance=1, description=f"matching {len(document.components)} components"
        )
        with acting_as(as_email, write=True) as (session, principal):
            outcome = upload_document(
                session,
                principal,
                inventory=inventory,
                document=document,
                filename=path.name,
                content=data,
                organisation=org,
                now=SystemClock().now(),
            )
        progress.update(step, advance=1, description="stored")
    report = outcome.report
    result = {
        "inventory_id": outcome.inventory_id,
        "upload_id": outcome.upload_id,
        "declared": report.document.declared,
        "components": len(report.document.components),
        "skipped": [{"name": s.name, "reason": s.reason} for s in report.document.skipped],
        "findings": outcome.counts,
    }
    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    out = Console()
    counts = outcome.counts
    out.print(
        f"inventory {outcome.inventory_id}, upload {outcome.upload_id}: "
        f"{result['components']} of {result['declared']} components matched; findings: "
        + ", ".join(f"{counts[k]} {k}" for k in counts),
        highlight=False,
    )
    for skipped in report.document.skipped[:SKIPPED_SHOWN]:
        version = f"@{skipped.version}" if skipped.version else ""
        out.print(
            f"[yellow]skipped[/yellow] {skipped.name}{version}: {skipped.reason}", highlight=False
        )
    hidden = len(report.document.skipped) - SKIPPED_SHOWN
    if hidden > 0:
        out.print(f"... and {hidden} more skipped (see --json)")


@sbom_app.command("list")
def list_command(as_email: AsOption = None) -> None:
    """List the inventories you may see, with their open findings."""
    from clearinghouse.sbom.service import list_inventories

    with acting_as(as_email, write=False) as (session, principal):
        table = Table("id", "organisation", "inventory", "latest upload", "components", "open")
        for summary in list_inventories(session, principal):
            upload = summary.latest_upload
            severities = sorted(summary.open_by_severity.items(), key=lambda kv: -Severity[kv[0]])
            table.add_row(
                str(summary.inventory.id),
                summary.organisation.slug,
                summary.inventory.name,
                f"{upload.uploaded_at:%Y-%m-%d %H:%M} {upload.file_name}" if upload else "-",
                str(upload.component_count) if upload else "-",
                ", ".join(f"{n} {s.lower()}" for s, n in severities) or "none",
            )
        Console().print(table)


@sbom_app.command("show")
def show_command(
    inventory_id: Annotated[int, typer.Argument(help="The inventory's id")],
    severity: Annotated[
        str | None, typer.Option(help="Only this severity: unknown, low, medium, high, critical")
    ] = None,
    status: Annotated[FindingStatus | None, typer.Option(help="Only this status")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the inventory as JSON")] = False,
    as_email: AsOption = None,
) -> None:
    """Show an inventory's findings, most severe first."""
    from clearinghouse.sbom.schemas import InventoryOut
    from clearinghouse.sbom.service import get_inventory

    try:
        wanted = Severity.parse(severity) if severity else None
    except ValueError as exc:
        raise InventoryError(str(exc)) from None
    with acting_as(as_email, write=False) as (session, principal):
        view = get_inventory(
            session, principal, inventory_id=inventory_id, severity=wanted, status=status
        )
        if as_json:
            typer.echo(InventoryOut.of(view).model_dump_json(indent=2))
            return
        latest = view.latest_upload
        console = Console()
        console.print(
            f"{view.organisation.slug} / {view.inventory.name}: "
            + (
                f"upload {latest.id} ({latest.file_name}, {latest.uploaded_at:%Y-%m-%d %H:%M})"
                if latest
                else "no upload yet"
            ),
            highlight=False,
        )
        table = Table("severity", "vulnerability", "package", "version", "fix", "status")
        for finding in view.findings:
            table.add_row(
                finding.severity.lower(),
                finding.primary_id + (" (KEV)" if finding.kev_due_date else ""),
                f"{finding.ecosystem}/{finding.name}",
                finding.version,
                finding.fixed_version or "no fix known",
                finding.status.value,
            )
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(sbom_app, name="sbom")
