"""Delivery of the outbox: the worker sends due messages over SMTP, once each.

A message is due while ``sent_at`` and ``failed_at`` are empty and ``next_attempt_at`` has come.
Before sending, the worker *claims* it with a conditional UPDATE that moves ``next_attempt_at``
forward by a lease and counts the attempt; a second worker that read the same row finds its
UPDATE changing nothing and leaves the message alone, so two workers never send one message
twice. A success sets ``sent_at``; a failure keeps the error and schedules the next try after a
growing pause (`BACKOFF`); after ``MAIL_MAX_ATTEMPTS`` tries the message is marked failed and
shown to admins in /staff/outbox, who can queue it again. A worker that dies between sending
and recording re-sends once the lease has passed: delivery is at least once, never twice in
normal operation.

Every message goes out as text plus a simple HTML alternative: the one given to `send_mail`, else
one made here from the text (`html_from_text`), so mail clients that prefer HTML show the same words,
with clickable links and the right direction for Arabic.

Without ``SMTP_HOST`` (development) the message is written to the log and marked sent.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from flask import current_app
from markupsafe import Markup, escape

from .clock import utcnow
from .db import database
from .i18n import html_lang, text_direction
from .models import OutboxMessage

log = logging.getLogger("portal.outbox")

#: Pause before the 1st, 2nd, … retry; the last one repeats until MAIL_MAX_ATTEMPTS.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
)
#: How long a claimed message is left to the worker that claimed it.
LEASE = timedelta(minutes=10)
#: Messages one run sends at most (the worker ticks every minute).
BATCH = 200


def backoff(attempts: int) -> timedelta:
    """The pause after the `attempts`-th failed try."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def due_filter(now: datetime) -> Any:
    return (
        OutboxMessage.sent_at.is_null()
        & OutboxMessage.failed_at.is_null()
        & OutboxMessage.next_attempt_at.is_null(False)
        & (OutboxMessage.next_attempt_at <= now)
    )


def claim(message_id: int, seen_next_attempt: datetime, now: datetime) -> bool:
    """Take a message for this worker: True when this UPDATE (and no other) moved it."""
    with database().atomic():
        changed = (
            OutboxMessage.update(next_attempt_at=now + LEASE, attempts=OutboxMessage.attempts + 1)
            .where(
                (OutboxMessage.id == message_id)
                & (OutboxMessage.next_attempt_at == seen_next_attempt)
                & OutboxMessage.sent_at.is_null()
                & OutboxMessage.failed_at.is_null()
            )
            .execute()
        )
    return changed == 1


#: An absolute http(s) link as `external_url` writes it; the text around it may not be part of it.
LINK = re.compile(r"https?://[^\s<>\"'«»]+", re.IGNORECASE)
#: Punctuation that ends a sentence after a link rather than belonging to it.
LINK_TAIL = ".,;:!?)]’”"


def _linked(line: str) -> Markup:
    """One line of text, escaped, with its http(s) links made clickable (nothing else becomes a tag)."""
    out, start = [], 0
    for found in LINK.finditer(line):
        url = found.group().rstrip(LINK_TAIL)
        end = found.start() + len(url)
        # dir="ltr": an address reads left to right inside Arabic text too.
        out += [escape(line[start : found.start()]), Markup('<a href="%s" dir="ltr">%s</a>') % (url, url)]
        start = end
    out.append(escape(line[start:]))
    return Markup("").join(out)


def html_from_text(text: str, language: str | None, title: str = "") -> str:
    """A simple HTML version of a plain-text mail: escaped, a paragraph per blank-line block, line
    breaks kept, links clickable, `lang` and `dir` from the language. No styles or remote resources
    (nothing for a mail client to block or fetch)."""
    code = language or "it"
    blocks = [block for block in re.split(r"\n(?:[ \t]*\n)+", text.replace("\r\n", "\n").strip())]
    paragraphs = [Markup("<br>\n").join(_linked(line) for line in block.split("\n")) for block in blocks]
    body = Markup("\n").join(Markup("<p>%s</p>") % paragraph for paragraph in paragraphs)
    return str(
        Markup(
            '<!DOCTYPE html>\n<html lang="%s" dir="%s">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>%s</title>\n</head>\n'
            "<body>\n%s\n</body>\n</html>\n"
        )
        % (html_lang(code), text_direction(code), title, body)
    )


def centre_address(message: OutboxMessage) -> str:
    """The e-mail address of the centre a message is about ("" for none, or a centre without one)."""
    if not message.site_id:
        return ""
    from .models import Site

    site = Site.get_or_none(Site.id == message.site_id)
    address = (site.email or "").strip() if site else ""
    return address if "@" in address and "\n" not in address and "\r" not in address else ""


