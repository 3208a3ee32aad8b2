"""E-mail notifications through SMTP (the standard library's smtplib), STARTTLS when configured."""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate

from clearinghouse.notifications.errors import InvalidNotificationField
from clearinghouse.notifications.webhooks import AttemptResult
from clearinghouse.settings import Settings

MAX_ADDRESS_LENGTH = 254


def validate_address(address: str) -> str:
    """A plain `local@domain` address, lower-cased domain; no display names, no header tricks."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or len(address) > MAX_ADDRESS_LENGTH
        or any(c.isspace() or c in '<>,;:"\\()[]' for c in address)
        or not address.isprintable()
    ):
        raise InvalidNotificationField("address", f"{address[:80]!r} is not an e-mail address")
    return f"{local}@{domain.lower()}"


def build_message(
    settings: Settings, *, to: str, subject: str, text: str, message_id: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    # Subjects come from notification kinds and ids: keep them on one line.
    message["Subject"] = " ".join(subject.split())[:200]
    message["Date"] = formatdate(usegmt=True)
    # The delivery's stable id: a retried message carries the same Message-ID.
    message["Message-ID"] = f"<{message_id}@clearinghouse>"
    message.set_content(text)
    return message


def send(settings: Settings, message: EmailMessage) -> AttemptResult:
    """One SMTP conversation; any refusal or network error is a failed attempt."""
    started = time.perf_counter()
    if not settings.smtp_host:
        return _failed(started, None, "CLEARINGHOUSE_SMTP_HOST is not set")
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)
    except smtplib.SMTPResponseException as exc:
        return _failed(started, exc.smtp_code, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:300])
    except smtplib.SMTPRecipientsRefused as exc:
        return _failed(started, None, f"recipients refused: {exc.recipients!r}"[:300])
    except (smtplib.SMTPException, OSError) as exc:
        return _failed(started, None, f"{exc.__class__.__name__}: {exc}"[:300])
    return AttemptResult(True, 250, None, (time.perf_counter() - started) * 1000)


def _failed(started: float, code: int | None, error: str) -> AttemptResult:
    return AttemptResult(False, code, error, (time.perf_counter() - started) * 1000)
