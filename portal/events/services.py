"""What the calendar does, apart from the pages: seats and waitlist, series,
posters, descriptions, signed links, notifications."""

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import nh3
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup, escape
from peewee import IntegrityError

from portal.db import database
from portal.images import ImageUploadError, jpeg_within, new_key, open_upload, upload_dir
from portal.mail import send_mail
from portal.models import Site, utcnow

from .models import Event, Registration, to_utc


class AlreadyRegistered(Exception):
    """The person already holds a seat or a waitlist place for this event."""


class RegistrationClosed(Exception):
    """Cancelled, past, not published or without registration."""


# --- seats and waitlist -----------------------------------------------------------
def register(event_id, name, email=None, phone=None, user=None, source="online", added_by=None, language=None):
    """Give a seat if one is free, else a waitlist place. Returns the Registration.

    The seat is taken by a conditional UPDATE (taken + 1 <= capacity) whose row
    count decides, inside one transaction: two requests can never take the
    last seat twice. The partial unique indexes refuse a second registration.
    """
    try:
        with database().atomic():
            event = Event.get_or_none(Event.id == event_id)
            if event is None or event.capacity is None or event.status != "published" or event.starts_at <= utcnow():
                raise RegistrationClosed()
            got_seat = (
                Event.update(taken=Event.taken + 1)
                .where((Event.id == event_id) & (Event.status == "published") & (Event.taken + 1 <= Event.capacity))
                .execute()
            ) == 1
            return Registration.create(
                event=event_id,
                user=user,
                name=name.strip()[:120],
                email=(email or "").strip().lower() or None,
                phone=phone or None,
                status="confirmed" if got_seat else "waitlist",
                source=source,
                added_by=added_by,
                language=language or _request_language(),
            )
    except IntegrityError as exc:  # the transaction rolled back: the seat was given back too
        raise AlreadyRegistered() from exc


def cancel_registration(registration_id):
    """Cancel a registration; a freed seat goes to the first on the waitlist.

    Returns (cancelled registration or None, promoted registration or None).
    """
    with database().atomic():
        reg = Registration.get_or_none(Registration.id == registration_id)
        if reg is None or reg.status == "cancelled":
            return None, None
        was_confirmed = reg.status == "confirmed"
        changed = (
            Registration.update(status="cancelled", cancelled_at=utcnow())
            .where((Registration.id == reg.id) & (Registration.status == reg.status))
            .execute()
        )
        if not changed:
            return None, None
        promoted = None
        if was_confirmed:
            Event.update(taken=Event.taken - 1).where((Event.id == reg.event_id) & (Event.taken > 0)).execute()
            promoted = promote_waitlist(reg.event_id)
        reg.status = "cancelled"
    if promoted:
        notify_promoted(promoted)
    return reg, promoted


def promote_waitlist(event_id):
    """Move the first person in line to a free seat (call inside a transaction)."""
    event = Event.get_by_id(event_id)
    if event.status != "published" or event.starts_at <= utcnow():
        return None
    first = (
        Registration.select()
        .where((Registration.event == event_id) & (Registration.status == "waitlist"))
        .order_by(Registration.created_at, Registration.id)
        .first()
    )
    if first is None:
        return None
    seat = (
        Event.update(taken=Event.taken + 1)
        .where((Event.id == event_id) & (Event.taken + 1 <= Event.capacity))
        .execute()
    )
    if seat != 1:
        return None
    Registration.update(status="confirmed", promoted_at=utcnow(), call_reason="" if first.email else "promoted").where(
        Registration.id == first.id
    ).execute()
    first.status = "confirmed"
    return first


def grow_capacity(event):
    """After staff raised the capacity, fill the new seats from the waitlist."""
    promoted = []
    with database().atomic():
        while True:
            person = promote_waitlist(event.id)
            if person is None:
                break
            promoted.append(person)
    for person in promoted:
        notify_promoted(person)
    return promoted


def _event_words(event):
    from flask_babel import format_datetime

    when = format_datetime(event.starts_at, "EEEE d MMMM y, HH:mm")
    return when, f"{event.site.name}, {event.site.full_address}"


def _request_language():
    from flask import has_request_context
    from flask_babel import get_locale

    return str(get_locale() or "it") if has_request_context() else "it"


def _lang_of(reg):
    """The account's language, else the one the person registered in."""
    if reg.user_id and reg.user and reg.user.language:
        return reg.user.language
    return reg.language or "it"


