"""What happens to sign-ups: take places, cancel, promote from the waitlist, tell people.

Every write that touches places runs in one transaction with the conditional
UPDATE of `Shift.reserve`; mail goes out after the commit (an SMTP server that is
slow never holds the database lock).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, url_for
from flask_babel import force_locale, format_datetime, format_time, ngettext
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from peewee import IntegrityError

from portal.db import database
from portal.mail import send_mail
from portal.models import Site, utcnow

from .models import ACTIVE, CANCELLED, WAITLIST, Notice, Opportunity, Shift, Signup

ROME = ZoneInfo("Europe/Rome")


class SignupError(Exception):
    """A sign-up refused, with a message for the person (and an HTTP status)."""

    def __init__(self, message, status=422, full=False):
        super().__init__(message)
        self.message, self.status, self.full = message, status, full


# --- time ------------------------------------------------------------------
def to_utc(day, clock):
    """A Milan wall-clock date and time as the naive UTC datetime we store (DST-aware)."""
    local = datetime.combine(day, clock).replace(tzinfo=ROME)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def to_local(moment):
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(ROME)


def when_text(shift):
    """'sabato 5 dicembre 2026, 09:00–12:30' in the active locale."""
    return f"{format_datetime(shift.starts_at, 'EEEE d MMMM y, HH:mm')}–{format_time(shift.ends_at, 'HH:mm')}"


# --- signed links for guests ---------------------------------------------------
def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="volunteer-signup")


def signup_token(signup):
    # The nonce makes a link unguessable even for someone who knows the row id.
    return _serializer().dumps({"i": signup.id, "n": signup.nonce})


def signup_from_token(token):
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


def manage_url(signup):
    return url_for("volunteer.guest_signup", token=signup_token(signup), _external=True)


def _confirm_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="volunteer-confirm")


def confirm_token(signup):
    """A second, different token, only ever sent by e-mail: it proves the address."""
    return _confirm_serializer().dumps({"i": signup.id, "n": signup.nonce})


def signup_from_confirm_token(token):
    try:
        data = _confirm_serializer().loads(token)
    except BadSignature:
        return None
    signup = Signup.get_or_none(Signup.id == data.get("i"))
    return signup if signup is not None and signup.nonce == data.get("n") else None


# --- sign up ------------------------------------------------------------------
def overlapping(shift, user=None, phone=None, email=None):
    """Live sign-ups of the same person on other shifts that overlap `shift`."""
    cond = None
    for field, value in (
        (Signup.key_user, user.id if user else None),
        (Signup.key_phone, phone or None),
        (Signup.key_email, (email or "").lower() or None),
    ):
        if value is not None:
            cond = (field == value) if cond is None else (cond | (field == value))
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
    shift,
    *,
    user=None,
    name="",
    phone="",
    email="",
    party=1,
    companions="",
    waitlist_ok=False,
    walk_in=False,
    by_staff=False,
    lang="it",
):
    """Put a person on a shift (or its waitlist); raises SignupError with a clear message."""
    now = utcnow()
    if shift.is_cancelled:
        raise SignupError(_("Questo turno è stato annullato."), status=409)
    if not walk_in and shift.starts_at <= now:
        raise SignupError(_("Il turno è già iniziato: non è più possibile iscriversi."), status=409)
    if party < 1:
        raise SignupError(_("Il numero di persone non è valido."))
    if party > shift.capacity:  # could never be promoted from the waitlist either
        raise SignupError(_("Questo turno ha %(n)d posti in tutto: riduci il numero di persone.", n=shift.capacity))
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
            if shift.reserve(party):
                signup.status = ACTIVE
            elif waitlist_ok and not walk_in:
                signup.status = WAITLIST
            else:
                raise _Full()
            signup.save()
    except IntegrityError:
        raise SignupError(_("Questa persona è già iscritta a questo turno (o è in lista d'attesa)."), status=409)
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
        raise SignupError(message, status=409, full=True)
    return signup


class _Full(Exception):
    pass


# --- cancel and promote -------------------------------------------------------------
def promote(shift):
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


def cancel_signup(signup):
    """Cancel a sign-up, free its places and promote from the waitlist; tells the promoted.

    Returns False when it was already cancelled.
    """
    with database().atomic():
        current = Signup.get_by_id(signup.id)
        if current.status == CANCELLED:
            return False
        changed = (
            Signup.update(status=CANCELLED, cancelled_at=utcnow(), key_user=None, key_phone=None, key_email=None)
            .where((Signup.id == current.id) & (Signup.status == current.status))
            .execute()
        )
        if not changed:
            return False
        promoted = []
        if current.status == ACTIVE:
            shift = Shift.get_by_id(current.shift_id)
            shift.release(current.party)
            promoted = promote(shift)
    signup.status = CANCELLED
    tell_promoted(promoted)
    return True


def move_to_waitlist(signup):
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


def change_capacity(shift, capacity):
    """Set a new number of places; refuse below the places already taken. Promotes on growth."""
    with database().atomic():
        changed = Shift.update(capacity=capacity).where((Shift.id == shift.id) & (Shift.taken <= capacity)).execute()
        if not changed:
            return None
        fresh = Shift.get_by_id(shift.id)
        promoted = promote(fresh)
    return promoted


# --- telling people -----------------------------------------------------------------
def tell(signups, subject_fn, body_fn, site):
    """Mail each person who has an address; the rest go on the coordinator's list to phone.

    subject_fn/body_fn are called inside the person's language. Returns (mailed, to_phone).
    """
    mailed, to_phone = [], []
    for signup in signups:
        with force_locale(signup.lang or "it"):
            subject, body = str(subject_fn(signup)), str(body_fn(signup))
        if signup.email:
            send_mail(signup.email, subject, body, user=signup.user_id)
            mailed.append(signup)
        else:
            Notice.create(
                site=site,
                shift=signup.shift_id,
                signup=signup,
                name=signup.name,
                phone=signup.phone,
                message=f"{subject}\n{body}",
            )
            to_phone.append(signup)
    return mailed, to_phone


def _signature():
    return "\n\n" + _("Grazie!") + "\nBinari – Kaleidoscopi Metropolitani"


def _link_line(signup):
    if signup.user_id:
        return _("I tuoi turni: %(url)s", url=url_for("volunteer.mine", _external=True))
    line = _("Gestisci o disdici la tua iscrizione: %(url)s", url=manage_url(signup))
    if signup.status == ACTIVE and not signup.confirmed:
        line = (
            _(
                "Conferma che vieni: %(url)s",
                url=url_for("volunteer.guest_confirm", token=confirm_token(signup), _external=True),
            )
            + "\n"
            + line
        )
    return line


def tell_promoted(promoted):
    if not promoted:
        return
    shift = Shift.select(Shift, Opportunity).join(Opportunity).where(Shift.id == promoted[0].shift_id).get()
    tell(
        promoted,
        lambda s: _("Si è liberato un posto: %(title)s", title=shift.opportunity.title),
        lambda s: (
            _(
                "Ciao %(name)s,\n\nsi è liberato un posto e ora sei iscritta/o al turno:\n%(title)s, %(when)s.\n"
                "Se non puoi più venire, disdici per lasciare il posto a qualcun altro.\n%(link)s",
                name=s.name,
                title=shift.opportunity.title,
                when=when_text(shift),
                link=_link_line(s),
            )
            + _signature()
        ),
        shift.opportunity.site_id,
    )


def send_confirmation(signup, shift):
    """Guest with an e-mail: the link that confirms (and later cancels) the sign-up."""
    with force_locale(signup.lang or "it"):
        waiting = signup.status == WAITLIST
        subject = _("Conferma la tua iscrizione: %(title)s", title=shift.opportunity.title)
        body = (
            _(
                "Ciao %(name)s,\n\nper confermare %(what)s al turno %(title)s, %(when)s, apri questo link:\n%(url)s\n\n"
                "Per disdire (fino a %(hours)d ore prima dell'inizio) usa questo link:\n%(manage)s",
                name=signup.name,
                what=_("la lista d'attesa") if waiting else _("la tua iscrizione"),
                title=shift.opportunity.title,
                when=when_text(shift),
                url=url_for("volunteer.guest_confirm", token=confirm_token(signup), _external=True),
                manage=manage_url(signup),
                hours=shift.opportunity.cancel_cutoff_hours,
            )
            + _signature()
        )
    send_mail(signup.email, subject, body)


def may_cancel(signup, now=None):
    """People cancel themselves until the cut-off (waitlist entries any time before the start)."""
    now = now or utcnow()
    if signup.status == WAITLIST:
        return signup.shift.starts_at > now
    return signup.status == ACTIVE and now < signup.shift.cancel_deadline()


def cutoff_passed_message(shift):
    return _(
        "Non è più possibile disdire online (il termine era %(hours)d ore prima dell'inizio). "
        "Avvisa il coordinamento del centro.",
        hours=shift.opportunity.cancel_cutoff_hours,
    )
