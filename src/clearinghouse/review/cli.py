"""`clearinghouse model ...` and `clearinghouse review ...`: model review from the instance's shell.

Commands act as the local operator, or with `--as EMAIL` as that person (a developer
using the CLI on the instance). A model credential is read from standard input, never
from the command line, where `ps` and shell history would keep it.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearinghouse.clock import SystemClock
from clearinghouse.identity.cli_actor import AsOption, acting_as
from clearinghouse.review.errors import ReviewError
from clearinghouse.review.models import AccessKind, ModelVersion

model_app = typer.Typer(help="Frontier models and their versions.", no_args_is_help=True)
review_app = typer.Typer(
    help="Voluntary pre-release review: it never holds up a release.", no_args_is_help=True
)


def _when(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ReviewError(f"{value!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise ReviewError(f"{value!r} needs a time zone, e.g. {value}Z")
    return moment


def _now() -> datetime:
    return SystemClock().now()


@model_app.command("add")
def model_add(
    name: Annotated[str, typer.Argument(help="The model's name")],
    description: Annotated[str, typer.Option(help="What the model is")] = "",
    org: Annotated[
        str | None, typer.Option("--org", help="Developer organisation (as operator)")
    ] = None,
    as_email: AsOption = None,
) -> None:
    """Register a model."""
    from clearinghouse.review.service import register_model

    with acting_as(as_email) as (session, principal):
        model = register_model(
            session,
            principal,
            name=name,
            description=description,
            organisation_slug=org,
            now=_now(),
        )
        typer.echo(f"model {model.id} registered: {model.name}")


@model_app.command("version-add")
def version_add(
    model_id: Annotated[int, typer.Argument(help="The model's id")],
    version: Annotated[str, typer.Argument(help="The version's name, e.g. 1.0")],
    release: Annotated[str, typer.Option(help="Planned public release, ISO 8601 with zone")],
    access: Annotated[AccessKind, typer.Option(help="How reviewers reach the model")],
    api_base_url: Annotated[str | None, typer.Option(help="The API's base URL")] = None,
    credential_stdin: Annotated[
        bool, typer.Option("--credential-stdin", help="Read the API credential from stdin")
    ] = False,
    weights_location: Annotated[str | None, typer.Option(help="Where the weights are")] = None,
    modality: Annotated[list[str] | None, typer.Option(help="Repeat: text, image, ...")] = None,
    compute: Annotated[float | None, typer.Option(help="Declared training compute, FLOP")] = None,
    model_card: Annotated[Path | None, typer.Option(help="The model card file")] = None,
    description: Annotated[str, typer.Option(help="What changed")] = "",
    as_email: AsOption = None,
) -> None:
    """Register a version of a model (its credential is stored encrypted)."""
    from clearinghouse.review.service import add_version

    credential = sys.stdin.readline().strip() if credential_stdin else None
    card = (model_card.name, model_card.read_bytes()) if model_card is not None else None
    with acting_as(as_email) as (session, principal):
        row = add_version(
            session,
            principal,
            model_id=model_id,
            version=version,
            planned_release_at=_when(release),
            access_kind=access,
            api_base_url=api_base_url,
            api_credential=credential or None,
            weights_location=weights_location,
            declared_training_compute_flop=compute,
            modalities=tuple(modality or ["text"]),
            description=description,
            model_card=card,
            now=_now(),
        )
        stored = "credential stored encrypted" if row.api_credential_ciphertext else "no credential"
        typer.echo(f"model version {row.id} registered: {row.version} ({stored})")


@model_app.command("list")
def model_list(as_email: AsOption = None) -> None:
    """List models and versions."""
    from clearinghouse.review.service import list_models, list_versions

    with acting_as(as_email) as (session, principal):
        table = Table("model", "name", "version id", "version", "planned release", "credential")
        for model in list_models(session, principal, now=_now()):
            versions: list[ModelVersion | None] = [*list_versions(session, model)] or [None]
            for version in versions:
                if version is None:
                    table.add_row(str(model.id), model.name, "", "", "", "")
                    continue
                table.add_row(
                    str(model.id),
                    model.name,
                    str(version.id),
                    version.version,
                    version.planned_release_at.isoformat(),
                    "set" if version.api_credential_ciphertext else "-",
                )
        Console().print(table)


@review_app.command("submit")
def review_submit(
    model_version_id: Annotated[int, typer.Argument(help="The version to submit")],
    as_email: AsOption = None,
) -> None:
    """Submit a model version for voluntary review."""
    from clearinghouse.review.service import VOLUNTARY_NOTICE, submit_for_review

    with acting_as(as_email) as (session, principal):
        review = submit_for_review(
            session, principal, model_version_id=model_version_id, now=_now()
        )
        typer.echo(
            f"review {review.id} open until {review.window_closes_at.isoformat()}\n"
            f"{VOLUNTARY_NOTICE}"
        )


@review_app.command("list")
def review_list(as_email: AsOption = None) -> None:
    """List the reviews you take part in."""
    from clearinghouse.review.service import list_reviews

    with acting_as(as_email) as (session, principal):
        table = Table("review", "model", "version", "status", "submitted", "window closes")
        for review in list_reviews(session, principal, now=_now()):
            version = review.model_version
            table.add_row(
                str(review.id),
                version.model.name,
                version.version,
                review.status.value
                + (f" ({review.close_reason.value})" if review.close_reason else ""),
                review.submitted_at.isoformat(),
                review.window_closes_at.isoformat(),
            )
        Console().print(table)


@review_app.command("show")
def review_show(
    review_id: Annotated[int, typer.Argument(help="The review's id")],
    as_email: AsOption = None,
) -> None:
    """Show a review, in the redaction your role gets."""
    from clearinghouse.review.schemas import review_out
    from clearinghouse.review.service import review_contents

    with acting_as(as_email) as (session, principal):
        contents = review_contents(session, principal, review_id=review_id, now=_now())
        typer.echo(review_out(contents).model_dump_json(indent=2))


@review_app.command("tick")
def review_tick(
    at: Annotated[
        str | None, typer.Option(help="Act as of this moment (ISO 8601) instead of now")
    ] = None,
) -> None:
    """Close reviews whose window has ended and queue reminders (run it from cron)."""
    from clearinghouse.review.service import tick

    with acting_as(None) as (session, _):
        queued = tick(session, now=_when(at) if at else _now())
        typer.echo(f"{queued} notification(s) queued")


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")
    app.add_typer(review_app, name="review")