def notify_promoted(reg):
    """Tell the person promoted from the waitlist: mail, or the staff's phone list."""
    if not reg.email:
        return
    event = reg.event
    with force_locale(_lang_of(reg)):
        when, where = _event_words(event)
        link = url_for("events.event_page", event_id=event.id, _external=True)
        body = _(
            "Ciao %(name)s,\n\nsi è liberato un posto: sei iscritta/o a «%(title)s», %(when)s, %(where)s.\n\n"
            "Se non puoi più venire, annulla qui così il posto passa a un'altra persona:\n%(cancel)s\n\n"
            "Evento: %(link)s\n\nBinari – Kaleidoscopi Metropolitani",
            name=reg.name,
            title=event.title,
            when=when,
            where=where,
            cancel=cancel_link(reg),
            link=link,
        )
        send_mail(
            reg.email,
            _("Binari: hai un posto per «%(title)s»", title=event.title),
            body,
            user=reg.user if reg.user_id else None,
        )


def notify_registered(reg):
    """Confirmation mail with the cancellation link (only where there is an address)."""
    if not reg.email:
        return
    event = reg.event
    with force_locale(_lang_of(reg)):
        when, where = _event_words(event)
        if reg.status == "confirmed":
            head = _("la tua iscrizione a «%(title)s» è confermata.", title=event.title)
        else:
            head = _(
                "l'evento «%(title)s» è al completo: sei in lista d'attesa. Se si libera un posto ti scriviamo.",
                title=event.title,
            )
        body = _(
            "Ciao %(name)s,\n\n%(head)s\n\nQuando: %(when)s\nDove: %(where)s\n\n"
            "Per annullare: %(cancel)s\n\nBinari – Kaleidoscopi Metropolitani",
            name=reg.name,
            head=head,
            when=when,
            where=where,
            cancel=cancel_link(reg),
        )
        send_mail(
            reg.email,
            _("Binari: iscrizione a «%(title)s»", title=event.title),
            body,
            user=reg.user if reg.user_id else None,
        )


def cancel_event(event, reason):
    """Cancel an event and tell everyone registered (mail, or the phone list)."""
    with database().atomic():
        event.status = "cancelled"
        event.cancel_reason = reason
        event.save()
        people = list(
            Registration.select().where((Registration.event == event.id) & (Registration.status != "cancelled"))
        )
        Registration.update(call_reason="cancelled").where(
            (Registration.event == event.id) & (Registration.status != "cancelled") & Registration.email.is_null()
        ).execute()
    for reg in people:
        if reg.email:
            reg.event = event
            with force_locale(_lang_of(reg)):
                when, where = _event_words(event)
                body = _(
                    "Ciao %(name)s,\n\nci dispiace: l'evento «%(title)s» di %(when)s è annullato.\n%(reason)s\n\n"
                    "Binari – Kaleidoscopi Metropolitani",
                    name=reg.name,
                    title=event.title,
                    when=when,
                    reason=reason,
                )
                send_mail(
                    reg.email,
                    _("Binari: «%(title)s» è annullato", title=event.title),
                    body,
                    user=reg.user if reg.user_id else None,
                )
    return people


# --- reminders the day before --------------------------------------------------------------
REMIND_WITHIN = timedelta(hours=26)  # events starting within this window...
REMIND_NOT_AFTER = timedelta(hours=2)  # ...but not about to start
_last_reminder_run = {"at": None}


def send_due_reminders(limit=10):
    """E-mail a reminder to people with a seat at an event starting within a day.

    Each registration is claimed by a conditional UPDATE (reminded_at IS NULL), so
    several workers never send the same reminder twice. People who registered in
    the last day need no reminder. Returns the number sent.
    """
    now = utcnow()
    due = (
        Registration.select(Registration, Event, Site)
        .join(Event)
        .join(Site)
        .where(
            (Registration.status == "confirmed")
            & Registration.reminded_at.is_null()
            & Registration.email.is_null(False)
            & (Event.status == "published")
            & (Event.starts_at > now + REMIND_NOT_AFTER)
            & (Event.starts_at <= now + REMIND_WITHIN)
        )
        .order_by(Event.starts_at)
        .limit(limit * 3)
    )
    sent = 0
    for reg in due:
        if sent >= limit:
            break
        if reg.created_at > reg.event.starts_at - timedelta(hours=24):
            continue  # registered less than a day before: they remember
        claimed = (
            Registration.update(reminded_at=now)
            .where((Registration.id == reg.id) & Registration.reminded_at.is_null())
            .execute()
        )
        if not claimed:
            continue
        with force_locale(_lang_of(reg)):
            when, where = _event_words(reg.event)
            body = _(
                "Ciao %(name)s,\n\nti ricordiamo «%(title)s»: %(when)s, %(where)s.\n\n"
                "Se non puoi venire, annulla qui così il posto passa a un'altra persona:\n%(cancel)s\n\n"
                "Binari – Kaleidoscopi Metropolitani",
                name=reg.name,
                title=reg.event.title,
                when=when,
                where=where,
                cancel=cancel_link(reg),
            )
            send_mail(
                reg.email,
                _("Binari: promemoria per «%(title)s»", title=reg.event.title),
                body,
                user=reg.user if reg.user_id else None,
            )
        sent += 1
    return sent


