"""The volunteer rules: take places, cancel, promote from the waitlist, create and change
shifts, the coordinator's actions on sign-ups, and telling people (in their language).

Every write that touches places runs in one transaction with the conditional
UPDATE of `Shift.reserve` (or of the capacity); mail goes out after the commit (an
SMTP server that is slow never holds the database lock). Views validate a form,
call one function here and render; a refusal is a `SignupError` (a `Refusal`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from functools import partial
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_datetime, format_time, ngettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from peewee import JOIN, IntegrityError, fn

from portal.areas import PhoneCall
from portal.clock import local_date, to_utc, utcnow
from portal.db import database
from portal.mail import send_mail
from portal.models import Site, User, closed_days
from portal.phrases import Phrase, phrase, shown, stored
from portal.recurrence import occurrence_dates, split_closed
from portal.refusals import Refusal
from portal.urls import external_url

from .models import ACTIVE, CANCELLED, WAITLIST, Notice, Opportunity, Profile, Shift, Signup, csv_codes

STAFF_PREFIX = "/staff/volunteer"


class SignupError(Refusal):
    """A sign-up (or a change to shifts) refused, with a message for the person.

    ``full`` is True when the refusal is for lack of places (the page then offers the waitlist).
    """

    def __init__(
        self, message: str, status: int = 422, field: str | None = None, full: bool = False, duplicate: bool = False
    ) -> None:
        super().__init__(message, status=status, field=field)
        self.full = full
        self.duplicate = duplicate  # the person (address, number or account) is already on the shift


def when_text(shift: Shift) -> str:
    """'sabato 5 dicembre 2026, 09:00–12:30' in the active locale."""
    return f"{format_datetime(shift.starts_at, 'EEEE d MMMM y, HH:mm')}–{format_time(shift.ends_at, 'HH:mm')}"


# --- signed links for guests ---------------------------------------------------
def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="volunteer-signup")


def signup_token(signup: Signup) -> str:
    # The nonce makes a link unguessable even for someone who knows the row id.
    return str(_serializer().dumps({"i": signup.id, "n": signup.nonce}))


def signup_from_token(token: str) -> Signup | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    signup = (
        Signup.select(Signup, Shift, Opportunity, Site)
        .join(Shift)
        .join(Opportunity)
        .join(Site)
        .where(Signup.id == data.get("i"))
        .first()
    )
    if signup is None or signup.nonce != data.get("n"):
        return None
    return signup


def manage_url(signup: Signup) -> str:
    return external_url("volunteer.guest_signup", token=signup_token(signup))


def _confirm_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="volunteer-confirm")


def confirm_token(signup: Signup) -> str:
    """A second, different token, only ever sent by e-mail: it proves the address."""
    return str(_confirm_serializer().dumps({"i": signup.id, "n": signup.nonce}))


def signup_from_confirm_token(token: str) -> Signup | None:
    try:
        data = _confirm_serializer().loads(token)
    except BadSignature:
        return None
    signup = Signup.get_or_none(Signup.id == data.get("i"))
    return signup if signup is not None and signup.nonce == data.get("n") else None


def confirm_guest(signup: Signup) -> bool:
    """The guest opened the mailed link: the sign-up is confirmed. False when nothing changed."""
    if signup.status == CANCELLED or signup.confirmed:
        return False
    return bool(Signup.update(confirmed=True).where(Signup.id == signup.id).execute())


# --- sign up ------------------------------------------------------------------
def overlapping(shift: Shift, user: Any = None, phone: str | None = None, email: str | None = None) -> list[Signup]:
    """Live sign-ups of the same person on other shifts that overlap `shift`."""
    cond = None
    for key, value in (
        (Signup.key_user, user.id if user else None),
        (Signup.key_phone, phone or None),
        (Signup.key_email, (email or "").lower() or None),
    ):
        if value is not None:
            cond = (key == value) if cond is None else (cond | (key == value))
    if cond is None:
        return []
    return list(
        Signup.select(Signup, Shift, Opportunity)
        .join(Shift)
        .join(Opportunity)
        .where(
            cond
            & (Signup.status == ACTIVE)
            & (Shift.id != shift.id)
            & Shift.cancelled_at.is_null()
            & (Shift.starts_at < shift.ends_at)
            & (Shift.ends_at > shift.starts_at)
        )
    )


def sign_up(
    shift: Shift,
    *,
    user: User | None = None,
    name: str = "",
    phone: str = "",
    email: str = "",
    party: int = 1,
    companions: str = "",
    waitlist_ok: bool = False,
    walk_in: bool = False,
    by_staff: bool = False,
    lang: str = "it",
) -> Signup:
    """Put a person on a shift (or its waitlist); raises SignupError with a clear message."""
    now = utcnow()
    if shift.is_cancelled:
        raise SignupError(_("Questo turno è stato annullato."), status=409)
    if not walk_in and shift.starts_at <= now:
        raise SignupError(_("Il turno è già iniziato: non è più possibile iscriversi."), status=409)
    if party < 1:
        raise SignupError(_("Il numero di persone non è valido."), field="party")
    if party > shift.capacity:  # could never be promoted from the waitlist either
        raise SignupError(
            _("Questo turno ha %(n)d posti in tutto: riduci il numero di persone.", n=shift.capacity), field="party"
        )
    if user is not None:
        name, phone, email = user.name, user.phone or "", user.email or ""
        lang = user.language or lang
    email = (email or "").strip().lower()
    signup = Signup(
        shift=shift,
        user=user,
        name=name.strip(),
        phone=phone or "",
        email=email,
        party=party,
        companions=companions.strip(),
        confirmed=user is not None or by_staff,
        walk_in=walk_in,
        lang=lang,
        key_user=user.id if user else None,
        key_phone=phone or None,
        key_email=email or None,
    )
    if walk_in:
        signup.attended, signup.minutes_served = True, shift.minutes
    try:
        with database().atomic():
            if user is not None:
                claimed = _account_wins(shift, user)
                if claimed is not None:
                    return claimed
            if shift.reserve(party):
                signup.status = ACTIVE
            elif waitlist_ok and not walk_in:
                signup.status = WAITLIST
            else:
                raise _Full()
            signup.save()
    except IntegrityError:
        raise SignupError(
            _("Questa persona è già iscritta a questo turno (o è in lista d'attesa)."), status=409, duplicate=True
        ) from None
    except _Full:
        left = Shift.get_by_id(shift.id).places_left
        if left == 0:
            message = _("Il turno è pieno. Puoi metterti in lista d'attesa: se si libera un posto ti avvisiamo.")
        else:
            message = ngettext(
                "Resta solo %(num)d posto: riduci il numero di persone o mettiti in lista d'attesa.",
                "Restano solo %(num)d posti: riduci il numero di persone o mettiti in lista d'attesa.",
                left,
            )
        raise SignupError(message, status=409, full=True) from None
    return signup


class _Full(Exception):
    pass


def _account_wins(shift: Shift, user: User) -> Signup | None:
    """Inside sign_up's transaction: guest sign-ups with the account's address or number make way.

    An unconfirmed one is cancelled (its places are freed for the account); a confirmed one
    (the address was proved, or the coordinator confirmed) becomes the account's and is returned.
    """
    match = None
    for key, value in ((Signup.key_email, (user.email or "").lower() or None), (Signup.key_phone, user.phone or None)):
        if value is not None:
            match = (key == value) if match is None else (match | (key == value))
    if match is None:
        return None
    guests = Signup.select().where((Signup.shift == shift.id) & Signup.user.is_null() & match)
    for guest in list(guests):
        if guest.status == CANCELLED:
            continue
        if guest.confirmed:
            Signup.update(user=user.id, key_user=user.id).where(Signup.id == guest.id).execute()
            guest.user = user
            return guest
        changed = (
            Signup.update(status=CANCELLED, cancelled_at=utcnow(), key_user=None, key_phone=None, key_email=None)
            .where((Signup.id == guest.id) & (Signup.status == guest.status))
            .execute()
        )
        if changed and guest.status == ACTIVE:
            shift.release(guest.party)
    return None


def guest_join(
    shift: Shift,
    *,
    name: str,
    phone: str,
    email: str,
    party: int = 1,
    companions: str = "",
    waitlist_ok: bool = False,
    lang: str = "it",
) -> str:
    """A guest asks for a place: limits, an unconfirmed sign-up, a mail with fixed text or a call.

    Returns "mail" or "phone" (how the guest confirms). The answer is the same when the
    address or number is already on the shift: the mail says so, the page never does.
    Over a limit: TooManyGuestRequests (429); no room or closed: SignupError.
    """
    from portal.guests import admit

    admit("volunteer", shift.id)
    email = (email or "").strip().lower()
    try:
        signup = sign_up(
            shift,
            name=name,
            phone=phone,
            email=email,
            party=party,
            companions=companions,
            waitlist_ok=waitlist_ok,
            lang=lang,
        )
    except SignupError as exc:
        if not exc.duplicate:
            raise
        if email:
            send_already_signed_up(shift, email, lang)
        return "mail" if email else "phone"
    if signup.email:
        send_confirmation(signup, shift)
    else:
        _phone_to_confirm(signup, shift)
    return "mail" if email else "phone"


def _phone_to_confirm(signup: Signup, shift: Shift) -> None:
    """A guest with only a phone number: on the coordinator's list to call and confirm."""
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "it")):
        message, reason_phrase = stored(
            phrase(
                "Iscrizione online da confermare: %(title)s, %(when)s",
                title=shift.opportunity.title,
                when=when_text(shift),
            )
        )
    Notice.create(
        site=shift.opportunity.site_id,
        shift=shift.id,
        signup=signup.id,
        name=signup.name,
        phone=signup.phone,
        message=message,
        reason_phrase=reason_phrase,
    )


