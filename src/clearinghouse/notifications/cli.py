"""`clearinghouse webhook ...`: subscriptions and the delivery log."""

from __future__ import annotations

import typer

webhook_app = typer.Typer(
    help="Webhooks and e-mail notifications: subscriptions, deliveries, dead letters.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(webhook_app, name="webhook")
