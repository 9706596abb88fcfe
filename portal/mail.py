"""Outgoing mail. Every message is kept in the outbox table; with SMTP settings
it is also sent, otherwise (development) it is written to the log."""

import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from .models import OutboxMessage, utcnow
from .text import single_line

log = logging.getLogger("portal.mail")


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
    """Keep the message in the outbox and deliver it if SMTP is configured.

    `sensitive` messages (password links) are hidden from staff in the outbox view. `site` is the
    centre the message is about (staff see only their centres' mail); `language` is the
    recipient's (defaults to the account's, else Italian).
    """
    subject = single_line(subject)  # a title with a line break must never reach a mail header (or raise there)
    if language is None:
        language = getattr(user, "language", None) or "it"
    message = OutboxMessage.create(
        to_address=to_address,
        subject=subject[:200],
        body=body,
        user=user,
        sensitive=sensitive,
        site=site,
        kind=kind,
        language=language,
        html_body=html_body,
        unsubscribe_url=unsubscribe_url,
    )
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        log.info("mail (not sent, no SMTP_HOST) to=%s subject=%s\n%s", to_address, subject, body)
        return message
    email = EmailMessage()
    email["From"] = cfg["MAIL_FROM"]
    email["To"] = to_address
    email["Subject"] = subject
    email.set_content(body)
    try:
        with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=10) as smtp:
            if cfg["SMTP_STARTTLS"]:
                smtp.starttls()
            if cfg["SMTP_USER"]:
                smtp.login(cfg["SMTP_USER"], cfg["SMTP_PASSWORD"])
            smtp.send_message(email)
        message.sent_at = utcnow()
    except (OSError, smtplib.SMTPException) as exc:  # keep it in the outbox; staff can see the error
        log.warning("mail to %s failed: %s", to_address, exc)
        message.error = str(exc)[:500]
    message.save()
    return message