def unconfirmed_deadline(signup: Signup) -> Any:
    """Until when a guest's unconfirmed sign-up holds its place (from sign-up or promotion)."""
    from portal.guests import confirm_deadline

    return confirm_deadline(bool(signup.email), signup.promoted_at or signup.created_at)


def expire_unconfirmed(now: Any = None) -> int:
    """Job: cancel guest sign-ups not confirmed in time; places go to the waitlist. Idempotent.

    A guest with only a phone number is put on the coordinator's list (expired), never dropped silently.
    """
    from portal.guests import setting

    now = now or utcnow()
    since = fn.COALESCE(Signup.promoted_at, Signup.created_at)
    mail_due = (Signup.email != "") & (since < now - timedelta(minutes=setting("GUEST_CONFIRM_MINUTES")))
    phone_due = (Signup.email == "") & (since < now - timedelta(hours=setting("GUEST_PHONE_CONFIRM_HOURS")))
    candidates = (
        Signup.select(Signup, Shift, Opportunity)
        .join(Shift)
        .join(Opportunity)
        .where(
            Signup.user.is_null()
            & (Signup.confirmed == False)  # noqa: E712
            & (Signup.walk_in == False)  # noqa: E712
            & Signup.status.in_([ACTIVE, WAITLIST])
            & (mail_due | phone_due)
        )
    )
    count = 0
    for signup in list(candidates.limit(500)):
        with database().atomic():
            promoted = _cancel_quietly(signup)
        if promoted is None:
            continue
        count += 1
        tell_promoted(promoted)
        if not signup.email:
            shift = signup.shift
            with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "it")):
                message, reason_phrase = stored(
                    phrase(
                        "Iscrizione scaduta (non confermata in tempo): %(title)s, %(when)s",
                        title=shift.opportunity.title,
                        when=when_text(shift),
                    )
                )
            Notice.create(
                site=shift.opportunity.site_id,
                shift=shift.id,
                signup=signup.id,
                name=signup.name,
                phone=signup.phone,
                message=message,
                reason_phrase=reason_phrase,
            )
    return count