def maybe_send_reminders():
    """Send due reminders at most every few minutes per process, from ordinary page
    views: reminders must not depend on someone having set up cron."""
    interval = current_app.config.get("EVENT_REMINDER_INTERVAL", 600)
    now = utcnow()
    last = _last_reminder_run["at"]
    if last is not None and (now - last).total_seconds() < interval:
        return 0
    _last_reminder_run["at"] = now
    return send_due_reminders()


GUEST_DATA_DAYS = 180


def purge_guest_contacts(days=GUEST_DATA_DAYS):
    """Forget guests' names and contacts some months after their event.

    Counts and attendance stay (for the centres' reports); people with an account
    keep their history on their own page. Run opportunistically from staff pages,
    so it needs no cron. Returns the number of rows anonymised.
    """
    old_events = Event.select(Event.id).where(Event.ends_at < utcnow() - timedelta(days=days))
    return (
        Registration.update(name="—", email=None, phone=None, call_reason="")
        .where(
            Registration.user.is_null()
            & Registration.event.in_(old_events)
            & ((Registration.email.is_null(False)) | (Registration.phone.is_null(False)) | (Registration.name != "—"))
        )
        .execute()
    )


# --- signed cancellation links -----------------------------------------------------
def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="event-registration-cancel")


def cancel_token(reg):
    # The creation time makes the token specific to this registration row.
    return _serializer().dumps({"r": reg.id, "t": reg.created_at.isoformat(timespec="seconds")})


def cancel_link(reg):
    return url_for("events.guest_cancel", token=cancel_token(reg), _external=True)


def registration_from_token(token):
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    reg = Registration.get_or_none(Registration.id == data.get("r"))
    if reg is None or reg.created_at.isoformat(timespec="seconds") != data.get("t"):
        return None
    return reg


# --- series -------------------------------------------------------------------------
def materialise(series, start_from=None):
    """Create or update the occurrences of a series from its rule.

    Occurrences edited on their own (detached) keep their text and time; dates
    that left the rule are deleted, or cancelled when people registered.
    Returns (created, updated, removed).
    """
    start_from = start_from or (utcnow() - timedelta(days=1)).date()
    wanted = [d for d in series.dates() if d >= start_from]
    existing = {
        e.occurrence_date: e
        for e in Event.select().where((Event.series == series) & (Event.occurrence_date >= start_from))
    }
    counts = {e.id: 0 for e in existing.values()}
    if existing:
        for row in Registration.select(Registration.event, Registration.id).where(
            Registration.event.in_(list(counts)) & (Registration.status != "cancelled")
        ):
            counts[row.event_id] += 1
    created = updated = removed = 0
    grown = []
    now = utcnow()
    shared = {name: getattr(series, name) for name in Event.SHARED}
    shared = {k: (v.id if hasattr(v, "id") else v) for k, v in shared.items()}
    with database().atomic():
        new_rows = []
        for day in wanted:
            starts = to_utc(datetime.combine(day, series.start_time))
            ends = to_utc(datetime.combine(day, series.end_time))
            event = existing.pop(day, None)
            if event is None:
                new_rows.append(
                    dict(
                        shared,
                        series=series.id,
                        occurrence_date=day,
                        starts_at=starts,
                        ends_at=ends,
                        status="published",
                        created_at=now,
                        updated_at=now,
                        created_by=series.created_by_id,
                    )
                )
                created += 1
            elif not event.detached:
                values = dict(shared, starts_at=starts, ends_at=ends, updated_at=now)
                if event.status == "cancelled" and not event.cancel_reason:
                    values["status"] = "published"
                # Never fewer seats than people already holding one.
                if event.taken and (values["capacity"] is None or values["capacity"] < event.taken):
                    values["capacity"] = max(event.taken, event.capacity or 0)
                Event.update(**values).where(Event.id == event.id).execute()
                if (values["capacity"] or 0) > (event.capacity or 0):
                    grown.append(event.id)
                updated += 1
        for batch in range(0, len(new_rows), 100):
            Event.insert_many(new_rows[batch : batch + 100]).execute()
        for event in existing.values():  # dates no longer in the rule
            if counts.get(event.id):
                if event.status != "cancelled":
                    cancel_event(event, _("Questa data è stata tolta dal calendario dell'attività."))
            else:
                event.delete_instance()
            removed += 1
    for event_id in grown:  # more seats: the waiting lists move up
        grow_capacity(Event.get_by_id(event_id))
    return created, updated, removed


