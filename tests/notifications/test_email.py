"""E-mail notifications through a real SMTP server (aiosmtpd on a loopback port), both databases.

The server refuses each message's first try with a 451 (as a greylisting server does),
so the same retry machinery as webhooks is exercised; then it accepts.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from clearinghouse.identity.principal import local_operator
from clearinghouse.notifications import service
from clearinghouse.notifications.errors import InvalidNotificationField
from clearinghouse.notifications.models import Channel, DeliveryStatus, NotificationDelivery
from clearinghouse.storage import Database

from .conftest import drain, fast_settings, make_org, notify


@dataclass
class Mailbox:
    greylist: bool = True
    seen: set[str] = field(default_factory=set)
    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        message_id = str(message["Message-ID"])
        if self.greylist and message_id not in self.seen:
            self.seen.add(message_id)
            return "451 4.7.1 Greylisted, try again later"
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def test_email_recipients_get_their_kinds_through_smtp_after_a_retry(
    db: Database, db_url: str, encryption_key: str, smtp_server: tuple[Mailbox, int]
) -> None:
    mailbox, port = smtp_server
    settings = fast_settings(
        db_url, encryption_key, smtp_host="127.0.0.1", smtp_port=port, smtp_from="ch@ops.example"
    )
    grid, water = make_org(db, "gridco"), make_org(db, "waterco")
    with db.session() as session:
        for address, org, kinds in [
            ("soc@gridco.example", "gridco", ["finding.new"]),
            ("Ciso@GridCo.Example", "gridco", ["review.*"]),
            ("soc@waterco.example", "waterco", []),
        ]:
            service.add_email_recipient(
                session,
                local_operator(),
                address=address,
                kinds=kinds,
                organisation=org,
                now=datetime.now(UTC),
            )
    notify(db, [grid, water], 2, kind="finding.new")

    drain(db, settings)

    delivered = sorted((rcpts[0], str(msg["Subject"])) for rcpts, msg in mailbox.messages)
    assert delivered == [
        ("soc@gridco.example", "[clearinghouse] finding.new: inventory 0"),
        ("soc@gridco.example", "[clearinghouse] finding.new: inventory 1"),
        ("soc@waterco.example", "[clearinghouse] finding.new: inventory 0"),
        ("soc@waterco.example", "[clearinghouse] finding.new: inventory 1"),
    ]
    assert all(msg["From"] == "ch@ops.example" for _, msg in mailbox.messages)
    assert all(len(rcpts) == 1 for rcpts, _ in mailbox.messages)
    with db.read_session() as session:
        deliveries = session.scalars(select(NotificationDelivery)).all()
        assert {d.channel for d in deliveries} == {Channel.email}
        assert {d.status for d in deliveries} == {DeliveryStatus.delivered}
        # The greylisting 451, then the 250; the Message-ID is the delivery's stable id.
        assert {tuple(a.status_code for a in d.attempt_log) for d in deliveries} == {(451, 250)}
        ids = {f"<{d.public_id}@clearinghouse>" for d in deliveries}
    assert {str(msg["Message-ID"]) for _, msg in mailbox.messages} == ids


def test_an_unreachable_smtp_server_dead_letters_the_email(
    db: Database, db_url: str, encryption_key: str
) -> None:
    settings = fast_settings(
        db_url,
        encryption_key,
        smtp_host="127.0.0.1",
        smtp_port=_free_port(),
        webhook_max_attempts=2,
    )
    grid = make_org(db, "gridco")
    with db.session() as session:
        service.add_email_recipient(
            session,
            local_operator(),
            address="soc@gridco.example",
            organisation="gridco",
            now=datetime.now(UTC),
        )
    notify(db, [grid], 1)

    outcomes = drain(db, settings)

    assert [o.status for o in outcomes] == [DeliveryStatus.pending, DeliveryStatus.dead]
    assert all("ConnectionRefused" in (o.attempt.error or "") for o in outcomes if o.attempt)


@pytest.mark.parametrize(
    "address",
    ["", "no-at-sign", "a@b", "x@y.example\r\nBcc: z@evil.example", "Name <a@b.example>"],
)
def test_an_address_that_is_not_one_is_refused(address: str) -> None:
    from clearinghouse.notifications.email import validate_address

    with pytest.raises(InvalidNotificationField, match="address"):
        validate_address(address)