def expire_unconfirmed_job(now: Any) -> int:
    """Scheduled (every minute): see expire_unconfirmed."""
    return expire_unconfirmed(now)


def join_shift(
    shift: Shift,
    *,
    user: User | None = None,
    name: str = "",
    phone: str = "",
    email: str = "",
    party: int = 1,
    companions: str = "",
    waitlist_ok: bool = False,
    lang: str = "it",
) -> tuple[Signup, list[Signup]]:
    """Someone signs up online: the sign-up, the confirmation link mailed to a guest with an
    e-mail address, and the person's other shifts at the same time (for a warning).
    """
    signup = sign_up(
        shift,
        user=user,
        name=name,
        phone=phone,
        email=email,
        party=party,
        companions=companions,
        waitlist_ok=waitlist_ok,
        lang=lang,
    )
    if user is None and signup.email:
        send_confirmation(signup, shift)
    elif user is not None and signup.email:
        send_member_confirmation(signup, shift)
    return signup, overlapping(shift, user=user, phone=signup.key_phone, email=signup.key_email)


def add_walk_in(shift: Shift, *, name: str, phone: str | None, party: int, arrived: bool) -> Signup:
    """The desk adds someone who came without signing up (present), or signs someone up by phone.

    A phone that belongs to an account gives that account the hours.
    """
    user = User.get_or_none(User.phone == phone) if phone else None
    try:
        # Unticked "already here": a sign-up taken by phone or at the desk, before the shift.
        return sign_up(shift, user=user, name=name, phone=phone or "", party=party, walk_in=arrived, by_staff=True)
    except SignupError as exc:
        if exc.full:
            raise SignupError(
                _("Il turno è pieno: aumenta i posti (Modifica) per aggiungere chi è venuto."), status=422, full=True
            ) from None
        raise SignupError(exc.message, status=422) from None


# --- cancel and promote -------------------------------------------------------------
def promote(shift: Shift) -> list[Signup]:
    """Give freed places to the waitlist, first in line first (those whose party fits).

    Runs inside the caller's transaction; returns the promoted sign-ups.
    """
    promoted = []
    queue = (
        Signup.select()
        .where((Signup.shift == shift.id) & (Signup.status == WAITLIST))
        .order_by(Signup.created_at, Signup.id)
    )
    for waiting in queue:
        if not shift.reserve(waiting.party):
            continue
        # A promoted guest confirms again (by the mailed link, or the coordinator after a call):
        # the roster shows who has not answered yet.
        confirmed = waiting.user_id is not None
        changed = (
            Signup.update(status=ACTIVE, promoted_at=utcnow(), confirmed=confirmed)
            .where((Signup.id == waiting.id) & (Signup.status == WAITLIST))
            .execute()
        )
        if changed:
            waiting.status, waiting.confirmed = ACTIVE, confirmed
            promoted.append(waiting)
        else:
            shift.release(waiting.party)
    return promoted


def _cancel_quietly(signup: Signup) -> list[Signup] | None:
    """Cancel in the caller's transaction; the promoted sign-ups, or None when already cancelled."""
    current = Signup.get_by_id(signup.id)
    if current.status == CANCELLED:
        return None
    changed = (
        Signup.update(status=CANCELLED, cancelled_at=utcnow(), key_user=None, key_phone=None, key_email=None)
        .where((Signup.id == current.id) & (Signup.status == current.status))
        .execute()
    )
    if not changed:
        return None
    if current.status != ACTIVE:
        return []
    shift = Shift.get_by_id(current.shift_id)
    shift.release(current.party)
    return promote(shift)


