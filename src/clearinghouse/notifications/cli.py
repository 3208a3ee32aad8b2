"""`clearinghouse webhook ...`: subscriptions, e-mail recipients and the delivery log.

Commands act as the local operator (who manages any organisation's channels with
`--org`; without it, the operators' own channel), or with `--as EMAIL` as that person.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from clearinghouse.clock import SystemClock
from clearinghouse.identity.cli_actor import AsOption, acting_as
from clearinghouse.notifications.models import DeliveryStatus

webhook_app = typer.Typer(
    help="Webhooks and e-mail notifications: subscriptions, deliveries, dead letters.",
    no_args_is_help=True,
)

OrgOption = Annotated[
    str | None,
    typer.Option("--org", help="Organisation slug (default: yours; the operators' without)"),
]
KindOption = Annotated[
    list[str] | None,
    typer.Option("--kind", help="Only these kinds (repeat; e.g. finding.new, review.*)"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON")]


@webhook_app.command("add")
def add_command(
    url: Annotated[str, typer.Argument(help="https:// URL (http:// to loopback hosts)")],
    org: OrgOption = None,
    kind: KindOption = None,
    as_json: JsonOption = False,
    as_email: AsOption = None,
) -> None:
    """Subscribe a URL; prints the signing secret once."""
    from clearinghouse.notifications.schemas import SubscriptionSecretOut
    from clearinghouse.notifications.service import create_subscription
    from clearinghouse.settings import get_settings

    with acting_as(as_email, write=True) as (session, principal):
        created = create_subscription(
            session,
            principal,
            get_settings(),
            url=url,
            kinds=kind or [],
            organisation=org,
            now=SystemClock().now(),
        )
        out = SubscriptionSecretOut.with_secret(created.subscription, created.secret)
    if as_json:
        typer.echo(out.model_dump_json(indent=2))
        return
    console = Console()
    console.print(f"webhook {out.id} -> {out.url}", highlight=False)
    console.print(f"signing secret (shown once): {out.secret}", highlight=False)


@webhook_app.command("list")
def list_command(as_json: JsonOption = False, as_email: AsOption = None) -> None:
    """The webhook subscriptions and e-mail recipients you may see."""
    from clearinghouse.notifications.schemas import RecipientOut, SubscriptionOut
    from clearinghouse.notifications.service import list_email_recipients, list_subscriptions

    with acting_as(as_email, write=False) as (session, principal):
        subs = [SubscriptionOut.of(s) for s in list_subscriptions(session, principal)]
        rcpts = [RecipientOut.of(r) for r in list_email_recipients(session, principal)]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "webhooks": [s.model_dump(mode="json") for s in subs],
                    "email_recipients": [r.model_dump(mode="json") for r in rcpts],
                },
                indent=2,
            )
        )
        return
    table = Table("id", "channel", "organisation", "target", "kinds")
    for s in subs:
        table.add_row(
            str(s.id), "webhook", str(s.organisation_id or "operators"), s.url, _k(s.kinds)
        )
    for r in rcpts:
        org = str(r.organisation_id or "operators")
        table.add_row(str(r.id), "email", org, r.address, _k(r.kinds))
    Console().print(table)


def _k(kinds: list[str]) -> str:
    return " ".join(kinds) or "all"


@webhook_app.command("remove")
def remove_command(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's id")],
    as_email: AsOption = None,
) -> None:
    """Stop delivering to a webhook (its delivery log stays)."""
    from clearinghouse.notifications.service import remove_subscription

    with acting_as(as_email, write=True) as (session, principal):
        remove_subscription(session, principal, subscription_id, now=SystemClock().now())
    Console().print(f"webhook {subscription_id} removed")


@webhook_app.command("rotate-secret")
def rotate_command(
    subscription_id: Annotated[int, typer.Argument(help="The subscription's id")],
    as_email: AsOption = None,
) -> None:
    """A new signing secret, printed once; the old one stops at once."""
    from clearinghouse.notifications.service import rotate_secret
    from clearinghouse.settings import get_settings

    with acting_as(as_email, write=True) as (session, principal):
        rotated = rotate_secret(
            session, principal, get_settings(), subscription_id, now=SystemClock().now()
        )
    Console().print(f"new signing secret (shown once): {rotated.secret}", highlight=False)


@webhook_app.command("email-add")
def email_add_command(
    address: Annotated[str, typer.Argument(help="The e-mail address")],
    org: OrgOption = None,
    kind: KindOption = None,
    as_email: AsOption = None,
) -> None:
    """Send notifications (of some kinds) to an e-mail address."""
    from clearinghouse.notifications.service import add_email_recipient

    with acting_as(as_email, write=True) as (session, principal):
        rcpt = add_email_recipient(
            session,
            principal,
            address=address,
            kinds=kind or [],
            organisation=org,
            now=SystemClock().now(),
        )
        rcpt_id, rcpt_address = rcpt.id, rcpt.address
    Console().print(f"e-mail recipient {rcpt_id}: {rcpt_address}", highlight=False)


@webhook_app.command("email-remove")
def email_remove_command(
    recipient_id: Annotated[int, typer.Argument(help="The recipient's id")],
    as_email: AsOption = None,
) -> None:
    """Stop sending e-mail to a recipient."""
    from clearinghouse.notifications.service import remove_email_recipient

    with acting_as(as_email, write=True) as (session, principal):
        remove_email_recipient(session, principal, recipient_id, now=SystemClock().now())
    Console().print(f"e-mail recipient {recipient_id} removed")


@webhook_app.command("deliveries")
def deliveries_command(
    status: Annotated[
        DeliveryStatus | None, typer.Option(help="Only this status (dead: the dead letters)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    as_json: JsonOption = False,
    as_email: AsOption = None,
) -> None:
    """The delivery log, newest first, with each attempt."""
    from clearinghouse.notifications.schemas import DeliveryOut
    from clearinghouse.notifications.service import list_deliveries

    with acting_as(as_email, write=False) as (session, principal):
        rows = [
            DeliveryOut.of(d)
            for d in list_deliveries(session, principal, status=status, limit=limit)
        ]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in rows], indent=2))
        return
    table = Table("id", "notification", "target", "status", "attempts", "last error")
    for r in rows:
        codes = " ".join(str(a.status_code or "-") for a in r.attempt_log)
        table.add_row(
            r.id,
            str(r.notification_id),
            r.target,
            r.status,
            f"{len(r.attempt_log)} ({codes})" if codes else "0",
            r.last_error or "",
        )
    Console().print(table)


@webhook_app.command("redeliver")
def redeliver_command(
    delivery_id: Annotated[str, typer.Argument(help="The delivery's id (msg_...)")],
    as_email: AsOption = None,
) -> None:
    """Send a dead letter again (same id); the worker's next sweep queues it."""
    from clearinghouse.notifications.service import redeliver

    with acting_as(as_email, write=True) as (session, principal):
        redeliver(session, principal, delivery_id, now=SystemClock().now())
    Console().print(f"delivery {delivery_id} queued again", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(webhook_app, name="webhook")
