"""Pages of notification settings: webhooks, e-mail recipients and the delivery log.

Plain forms, no JavaScript: every change is a POST carrying the session's CSRF token,
answered with a redirect (303) back to the settings page; a new or rotated signing secret
is the one exception, shown on the answer to its POST and never again. Authorisation is
the services' and `identity.policy`'s: another organisation's settings (`?org=`) get the
same 404 page as an organisation that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from clearinghouse.api.deps import PageViewer, get_clock, get_db, get_settings, page_viewer
from clearinghouse.clock import Clock
from clearinghouse.errors import NotFound, Unauthenticated
from clearinghouse.identity.models import Organisation, Role
from clearinghouse.identity.policy import NotificationAction, decide_notifications
from clearinghouse.identity.sessions import csrf_ok
from clearinghouse.notifications import service
from clearinghouse.notifications.errors import NotificationError, UnknownOrganisation
from clearinghouse.notifications.models import DeliveryStatus
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.web.csrf import CsrfRejected
from clearinghouse.web.templating import render

router = APIRouter()

PAGE = "/settings/notifications"
LOG_ROWS = 50
STATUSES = [s.value for s in DeliveryStatus]

Viewer = Annotated[PageViewer, Depends(page_viewer)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Config = Annotated[Settings, Depends(get_settings)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
DeliveryId = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^msg_[0-9a-f]{32}$")]
OrgField = Annotated[str, Form(max_length=64)]
CsrfField = Annotated[str, Form(max_length=512)]


@dataclass(frozen=True)
class Channel:
    """Whose settings a page shows: an organisation's, or (None) the operators' own."""

    organisation_id: int | None
    slug: str  # "" for the operators' channel
    name: str
    picked: str  # what `?org=` said ("" for the viewer's default): carried by the forms


def _login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _check_csrf(viewer: PageViewer, token: str) -> None:
    if viewer.web_session is None or not csrf_ok(viewer.web_session, token):
        raise CsrfRejected("the form's CSRF token does not match your session; reload the page")


def _signed_in_for_change(viewer: PageViewer, token: str) -> None:
    if not viewer.signed_in:
        raise Unauthenticated("log in to change your organisation's notification settings")
    _check_csrf(viewer, token)


def _channel(session: Session, viewer: PageViewer, slug: str | None) -> Channel:
    """The channel `?org=` names, or the viewer's own; one they may not read reads as missing."""
    principal = viewer.principal
    picked = slug = (slug or "").strip()[:64]
    if not slug:
        if principal.role is Role.operator:
            return Channel(None, "", "the operators", "")
        slug = principal.organisation_slug or ""
    missing = UnknownOrganisation(f"organisation: no organisation {slug!r}")
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise missing
    if not decide_notifications(principal, NotificationAction.deliveries_read, org.id):
        raise missing
    return Channel(org.id, org.slug, org.name, picked)


def _back(channel_slug: str, **extra: str) -> str:
    query = {"org": channel_slug, **extra}
    query = {k: v for k, v in query.items() if v}
    return PAGE + (f"?{urlencode(query)}" if query else "")