def cancel_signup(signup: Signup) -> bool:
    """Cancel a sign-up, free its places and promote from the waitlist; tells the promoted.

    Returns False when it was already cancelled.
    """
    with database().atomic():
        promoted = _cancel_quietly(signup)
    if promoted is None:
        return False
    signup.status = CANCELLED
    tell_promoted(promoted)
    return True


def move_to_waitlist(signup: Signup) -> bool:
    """Coordinator: an active sign-up goes to the end of the waitlist, freeing its places."""
    with database().atomic():
        changed = (
            Signup.update(status=WAITLIST, created_at=utcnow())
            .where((Signup.id == signup.id) & (Signup.status == ACTIVE))
            .execute()
        )
        if changed:
            Shift.get_by_id(signup.shift_id).release(signup.party)
    return bool(changed)


def change_capacity(shift: Shift, capacity: int) -> list[Signup] | None:
    """Set a new number of places; refuse below the places already taken. Promotes on growth.

    The conditional UPDATE (``WHERE taken <= capacity``) decides: None when refused.
    """
    with database().atomic():
        changed = (
            Shift.update(capacity=capacity, changed_at=utcnow())
            .where((Shift.id == shift.id) & (Shift.taken <= capacity))
            .execute()
        )
        if not changed:
            return None
        fresh = Shift.get_by_id(shift.id)
        promoted = promote(fresh)
    return promoted


def may_cancel(signup: Signup, now: Any = None) -> bool:
    """People cancel themselves until the cut-off (waitlist entries any time before the start)."""
    now = now or utcnow()
    if signup.status == WAITLIST:
        return bool(signup.shift.starts_at > now)
    return bool(signup.status == ACTIVE and now < signup.shift.cancel_deadline())


def cutoff_passed_message(shift: Shift) -> str:
    return _(
        "Non è più possibile disdire online (il termine era %(hours)d ore prima dell'inizio). "
        "Avvisa il coordinamento del centro.",
        hours=shift.opportunity.cancel_cutoff_hours,
    )


def cancel_own_signup(signup: Signup) -> bool:
    """A person cancels their own sign-up (account or signed link), until the cut-off.

    Raises SignupError when the cut-off has passed; False when it was already cancelled.
    """
    if signup.status == CANCELLED:
        return False
    if not may_cancel(signup):
        raise SignupError(cutoff_passed_message(signup.shift))
    return cancel_signup(signup)


# --- the coordinator on one sign-up -------------------------------------------------------
def _removed_texts(signup: Signup, shift: Shift) -> tuple[Any, str]:
    return (
        phrase("Iscrizione tolta: %(title)s", title=shift.opportunity.title),
        _(
            "Ciao %(name)s,\n\nil coordinamento ha tolto la tua iscrizione al turno %(title)s, %(when)s. "
            "Per chiarimenti chiama il centro: %(phone)s.",
            name=signup.name,
            title=shift.opportunity.title,
            when=when_text(shift),
            phone=shift.opportunity.site.phone,
        ),
    )


def _waitlisted_texts(signup: Signup, shift: Shift) -> tuple[Any, str]:
    return (
        phrase("Sei in lista d'attesa: %(title)s", title=shift.opportunity.title),
        _(
            "Ciao %(name)s,\n\nil coordinamento ha dovuto ridurre i posti del turno %(title)s, %(when)s: "
            "ora sei in lista d'attesa. Se si libera un posto ti avvisiamo.",
            name=signup.name,
            title=shift.opportunity.title,
            when=when_text(shift),
        ),
    )


def _tell_one(signup: Signup, shift: Shift, texts: Callable[[Signup, Shift], tuple[Any, str]]) -> None:
    """Tell one person what the coordinator did to their sign-up (in their language)."""
    tell([signup], lambda s: texts(s, shift)[0], lambda s: texts(s, shift)[1], shift.opportunity.site_id)


def confirm_signup(signup: Signup) -> bool:
    """Coordinator: the person confirmed (by phone, at the desk)."""
    return bool(Signup.update(confirmed=True).where(Signup.id == signup.id).execute())


def remove_signup(signup: Signup, shift: Shift) -> bool:
    """Coordinator: take someone off a shift (places go to the waitlist); they are told."""
    cancelled = cancel_signup(signup)
    if cancelled and not shift.is_cancelled:
        _tell_one(signup, shift, _removed_texts)
    return cancelled


def waitlist_signup(signup: Signup, shift: Shift) -> bool:
    """Coordinator: an active sign-up goes to the end of the waitlist; they are told."""
    moved = move_to_waitlist(signup)
    if moved:
        _tell_one(signup, shift, _waitlisted_texts)
    return moved


def promote_signup(signup: Signup, shift: Shift) -> Signup:
    """Coordinator: give a waiting person a place now; SignupError (409) when it is not there."""
    with database().atomic() as txn:
        ok = shift.reserve(signup.party)
        if ok:
            ok = (
                Signup.update(status=ACTIVE, promoted_at=utcnow())
                .where((Signup.id == signup.id) & (Signup.status == WAITLIST))
                .execute()
                == 1
            )
            if not ok:
                txn.rollback()  # not on the waitlist any more: give the places back
    if not ok:
        raise SignupError(_("Non ci sono abbastanza posti liberi per %(name)s.", name=signup.name), status=409)
    promoted = Signup.get_by_id(signup.id)
    tell_promoted([promoted])
    return promoted


