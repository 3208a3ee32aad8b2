"""REST API of notification settings: /api/v1/webhooks, e-mail recipients and the delivery log.

Routes only translate: who is asking (bearer token), now (the app's clock), and the
service that decides and acts. Another organisation's subscription or delivery is a 404,
exactly like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from clearinghouse.api.deps import current_principal, get_clock, get_db, get_settings
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.identity.principal import Principal
from clearinghouse.notifications import service
from clearinghouse.notifications.models import DeliveryStatus
from clearinghouse.notifications.schemas import (
    DeliveryOut,
    RecipientIn,
    RecipientOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionSecretOut,
)
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

router = APIRouter(prefix="/webhooks", tags=["notifications"])

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_ERRORS: dict[int | str, dict[str, Any]] = {code: _PROBLEM for code in (401, 403, 404, 409, 422)}

Who = Annotated[Principal, Depends(current_principal)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Config = Annotated[Settings, Depends(get_settings)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
DeliveryId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^msg_[0-9a-f]{32}$")]


@router.post("", status_code=201, response_model=SubscriptionSecretOut, responses=_ERRORS)
def create_subscription(
    body: SubscriptionIn, principal: Who, db: Db, clock: Now, settings: Config
) -> SubscriptionSecretOut:
    """Subscribe a URL; the answer carries the signing secret, shown this once."""
    with db.session() as session:
        created = service.create_subscription(
            session,
            principal,
            settings,
            url=body.url,
            kinds=body.kinds,
            organisation=body.organisation,
            now=clock.now(),
        )
        return SubscriptionSecretOut.with_secret(created.subscription, created.secret)


@router.get("", response_model=list[SubscriptionOut], responses=_ERRORS)
def list_subscriptions(principal: Who, db: Db) -> list[SubscriptionOut]:
    """Your organisation's webhook subscriptions (every one, for operators)."""
    with db.read_session() as session:
        return [SubscriptionOut.of(s) for s in service.list_subscriptions(session, principal)]


@router.get("/deliveries", response_model=list[DeliveryOut], responses=_ERRORS)
def list_deliveries(
    principal: Who,
    db: Db,
    status: Annotated[DeliveryStatus | None, Query(description="dead: the dead letters")] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_LOG_ROWS)] = 100,
) -> list[DeliveryOut]:
    """The delivery log, newest first, with every attempt's status code, error and duration."""
    with db.read_session() as session:
        return [
            DeliveryOut.of(d)
            for d in service.list_deliveries(session, principal, status=status, limit=limit)
        ]


@router.get("/deliveries/{delivery_id}", response_model=DeliveryOut, responses=_ERRORS)
def get_delivery(delivery_id: DeliveryId, principal: Who, db: Db) -> DeliveryOut:
    with db.read_session() as session:
        return DeliveryOut.of(service.get_delivery(session, principal, delivery_id))


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryOut,
    responses=_ERRORS,
)
def redeliver(delivery_id: DeliveryId, principal: Who, db: Db, clock: Now) -> DeliveryOut:
    """Send a dead letter again (same id, a fresh round of attempts) from the next sweep."""
    with db.session() as session:
        return DeliveryOut.of(service.redeliver(session, principal, delivery_id, now=clock.now()))


@router.get("/email-recipients", response_model=list[RecipientOut], responses=_ERRORS)
def list_recipients(principal: Who, db: Db) -> list[RecipientOut]:
    with db.read_session() as session:
        return [RecipientOut.of(r) for r in service.list_email_recipients(session, principal)]


@router.post("/email-recipients", status_code=201, response_model=RecipientOut, responses=_ERRORS)
def add_recipient(body: RecipientIn, principal: Who, db: Db, clock: Now) -> RecipientOut:
    """E-mail notifications of some kinds (all, when none are named) to an address."""
    with db.session() as session:
        rcpt = service.add_email_recipient(
            session,
            principal,
            address=body.address,
            kinds=body.kinds,
            organisation=body.organisation,
            now=clock.now(),
        )
        return RecipientOut.of(rcpt)


@router.delete("/email-recipients/{recipient_id}", status_code=204, responses=_ERRORS)
def remove_recipient(recipient_id: Id, principal: Who, db: Db, clock: Now) -> Response:
    with db.session() as session:
        service.remove_email_recipient(session, principal, recipient_id, now=clock.now())
    return Response(status_code=204)


@router.post("/{subscription_id}/rotate-secret", response_model=SubscriptionSecretOut)
def rotate_secret(
    subscription_id: Id, principal: Who, db: Db, clock: Now, settings: Config
) -> SubscriptionSecretOut:
    """A new signing secret, shown this once; the old one stops at once."""
    with db.session() as session:
        rotated = service.rotate_secret(
            session, principal, settings, subscription_id, now=clock.now()
        )
        return SubscriptionSecretOut.with_secret(rotated.subscription, rotated.secret)


@router.delete("/{subscription_id}", status_code=204, responses=_ERRORS)
def remove_subscription(subscription_id: Id, principal: Who, db: Db, clock: Now) -> Response:
    """Stop delivering to it; its delivery log stays."""
    with db.session() as session:
        service.remove_subscription(session, principal, subscription_id, now=clock.now())
    return Response(status_code=204)