def _settings_page(
    request: Request,
    viewer: PageViewer,
    db: Database,
    *,
    org: str | None,
    status: str | None = None,
    error: str = "",
    entered: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    wanted = DeliveryStatus(status) if status in STATUSES else None
    principal = viewer.principal
    with db.read_session() as session:
        channel = _channel(session, viewer, org)
        mine = channel.organisation_id
        subscriptions = [
            s for s in service.list_subscriptions(session, principal) if s.organisation_id == mine
        ]
        recipients = [
            r
            for r in service.list_email_recipients(session, principal)
            if r.organisation_id == mine
        ]
        # Operators' lists hold every organisation's rows: read more, keep this channel's.
        deliveries = [
            d
            for d in service.list_deliveries(
                session, principal, status=wanted, limit=service.MAX_LOG_ROWS
            )
            if d.organisation_id == mine
        ][:LOG_ROWS]
        return render(
            request,
            "webhooks.html",
            {
                "channel": channel,
                "subscriptions": subscriptions,
                "recipients": recipients,
                "deliveries": deliveries,
                "statuses": STATUSES,
                "selected_status": wanted.value if wanted else "",
                "log_rows": LOG_ROWS,
                "is_operator": principal.role is Role.operator,
                "error": error,
                "entered": entered or {},  # what the refused form said, to correct it
            },
            status_code=status_code,
        )


def _secret_page(
    request: Request, channel_slug: str, url: str, secret: str, action: str
) -> Response:
    # The secret exists in this one answer: nobody's cache may keep it.
    return render(
        request,
        "webhooks_secret.html",
        {"url": url, "secret": secret, "action": action, "back": _back(channel_slug)},
        headers={"Cache-Control": "no-store"},
    )


def _picked_channel(db: Database, viewer: PageViewer, org: str) -> Channel:
    with db.read_session() as session:
        return _channel(session, viewer, org)


@router.get(PAGE)
def settings_page(
    request: Request, viewer: Viewer, db: Db, org: str | None = None, status: str | None = None
) -> Response:
    if not viewer.signed_in:
        return _login_redirect(request)
    return _settings_page(request, viewer, db, org=org, status=status)


@router.post(f"{PAGE}/webhooks")
def add_webhook(
    request: Request,
    viewer: Viewer,
    db: Db,
    clock: Now,
    settings: Config,
    url: Annotated[str, Form(max_length=2000)] = "",
    kinds: Annotated[str, Form(max_length=2000)] = "",
    org: OrgField = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    channel = _picked_channel(db, viewer, org)
    try:
        with db.session() as session:
            created = service.create_subscription(
                session,
                viewer.principal,
                settings,
                url=url,
                kinds=kinds.split(","),
                organisation=channel.slug or None,
                now=clock.now(),
            )
            shown_url = created.subscription.url
    except NotificationError as exc:
        if isinstance(exc, NotFound):
            raise
        return _settings_page(
            request,
            viewer,
            db,
            org=channel.picked,
            error=str(exc),
            entered={"url": url, "webhook_kinds": kinds},
            status_code=exc.status_code,
        )
    return _secret_page(request, channel.picked, shown_url, created.secret, "created")


@router.post(f"{PAGE}/webhooks/{{subscription_id}}/remove")
def remove_webhook(
    subscription_id: Id,
    viewer: Viewer,
    db: Db,
    clock: Now,
    org: OrgField = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    channel = _picked_channel(db, viewer, org)
    with db.session() as session:
        service.remove_subscription(session, viewer.principal, subscription_id, now=clock.now())
    return RedirectResponse(_back(channel.picked) + "#webhooks", status_code=303)


@router.post(f"{PAGE}/webhooks/{{subscription_id}}/rotate-secret")
def rotate_webhook_secret(
    request: Request,
    subscription_id: Id,
    viewer: Viewer,
    db: Db,
    clock: Now,
    settings: Config,
    org: OrgField = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    channel = _picked_channel(db, viewer, org)
    with db.session() as session:
        rotated = service.rotate_secret(
            session, viewer.principal, settings, subscription_id, now=clock.now()
        )
        shown_url = rotated.subscription.url
    return _secret_page(request, channel.picked, shown_url, rotated.secret, "rotated")


@router.post(f"{PAGE}/email-recipients")
def add_recipient(
    request: Request,
    viewer: Viewer,
    db: Db,
    clock: Now,
    address: Annotated[str, Form(max_length=320)] = "",
    kinds: Annotated[str, Form(max_length=2000)] = "",
    org: OrgField = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    channel = _picked_channel(db, viewer, org)
    try:
        with db.session() as session:
            service.add_email_recipient(
                session,
                viewer.principal,
                address=address,
                kinds=kinds.split(","),
                organisation=channel.slug or None,
                now=clock.now(),
            )
    except NotificationError as exc:
        if isinstance(exc, NotFound):
            raise
        return _settings_page(
            request,
            viewer,
            db,
            org=channel.picked,
            error=str(exc),
            entered={"address": address, "email_kinds": kinds},
            status_code=exc.status_code,
        )
    return RedirectResponse(_back(channel.picked) + "#email", status_code=303)


@router.post(f"{PAGE}/email-recipients/{{recipient_id}}/remove")
def remove_recipient(
    recipient_id: Id,
    viewer: Viewer,
    db: Db,
    clock: Now,
    org: OrgField = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    channel = _picked_channel(db, viewer, org)
    with db.session() as session:
        service.remove_email_recipient(session, viewer.principal, recipient_id, now=clock.now())
    return RedirectResponse(_back(channel.picked) + "#email", status_code=303)


@router.post(f"{PAGE}/deliveries/{{delivery_id}}/redeliver")
def redeliver(
    request: Request,
    delivery_id: DeliveryId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    org: OrgField = "",
    status: Annotated[str, Form(max_length=32)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    channel = _picked_channel(db, viewer, org)
    back_status = status if status in STATUSES else ""
    try:
        with db.session() as session:
            service.redeliver(session, viewer.principal, delivery_id, now=clock.now())
    except NotificationError as exc:
        if isinstance(exc, NotFound):
            raise
        return _settings_page(
            request,
            viewer,
            db,
            org=channel.picked,
            status=back_status,
            error=str(exc),
            status_code=exc.status_code,
        )
    return RedirectResponse(
        _back(channel.picked, status=back_status) + "#deliveries", status_code=303
    )
