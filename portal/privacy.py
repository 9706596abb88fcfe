"""A person's data: the export (JSON and a readable page) and the deletion of an account.

The core keeps the account and the mail sent to the person; every area adds its
part through the `export` and `erase` slots of its `portal.areas.Area`.
"""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from . import areas, i18n, reminders
from .areas import DataSection
from .db import database
from .models import CalendarFeedToken, LoginAttempt, OutboxMessage, PendingSignup, User
from .templating import ROLE_LABELS
from .urls import external_url

ACCOUNT_LABELS = {
    "name": _l("Nome"),
    "email": _l("E-mail"),
    "phone": _l("Cellulare"),
    "member_code": _l("Codice tessera"),
    "role": _l("Ruolo"),
    "language": _l("Lingua"),
    "text_size": _l("Dimensione del testo"),
    "created_at": _l("Iscritta/o dal"),
}
# Each language written in itself: the names are the same in every interface language.
LANGUAGE_NAMES = dict(i18n.LANGUAGE_NAMES)
TEXT_SIZE_LABELS = {"normal": _l("Normale"), "large": _l("Grande")}
FEED_LABELS = {"url": _l("Indirizzo"), "created_at": _l("Creato il")}
MESSAGE_LABELS = {"to": _l("A"), "subject": _l("Oggetto"), "created_at": _l("Scritto il"), "sent_at": _l("Inviato il")}


def _phone_pattern(e164: str) -> str:
    """A phone number as people write it: with or without the country code, any separators."""
    digits = e164.lstrip("+")
    national = digits[2:] if digits.startswith("39") else digits
    separated = r"[\s./-]*".join(re.escape(d) for d in national)
    return rf"(?:\+?\s*39[\s./-]*|0039[\s./-]*)?{separated}"


def scrub_person(text: str | None, name: str | None, email: str | None, phone: str | None) -> str:
    """Free text with a person's name (each word of it), e-mail and phone replaced by "—"."""
    if not text:
        return text or ""
    patterns = []
    if email:
        patterns.append(re.escape(email))
    if phone:
        patterns.append(_phone_pattern(phone))
    words = sorted({w for w in re.split(r"\s+", name or "") if len(w) >= 3}, key=len, reverse=True)
    if name and name.strip():
        patterns.append(re.escape(name.strip()))
    patterns += [rf"\b{re.escape(w)}\b" for w in words]
    if not patterns:
        return text
    return re.sub("|".join(patterns), "—", text, flags=re.IGNORECASE)


def _messages_to(user: User):
    """Mail the portal wrote to this person: by account, or to their address."""
    condition = OutboxMessage.user == user.id
    if user.email:
        condition |= OutboxMessage.to_address == user.email
    return OutboxMessage.select().where(condition)


def core_sections(user: User) -> list[DataSection]:
    """The account itself and the mail sent to the person."""
    account = {
        "name": user.name,
        "email": user.email,
        "phone": user.phone,
        "member_code": user.member_code,
        "role": user.role,
        "language": user.language,
        "text_size": user.text_size,
        "created_at": user.created_at,
    }
    messages = [
        {
            "to": m.to_address,
            "subject": m.subject,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
            "body": "" if m.sensitive else m.body,
        }
        for m in _messages_to(user).order_by(OutboxMessage.created_at)
    ]
    return [
        DataSection(
            "account",
            _l("Account"),
            [account],
            ACCOUNT_LABELS,
            {"role": ROLE_LABELS, "language": LANGUAGE_NAMES, "text_size": TEXT_SIZE_LABELS},
        ),
        DataSection(
            "messages", _l("Messaggi che ti abbiamo scritto"), messages, dict(MESSAGE_LABELS, body=_l("Testo"))
        ),
        reminders.export(user),
        DataSection("calendar_feed", _l("Link privato del calendario"), _calendar_feed(user), FEED_LABELS),
    ]


def _calendar_feed(user: User) -> list[dict[str, Any]]:
    """The private link of "Le mie cose" as a calendar (`portal.mythings`), if the person made one."""
    row = CalendarFeedToken.get_or_none(CalendarFeedToken.user == user.id)
    if row is None:
        return []
    return [{"url": external_url("mythings.feed", token=row.token), "created_at": row.created_at}]


def everything(user: User) -> list[tuple[Any, str, list[DataSection]]]:
    """[(heading, key, sections)]: the core first, then each area."""
    result: list[tuple[Any, str, list[DataSection]]] = [(_l("Il tuo account"), "account", core_sections(user))]
    result += [(area.title, area.name, sections) for area, sections in areas.export_person(user)]
    return result


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, date):
        return value.isoformat()
    return value


def export_json(user: User) -> dict[str, Any]:
    """The JSON export: ``{"account": {...}, "messages": [...], "<area>": {"<section>": [rows]}}``."""
    data: dict[str, Any] = {}
    for _heading, key, sections in everything(user):
        part = {
            section.key: [{k: _json_value(v) for k, v in row.items()} for row in section.rows] for section in sections
        }
        if key == "account":  # the core's sections stand at the top: the account is one record
            data.update(part, account=part["account"][0])
        else:
            data[key] = part
    return data


def erase_core(user: User) -> None:
    """The account's own traces: the mail written to the person, failed logins with their identifiers."""
    _messages_to(user).model.delete().where(OutboxMessage.id.in_([m.id for m in _messages_to(user)])).execute()
    identifiers = [x.lower() for x in (user.email, user.phone, user.member_code) if x] + [f"user:{user.id}"]
    LoginAttempt.delete().where(LoginAttempt.identifier.in_(identifiers)).execute()
    if user.email:
        PendingSignup.delete().where(PendingSignup.email == user.email.lower()).execute()
    reminders.erase(user)  # reminder preferences, reminders waiting on the phone list
    CalendarFeedToken.delete().where(CalendarFeedToken.user == user.id).execute()  # the link stops working


def delete_account(user: User) -> None:
    """Delete an account: every area frees and anonymises, then the account row is emptied.

    One transaction: either everything is erased or nothing is. The password is
    replaced, which ends every session and remember-me cookie of the account
    (their ids carry a fragment of the password hash).
    """
    with database().atomic():
        areas.erase_person(user)
        erase_core(user)
        user.name = "Account cancellato"  # data, not interface text: the same in every language
        user.email = None
        user.phone = None
        user.language = None
        user.text_size = None
        user.is_active_account = False
        user.set_password(secrets.token_urlsafe(32))
        user.save()
