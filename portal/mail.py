"""Outgoing mail: `send_mail` writes the message to the outbox, nothing more.

The row is written in the caller's transaction (with the change that causes the message), due at
once; the worker (`portal.outbox.deliver_due`, run by `portal.jobs`) sends it over SMTP, retries
with back-off and marks one that keeps failing. Nothing here talks to SMTP, so a web request never
waits on a mail server.
"""

import logging
from email.utils import make_msgid
from urllib.parse import urlsplit

from flask import current_app

from .models import OutboxMessage, utcnow
from .text import single_line

log = logging.getLogger("portal.mail")


def message_domain():
    """The host of BASE_URL, for Message-IDs (a stable local name when BASE_URL is unset)."""
    host = urlsplit(current_app.config.get("BASE_URL") or "").hostname
    return host or "binari.localhost"


def send_mail(
    to_address,
    subject,
    body,
    user=None,
    sensitive=False,
    *,
    site=None,
    kind="notice",
    language=None,
    html_body="",
    unsubscribe_url="",
):
    """Queue a message in the outbox (in the caller's transaction); the worker delivers it.

    `sensitive` messages (password links) are hidden from staff in the outbox view. `site` is the
    centre the message is about (staff see only their centres' mail); `language` is the
    recipient's (defaults to the account's, else Italian). `html_body` is a simple HTML
    alternative to the text (without it the worker makes one from the text); `unsubscribe_url`
    (absolute) adds one-click unsubscribe headers.
    """
    subject = single_line(subject)  # a title with a line break must never reach a mail header (or raise there)
    if language is None:
        language = getattr(user, "language", None) or "it"
    message = OutboxMessage.create(
        to_address=to_address,
        subject=" ".join(subject.split())[:200],  # one line: a header never carries a newline
        body=body,
        user=user,
        sensitive=sensitive,
        site=site,
        kind=kind,
        language=language,
        html_body=html_body,
        unsubscribe_url=unsubscribe_url,
        message_id=make_msgid(domain=message_domain()),
        next_attempt_at=utcnow(),
    )
    log.info("mail queued #%s to=%s subject=%s", message.id, to_address, message.subject)
    return message