def mark_attendance(shift: Shift, present: Iterable[int]) -> int:
    """Who came: present people get the shift's hours on their record. Returns how many came."""
    wanted = set(present)
    ids = [s.id for s in live_signups(shift, include_waitlist=False)]
    with database().atomic():
        Signup.update(attended=True, minutes_served=shift.minutes).where(
            Signup.id.in_([i for i in ids if i in wanted])
        ).execute()
        absent = [i for i in ids if i not in wanted]
        Signup.update(attended=False, minutes_served=0).where(Signup.id.in_(absent)).execute()
    return len(wanted & set(ids))


def live_signups(shift: Shift, include_waitlist: bool = True) -> list[Signup]:
    statuses = [ACTIVE, WAITLIST] if include_waitlist else [ACTIVE]
    return list(
        Signup.select()
        .where((Signup.shift == shift) & Signup.status.in_(statuses))
        .order_by(Signup.status, Signup.created_at, Signup.id)
    )


def message_shift(shift: Shift, subject: str, body: str, include_waitlist: bool) -> tuple[list[Signup], list[Signup]]:
    """The coordinator writes to everyone on a shift. Returns (mailed, to_phone)."""
    people = live_signups(shift, include_waitlist=include_waitlist)
    return tell(
        people,
        lambda s: subject,
        lambda s: body + "\n\n— " + shift.opportunity.title + ", " + when_text(shift),
        shift.opportunity.site_id,
    )


# --- opportunities and profiles ------------------------------------------------------------
def save_opportunity(opp: Opportunity, **values: Any) -> Opportunity:
    """Create or change an opportunity from the form's values (codes as lists)."""
    cutoff, max_party = values.get("cancel_cutoff_hours"), values.get("max_party")
    opp.site = values["site"]
    opp.title = values["title"]
    opp.activity = values["activity"]
    opp.description = values.get("description") or ""
    opp.requirements = values.get("requirements") or ""
    opp.skills = csv_codes(values.get("skills") or [])
    opp.languages = csv_codes(values.get("languages") or [])
    opp.coordinator = values.get("coordinator") or None
    opp.cancel_cutoff_hours = 12 if cutoff is None else cutoff
    opp.max_party = 3 if max_party is None else max_party
    opp.is_active = bool(values.get("is_active"))
    with database().atomic():
        opp.save()
    return opp


def save_profile(
    profile: Profile,
    *,
    skills: Sequence[str],
    languages: Sequence[str],
    availability: Sequence[str],
    site: int | None,
    notes: str,
    in_directory: bool,
) -> None:
    Profile.update(
        skills=csv_codes(skills),
        languages=csv_codes(languages),
        availability=csv_codes(availability),
        site=site or None,
        notes=notes or "",
        in_directory=in_directory,
        updated_at=utcnow(),
    ).where(Profile.id == profile.id).execute()


def directory(site: Site, *, skill: str = "", language: str = "", limit: int = 100) -> tuple[list[Profile], dict]:
    """Volunteers of a centre: who chose it or served there (not cancelled), in the directory,
    with an active account; filtered by skill and language. Returns (profiles, {user_id: minutes})."""
    served_here = (
        Signup.select(Signup.user)
        .join(Shift)
        .join(Opportunity)
        .where((Opportunity.site == site) & Signup.user.is_null(False) & (Signup.status != CANCELLED))
    )
    query = (
        Profile.select(Profile, User)
        .join(User)
        .where(Profile.in_directory & User.is_active_account & ((Profile.site == site) | Profile.user.in_(served_here)))
    )
    if skill:
        query = query.where(Profile.skills.contains(f",{skill},"))
    if language:
        query = query.where(Profile.languages.contains(f",{language},"))
    people = list(query.order_by(User.name).limit(limit))
    minutes: dict = {}
    if people:
        minutes = dict(
            Signup.select(Signup.user, fn.SUM(Signup.minutes_served))
            .where(Signup.user.in_([p.user_id for p in people]) & (Signup.attended == True))  # noqa: E712
            .group_by(Signup.user)
            .tuples()
        )
    return people, minutes


# --- creating and changing shifts ------------------------------------------------------------
@dataclass
class Created:
    """What `create_shifts` did: how many shifts, and the closed days it skipped."""

    count: int
    skipped: list[date] = field(default_factory=list)
    series: str = ""