# --- posters ---------------------------------------------------------------------
MAX_UPLOAD = 5 * 1024 * 1024
PHONE_BYTES = 60 * 1024
BadImage = ImageUploadError  # the name the staff views catch


def poster_dir():
    return upload_dir("events")


def save_poster(storage):
    """Check, re-encode and resize an uploaded image; returns its stored key.

    Two files: `<key>.jpg` for phones (≤ 60 KB) and `<key>-print.jpg` for flyers.
    """
    image = open_upload(storage, MAX_UPLOAD)
    key = new_key()
    folder = poster_dir()
    printable = image.copy()
    printable.thumbnail((1400, 1400))
    printable.save(folder / f"{key}-print.jpg", "JPEG", quality=85, optimize=True)
    (folder / f"{key}.jpg").write_bytes(jpeg_within(image, PHONE_BYTES))
    return key


def poster_path(key, printable=False):
    if not re.fullmatch(r"[0-9a-f]{24}", key or ""):
        return None
    path = poster_dir() / (f"{key}-print.jpg" if printable else f"{key}.jpg")
    return path if path.exists() else None


# --- descriptions ------------------------------------------------------------------
_URL = re.compile(r"(https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]])")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")


def _inline(text):
    html = str(escape(text))
    html = _URL.sub(lambda m: f'<a href="{m.group(1)}" rel="nofollow noopener">{m.group(1)}</a>', html)
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    return _ITALIC.sub(r"<em>\1</em>", html)


def render_description(text):
    """Plain text with a small Markdown subset: paragraphs, **bold**, *italic*,
    "- " lists, bare links. Escaped first, then sanitised again with nh3."""
    blocks = re.split(r"\n\s*\n", (text or "").replace("\r\n", "\n").strip())
    parts = []
    for block in blocks:
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.startswith(("- ", "* ")) for line in lines):
            parts.append("<ul>" + "".join(f"<li>{_inline(line[2:])}</li>" for line in lines) + "</ul>")
        else:
            parts.append("<p>" + "<br>".join(_inline(line) for line in lines) + "</p>")
    html = nh3.clean(
        "".join(parts),
        tags={"p", "br", "a", "strong", "em", "ul", "li"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https"},
        link_rel="nofollow noopener",
    )
    return Markup(html)


def plain_description(text):
    """The description without markup, for feeds and PDFs."""
    return _BOLD.sub(r"\1", text or "").strip()


# --- PDF caching ------------------------------------------------------------------
def events_etag(kind, rows, extra=""):
    """An ETag from the events' ids and last-modified stamps (changes when any changes)."""
    digest = hashlib.sha256(f"{kind}|{extra}".encode())
    for event_id, updated in rows:
        digest.update(f"{event_id}:{updated.isoformat() if updated else ''};".encode())
    return digest.hexdigest()[:32]


def cache_dir():
    # Beside the uploads (instance/cache/events in production): per installation,
    # and per test database in the tests.
    path = Path(current_app.config["UPLOAD_DIR"]).parent / "cache" / "events"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cached_file(etag, build, ext="pdf"):
    """The document for `etag` from the disk cache, or built and stored (old ones pruned).

    On disk, not in memory: every gunicorn worker shares it, and it survives restarts.
    """
    path = cache_dir() / f"{etag}.{ext}"
    if path.exists():
        return path.read_bytes()
    data = build()
    tmp = path.with_name(f"{etag}.{secrets.token_hex(4)}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    files = sorted(cache_dir().glob(f"*.{ext}"), key=lambda p: p.stat().st_mtime)
    for old in files[:-200]:  # keep the cache small on a small VPS
        old.unlink(missing_ok=True)
    return data


def cached_pdf(etag, build):
    return cached_file(etag, build, "pdf")