def build_email(message: OutboxMessage, sender: str) -> EmailMessage:
    """The MIME message: text plus HTML alternative, Message-ID, Date, language, unsubscribe."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at.replace(tzinfo=UTC))
    email["Message-ID"] = message.message_id
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a portal notice
    reply_to = centre_address(message)
    if reply_to:
        # The sender is a no-reply address: a volunteer or resident who answers reaches the centre.
        email["Reply-To"] = reply_to
    if message.unsubscribe_url:
        email["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(message.body)
    html = message.html_body or html_from_text(message.body, message.language, message.subject)
    email.add_alternative(html, subtype="html")
    # After the body: making the message multipart moves Content-* headers into the first part.
    email["Content-Language"] = message.language or "it"
    return email


class Connection:
    """One SMTP session for a run, opened on first use and again after a failure."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self.smtp: smtplib.SMTP | None = None

    def send(self, email: EmailMessage) -> None:
        cfg = self.cfg
        if self.smtp is None:
            smtp = smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=cfg["SMTP_TIMEOUT"])
            try:
                if cfg["SMTP_STARTTLS"]:
                    smtp.starttls()
                if cfg["SMTP_USER"]:
                    smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            except BaseException:
                smtp.close()
                raise
            self.smtp = smtp
        try:
            self.smtp.send_message(email)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


def _record_failure(message: OutboxMessage, error: str, now: datetime, max_attempts: int) -> None:
    attempts = message.attempts + 1  # the claim counted this try
    if attempts >= max_attempts:
        changes = {"failed_at": now, "next_attempt_at": None}
        log.error("mail #%s to %s failed for good after %d tries: %s", message.id, message.to_address, attempts, error)
    else:
        changes = {"next_attempt_at": now + backoff(attempts)}
        log.warning("mail #%s to %s failed (try %d): %s", message.id, message.to_address, attempts, error)
    with database().atomic():
        OutboxMessage.update(error=error[:500], **changes).where(OutboxMessage.id == message.id).execute()


def deliver_due(now: datetime | None = None) -> int:
    """Send every due message once; returns how many were sent. Idempotent and safe to run in
    several workers at once."""
    now = now or utcnow()
    cfg = current_app.config
    due = list(
        OutboxMessage.select()
        .where(due_filter(now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(BATCH)
    )
    connection = Connection(cfg) if cfg.get("SMTP_HOST") else None
    sent = 0
    try:
        for message in due:
            if not claim(message.id, message.next_attempt_at, now):
                continue  # another worker has it
            if connection is None:
                log.info(
                    "mail (no SMTP_HOST, not sent) to=%s subject=%s\n%s",
                    message.to_address,
                    message.subject,
                    message.body,
                )
            else:
                try:
                    connection.send(build_email(message, cfg["MAIL_FROM"]))
                except smtplib.SMTPRecipientsRefused as exc:  # this address only: go on with the others
                    _record_failure(message, str(exc), now, cfg["MAIL_MAX_ATTEMPTS"])
                    continue
                except (OSError, smtplib.SMTPException) as exc:  # the server: stop, the rest stay due
                    _record_failure(message, str(exc) or type(exc).__name__, now, cfg["MAIL_MAX_ATTEMPTS"])
                    break
            with database().atomic():
                OutboxMessage.update(sent_at=utcnow(), next_attempt_at=None, error="").where(
                    OutboxMessage.id == message.id
                ).execute()
            sent += 1
    finally:
        if connection is not None:
            connection.close()
    return sent


def retry(message: OutboxMessage, now: datetime | None = None) -> bool:
    """Queue a failed message again (an admin's action): due now, attempts from zero."""
    with database().atomic():
        changed = (
            OutboxMessage.update(failed_at=None, next_attempt_at=now or utcnow(), attempts=0)
            .where(
                (OutboxMessage.id == message.id)
                & OutboxMessage.failed_at.is_null(False)
                & OutboxMessage.sent_at.is_null()
            )
            .execute()
        )
    return changed == 1


def purge_sent(now: datetime) -> int:
    """Delete sent messages older than OUTBOX_RETENTION_DAYS (and failed ones as old)."""
    before = now - timedelta(days=current_app.config["OUTBOX_RETENTION_DAYS"])
    with database().atomic():
        return (
            OutboxMessage.delete()
            .where(
                (OutboxMessage.created_at < before)
                & (OutboxMessage.sent_at.is_null(False) | OutboxMessage.failed_at.is_null(False))
            )
            .execute()
        )