def create_shifts(
    opp: Opportunity,
    *,
    day: date,
    starts: time,
    ends: time,
    capacity: int,
    location: str = "",
    note: str = "",
    repeat: str = "",
    until: date | None = None,
    skip_closed: bool = True,
) -> Created:
    """Add a shift, or a series ("weekly"/"biweekly" until a date), skipping the centre's closed days.

    The shifts of a series share a random series token. Raises SignupError (on ``day``)
    when no date is left (all past or closed).
    """
    days = occurrence_dates(repeat, day, until=until) if repeat else [day]
    skipped: list[date] = []
    if skip_closed and days:
        days, skipped = split_closed(days, closed_days(opp.site_id, days[0], days[-1]))
    now = utcnow()
    series = secrets.token_hex(6) if len(days) > 1 else ""
    rows = [
        dict(
            opportunity=opp.id,
            starts_at=to_utc(d, starts),
            ends_at=to_utc(d, ends),
            capacity=capacity,
            location=location or "",
            note=note or "",
            series=series,
            taken=0,
            created_at=now,
        )
        for d in days
    ]
    rows = [r for r in rows if r["starts_at"] > now]
    if not rows:
        raise SignupError(_("Nessun turno da creare: le date sono passate o il centro è chiuso."), field="day")
    with database().atomic():
        Shift.insert_many(rows).execute()
    return Created(len(rows), skipped, series)


@dataclass
class Edited:
    """What `edit_shift` did: shifts changed, shifts kept (too many people), people told."""

    changed: int = 0
    kept: int = 0
    mailed: int = 0
    to_phone: int = 0


def _shift_with_site(shift_id: int) -> Shift:
    return Shift.select(Shift, Opportunity, Site).join(Opportunity).join(Site).where(Shift.id == shift_id).get()


def _apply_edit(
    shift: Shift, starts_at: Any, ends_at: Any, capacity: int, location: str, note: str, message: str
) -> tuple[int, int] | None:
    """Change one shift; tell the promoted and, if time or place changed (or there is a message),
    everyone on it. Returns (mailed, to_phone), or None when the places would drop below those taken.
    """
    time_changed = (starts_at, ends_at) != (shift.starts_at, shift.ends_at)
    place_changed = location != shift.location
    with database().atomic():
        promoted = change_capacity(shift, capacity)
        if promoted is None:
            return None  # nothing was written
        Shift.update(starts_at=starts_at, ends_at=ends_at, location=location, note=note, changed_at=utcnow()).where(
            Shift.id == shift.id
        ).execute()
    tell_promoted(promoted)
    if not (time_changed or place_changed or message):
        return 0, 0
    fresh = _shift_with_site(shift.id)
    promoted_ids = {p.id for p in promoted}
    people = [s for s in live_signups(fresh) if s.id not in promoted_ids]
    mailed, to_phone = tell(
        people,
        lambda s: phrase("Cambio nel turno: %(title)s", title=fresh.opportunity.title),
        lambda s: _(
            "Ciao %(name)s,\n\nil turno %(title)s è cambiato. Ora è: %(when)s%(where)s.\n%(note)s",
            name=s.name,
            title=fresh.opportunity.title,
            when=when_text(fresh),
            where=(", " + fresh.location) if fresh.location else "",
            note=message,
        ),
        fresh.opportunity.site_id,
    )
    return len(mailed), len(to_phone)


def _following(shift: Shift, include_self: bool) -> list[Shift]:
    """The shifts of `shift`'s series from it on (not cancelled), in order."""
    later = (Shift.starts_at >= shift.starts_at) if include_self else (Shift.starts_at > shift.starts_at)
    query = (
        Shift.select(Shift, Opportunity, Site)
        .join(Opportunity)
        .join(Site)
        .where(
            (Shift.series == shift.series)
            & (Shift.opportunity == shift.opportunity_id)
            & later
            & Shift.cancelled_at.is_null()
        )
    )
    if not include_self:
        query = query.where(Shift.id != shift.id)
    return list(query.order_by(Shift.starts_at))


def edit_shift(
    shift: Shift,
    *,
    day: date,
    starts: time,
    ends: time,
    capacity: int,
    location: str = "",
    note: str = "",
    message: str = "",
    whole_series: bool = False,
) -> Edited:
    """Change a shift's time, place or places (and, if asked, the following shifts of its series,
    each on its own day). Everyone on a changed shift is told, the promoted are told.

    Raises SignupError when the shift is cancelled (409) or when its places would drop below
    those already taken (422, on ``capacity``); then nothing is written.
    """
    location, note, message = location or "", note or "", message or ""
    if shift.is_cancelled:
        raise SignupError(_("Questo turno è annullato: creane uno nuovo."), status=409, field="day")
    told = _apply_edit(shift, to_utc(day, starts), to_utc(day, ends), capacity, location, note, message)
    if told is None:
        taken = Shift.get_by_id(shift.id).taken
        raise SignupError(
            _(
                "Ci sono già %(taken)d posti occupati: non puoi scendere a %(n)d. Prima disdici qualcuno o spostalo in "
                "lista d'attesa dal registro del turno.",
                taken=taken,
                n=capacity,
            ),
            field="capacity",
        )
    result = Edited(changed=1, mailed=told[0], to_phone=told[1])
    if whole_series and shift.series:
        for target in _following(shift, include_self=False):
            other_day = local_date(target.starts_at)
            told = _apply_edit(
                target, to_utc(other_day, starts), to_utc(other_day, ends), capacity, location, note, message
            )
            if told is None:
                result.kept += 1
                continue
            result.changed += 1
            result.mailed += told[0]
            result.to_phone += told[1]
    return result


def _cancelled_texts(signup: Signup, shift: Shift, note: str) -> tuple[Any, str]:
    return (
        phrase("Turno annullato: %(title)s", title=shift.opportunity.title),
        _(
            "Ciao %(name)s,\n\nil turno %(title)s di %(when)s è annullato. Ci scusiamo.\n%(note)s",
            name=signup.name,
            title=shift.opportunity.title,
            when=when_text(shift),
            note=note or "",
        ),
    )


def _cancelled_text(part: int, signup: Signup, *, shift: Shift, note: str) -> Any:
    return _cancelled_texts(signup, shift, note)[part]


def cancel_shift(shift: Shift, *, message: str = "", whole_series: bool = False) -> Edited:
    """Cancel a shift (and, if asked, the rest of its series): everyone signed up and waiting is told.

    Returns counts (``changed`` = shifts cancelled now; 0 when it already was).
    """
    targets = _following(shift, include_self=True) if whole_series and shift.series else [shift]
    result = Edited()
    for target in targets:
        with database().atomic():
            changed = (
                Shift.update(cancelled_at=utcnow(), changed_at=utcnow())
                .where((Shift.id == target.id) & Shift.cancelled_at.is_null())
                .execute()
            )
        if not changed:
            continue
        result.changed += 1
        mailed, to_phone = tell(
            live_signups(target),
            partial(_cancelled_text, 0, shift=target, note=message),
            partial(_cancelled_text, 1, shift=target, note=message),
            shift.opportunity.site_id,
        )
        result.mailed += len(mailed)
        result.to_phone += len(to_phone)
    return result


# --- telling people -----------------------------------------------------------------
def tell(
    signups: Iterable[Signup],
    subject_fn: Callable[[Signup], Any],
    body_fn: Callable[[Signup], Any],
    site: Any,
) -> tuple[list[Signup], list[Signup]]:
    """Mail each person who has an address; the rest go on the coordinator's list to phone.

    subject_fn/body_fn are called inside the person's language. Returns (mailed, to_phone).
    """
    mailed, to_phone = [], []
    for signup in signups:
        with force_locale(signup.lang or "it"):
            subject_said, body = subject_fn(signup), str(body_fn(signup))
            subject = str(subject_said)  # in the person's language; staff read the phrase in theirs
        if signup.email:
            send_mail(signup.email, subject, body, user=signup.user_id, site=site, language=signup.lang or "it")
            mailed.append(signup)
        else:
            Notice.create(
                site=site,
                shift=signup.shift_id,
                signup=signup,
                name=signup.name,
                phone=signup.phone,
                message=f"{subject}\n{body}",
                reason_phrase=subject_said.dumps() if isinstance(subject_said, Phrase) else "",
            )
            to_phone.append(signup)
    return mailed, to_phone


def _signature() -> str:
    return "\n\n" + _("Grazie!") + "\nBinari – Kaleidoscopi Metropolitani"


def _link_line(signup: Signup) -> str:
    if signup.user_id:
        return _("I tuoi turni: %(url)s", url=external_url("volunteer.mine"))
    line = _("Gestisci o disdici la tua iscrizione: %(url)s", url=manage_url(signup))
    if signup.status == ACTIVE and not signup.confirmed:
        line = (
            _(
                "Conferma che vieni: %(url)s",
                url=external_url("volunteer.guest_confirm", token=confirm_token(signup)),
            )
            + "\n"
            + line
        )
    return line


def tell_promoted(promoted: Sequence[Signup]) -> None:
    if not promoted:
        return
    shift = Shift.select(Shift, Opportunity).join(Opportunity).where(Shift.id == promoted[0].shift_id).get()
    tell(
        promoted,
        lambda s: phrase("Si è liberato un posto: %(title)s", title=shift.opportunity.title),
        lambda s: (
            (
                _(
                    "Ciao %(name)s,\n\nsi è liberato un posto e ora sei iscritta/o al turno:\n%(title)s, %(when)s.\n"
                    "Se non puoi più venire, disdici per lasciare il posto a qualcun altro.\n%(link)s",
                    name=s.name,
                    title=shift.opportunity.title,
                    when=when_text(shift),
                    link=_link_line(s),
                )
                if s.user_id
                else _(  # a guest's address may not be proved: no text the requester wrote
                    "Buongiorno,\n\nsi è liberato un posto al turno:\n%(title)s, %(when)s.\n"
                    "Se non puoi più venire, disdici per lasciare il posto a qualcun altro.\n%(link)s",
                    title=shift.opportunity.title,
                    when=when_text(shift),
                    link=_link_line(s),
                )
            )
            + _signature()
        ),
        shift.opportunity.site_id,
    )


def send_confirmation(signup: Signup, shift: Shift) -> None:
    """Guest with an e-mail: the link that confirms (and later cancels) the sign-up.

    Fixed text and the staff's titles only: anyone can type any address, so nothing the
    requester wrote (name, companions) goes to it before the address is proved.
    """
    with force_locale(signup.lang or "it"):
        waiting = signup.status == WAITLIST
        subject = _("Conferma la tua iscrizione: %(title)s", title=shift.opportunity.title)
        body = (
            _(
                "Buongiorno,\n\nqualcuno ha chiesto con questo indirizzo e-mail %(what)s al turno %(title)s, "
                "%(when)s.\nPer confermare apri questo link entro le %(deadline)s e premi «Confermo»:\n%(url)s\n\n"
                "Se non confermi, il posto torna libero. Se non sei stata/o tu, ignora questo messaggio.\n\n"
                "Per disdire (fino a %(hours)d ore prima dell'inizio) usa questo link:\n%(manage)s",
                what=_("la lista d'attesa") if waiting else _("un posto"),
                title=shift.opportunity.title,
                when=when_text(shift),
                deadline=format_time(unconfirmed_deadline(signup), "HH:mm"),
                url=external_url("volunteer.guest_confirm", token=confirm_token(signup)),
                manage=manage_url(signup),
                hours=shift.opportunity.cancel_cutoff_hours,
            )
            + _signature()
        )
    send_mail(signup.email, subject, body, site=shift.opportunity.site_id, language=signup.lang or "it")


def send_member_confirmation(signup: Signup, shift: Shift) -> None:
    """A member with an e-mail signed up (or joined the waitlist): what, when, where, and their page."""
    with force_locale(signup.lang or "it"):
        if signup.status == WAITLIST:
            subject = _("Volontariato: sei in lista d'attesa per %(title)s", title=shift.opportunity.title)
        else:
            subject = _("Volontariato: sei iscritta/o al turno %(title)s", title=shift.opportunity.title)
        body = (
            _(
                "Ciao %(name)s,\n\n%(title)s, %(when)s.\nPer disdire (fino a %(hours)d ore prima dell'inizio) o "
                "vedere i tuoi turni: %(url)s",
                name=signup.name,
                title=shift.opportunity.title,
                when=when_text(shift),
                hours=shift.opportunity.cancel_cutoff_hours,
                url=external_url("volunteer.mine"),
            )
            + _signature()
        )
    send_mail(
        signup.email, subject, body, user=signup.user_id, site=shift.opportunity.site_id, language=signup.lang or "it"
    )


def send_already_signed_up(shift: Shift, email: str, lang: str) -> None:
    """Someone asked again with an address already on the shift: the mail says so, not the page."""
    with force_locale(lang or "it"):
        subject = _("Sei già iscritta/o: %(title)s", title=shift.opportunity.title)
        body = (
            _(
                "Buongiorno,\n\nqualcuno ha chiesto un posto al turno %(title)s, %(when)s, con questo indirizzo "
                "e-mail, che è già iscritto (o in lista d'attesa). Non serve fare altro: vale l'iscrizione che hai "
                "già, con i link del primo messaggio. Se non sei stata/o tu, ignora questo messaggio.",
                title=shift.opportunity.title,
                when=when_text(shift),
            )
            + _signature()
        )
    send_mail(email, subject, body, site=shift.opportunity.site_id)


# --- people to phone ---------------------------------------------------------------------
CALLS_KEPT_DAYS = 7  # calls made stay on the shared list this long, then only the undone show


def calls_to_make(site_ids: Sequence[int], limit: int = 300) -> list[Notice]:
    """The notices not yet phoned at these centres, oldest first (the coordinator's page)."""
    return list(
        Notice.select(Notice, Site)
        .join(Site)
        .where(Notice.site.in_(list(site_ids)) & Notice.done_at.is_null())
        .order_by(Notice.created_at)
        .limit(limit)
    )


def mark_call_done(notice: Notice, by: User) -> bool:
    """The call was made: who and when are kept."""
    return bool(
        Notice.update(done_at=utcnow(), done_by=by.id)
        .where((Notice.id == notice.id) & Notice.done_at.is_null())
        .execute()
    )


def people_to_phone(site_ids: Sequence[int]) -> list[PhoneCall]:
    """The `people_to_phone` slot: notices for people without e-mail, undone and recently done."""
    recent = utcnow() - timedelta(days=CALLS_KEPT_DAYS)
    query = (
        Notice.select(Notice, User)
        .join(User, on=(Notice.done_by == User.id), join_type=JOIN.LEFT_OUTER, attr="done_by_user")
        .where(Notice.site.in_(list(site_ids)) & (Notice.done_at.is_null() | (Notice.done_at >= recent)))
        .order_by(Notice.created_at)
    )
    calls = []
    for notice in query:
        done_by = getattr(notice, "done_by_user", None)
        calls.append(
            PhoneCall(
                area="volunteer",
                site_id=notice.site_id,
                name=notice.name,
                phone=notice.phone,
                reason=shown(notice.reason_phrase, notice.message.split("\n", 1)[0]),
                link=f"{STAFF_PREFIX}/shifts/{notice.shift_id}" if notice.shift_id else f"{STAFF_PREFIX}/calls",
                since=notice.created_at,
                done_at=notice.done_at,
                done_by=done_by.name if done_by is not None and done_by.id else "",
                key=f"notice:{notice.id}",
                detail=notice.message,
            )
        )
    return calls


def phone_done(key: str, staff: User) -> bool:
    """The `phone_done` slot: the core phone list recorded the call about a notice."""
    kind, _sep, notice_id = key.partition(":")
    notice = Notice.get_or_none(Notice.id == int(notice_id)) if kind == "notice" and notice_id.isdigit() else None
    return notice is not None and mark_call_done(notice, staff)
