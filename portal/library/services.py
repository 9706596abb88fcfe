"""Library rules: check-out, check-in, renewals, holds and their queue, copies,
titles, the lending policy, reminders and the monthly figures.

Every write happens inside ``with database().atomic():`` and relies on the
partial unique indexes of models.py: a second open loan for a copy, a second
ready hold for a copy or a second active hold of a person for a title fails in
the database (IntegrityError), whatever the timing of concurrent requests.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from peewee import JOIN, Case, Expression, IntegrityError, fn

from portal.areas import PhoneCall
from portal.clock import end_of_local_day, month_bounds_utc, to_local, today_local, utcnow
from portal.db import database, lock_row
from portal.mail import send_mail
from portal.models import OpeningHours, Service, Site, User, closed_days
from portal.phrases import phrase
from portal.refusals import Refusal
from portal.urls import external_url

from .models import ACTIVE_HOLD, Copy, Hold, Library, LibraryMember, Loan, ReaderSettings, Title


class CirculationError(Refusal):
    """A refusal the desk or the reader must read (by default about the copy's barcode)."""

    def __init__(self, message: str, status: int = 422, field: str | None = "barcode") -> None:
        super().__init__(message, status=status, field=field)


class Blocked(CirculationError):
    """The rules refuse the loan; staff may override with a recorded reason."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" ".join(reasons), status=409)
        self.reasons = reasons


def normalise_code(raw: str | None) -> str:
    """Barcodes and member codes as typed or scanned: no spaces, upper case."""
    return "".join((raw or "").split()).upper()[:32]


def due_date(library: Library, days: int) -> date:
    """`days` from today, moved forward to a day the centre is open (not a closed
    weekday, holiday or closure), so nobody is late because the door was shut."""
    return next_open_day(library, today_local() + timedelta(days=days))


def next_open_day(library: Library, day: date) -> date:
    """`day`, or the first day after it when the library's centre is open."""
    site_id = library.site_id
    open_days = {w for (w,) in OpeningHours.select(OpeningHours.weekday).where(OpeningHours.site == site_id).tuples()}
    if not open_days:
        return day
    closed = closed_days(site_id, day, day + timedelta(days=31))
    for _attempt in range(31):
        if day.weekday() in open_days and day not in closed:
            return day
        day += timedelta(days=1)
    return day


# --- where copies are -------------------------------------------------------------


def on_hold_shelf(now: datetime | None = None) -> Expression:
    """SQL condition: the hold is ready and its pickup window has not passed. A hold past its
    window counts as gone on every page even before the job "library-expire-holds" marks it."""
    now = now or utcnow()
    return (Hold.status == "ready") & (Hold.expires_at.is_null() | (Hold.expires_at >= now))


def active_hold(now: datetime | None = None) -> Expression:
    """SQL condition: waiting in the queue, or ready within the pickup window."""
    return (Hold.status == "waiting") | on_hold_shelf(now)


def free_copy_condition() -> Expression:
    """SQL condition: the copy is on the shelf (not withdrawn, not on loan, not on the hold shelf)."""
    open_loan = Loan.select(Loan.id).where((Loan.copy == Copy.id) & Loan.returned_at.is_null())
    ready = Hold.select(Hold.id).where((Hold.copy == Copy.id) & on_hold_shelf())
    return (Copy.withdrawn == False) & ~fn.EXISTS(open_loan) & ~fn.EXISTS(ready)  # noqa: E712


def copy_states(copies: Sequence[Copy]) -> dict[int, tuple[str, Any]]:
    """{copy id: (state, detail)}: state is shelf / loan / holdshelf / withdrawn.

    Two queries whatever the number of copies. An open loan wins over anything:
    an overdue copy is still on loan until it is checked in.
    """
    ids = [c.id for c in copies]
    loans: dict[int, Any] = {}
    ready: dict[int, Any] = {}
    if ids:
        for loan in Loan.select(Loan.copy, Loan.due_date).where(Loan.copy.in_(ids) & Loan.returned_at.is_null()):
            loans[loan.copy_id] = loan.due_date
        for hold in Hold.select(Hold.copy, Hold.expires_at).where(Hold.copy.in_(ids) & on_hold_shelf()):
            ready[hold.copy_id] = hold.expires_at
    states: dict[int, tuple[str, Any]] = {}
    for c in copies:
        if c.id in loans:
            states[c.id] = ("loan", loans[c.id])
        elif c.id in ready:
            states[c.id] = ("holdshelf", ready[c.id])
        elif c.withdrawn:
            states[c.id] = ("withdrawn", None)
        else:
            states[c.id] = ("shelf", None)
    return states


def availability(title_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """{title id: (copies, on the shelf now)} in one query."""
    if not title_ids:
        return {}
    free = fn.SUM(Case(None, [(free_copy_condition(), 1)], 0))
    rows = (
        Copy.select(Copy.title, fn.COUNT(Copy.id), free)
        .where(Copy.title.in_(title_ids) & (Copy.withdrawn == False))  # noqa: E712
        .group_by(Copy.title)
        .tuples()
    )
    return {title_id: (total, int(available or 0)) for title_id, total, available in rows}


# --- holds: lazy expiry, trapping, notices -----------------------------------------


def expire_holds(library: Library | None = None, now: datetime | None = None) -> list[Hold]:
    """Expire uncollected holds whose pickup window has passed and promote the next
    person in line to the same copy. Run by the area's job (`expire_holds_job`) and before a
    write that depends on the hold shelf (a hold, a checkout, a check-in); pages that only show
    holds never write: they leave lapsed holds out in the query (`on_hold_shelf`)."""
    now = now or utcnow()
    query = Hold.select().where((Hold.status == "ready") & (Hold.expires_at < now))
    if library is not None:
        query = query.join(Title).where(Title.library == library)
    expired = list(query.order_by(Hold.expires_at).limit(200))
    promoted: list[Hold] = []
    for hold in expired:
        with database().atomic():
            changed = (
                Hold.update(status="expired", closed_at=now)
                .where((Hold.id == hold.id) & (Hold.status == "ready"))
                .execute()
            )
            if not changed:
                continue  # another request expired it first
            if hold.copy_id:
                nxt = trap(Copy.get_by_id(hold.copy_id), now=now)
                if nxt:
                    promoted.append(nxt)
    return promoted


def trap(copy: Copy, now: datetime | None = None) -> Hold | None:
    """Give a copy that is in the librarian's hands to the first person waiting for
    its title: the hold becomes ready until the end of the pickup window and the
    person is told. Returns the hold, or None when nobody waits.

    Only called at check-in (or when a hold on the shelf expires): a book is never
    announced while someone else still has it.
    """
    now = now or utcnow()
    if copy.withdrawn:
        return None
    library = Library.select().join(Title).where(Title.id == copy.title_id).get()
    expires = end_of_local_day(today_local() + timedelta(days=library.pickup_days))
    for _attempt in range(5):
        first = (
            Hold.select()
            .where((Hold.title == copy.title_id) & (Hold.status == "waiting"))
            .order_by(Hold.position)
            .first()
        )
        if first is None:
            return None
        try:
            with database().atomic():
                changed = (
                    Hold.update(status="ready", copy=copy.id, ready_at=now, expires_at=expires)
                    .where((Hold.id == first.id) & (Hold.status == "waiting"))
                    .execute()
                )
        except IntegrityError:
            return None  # the copy is already on the hold shelf for someone
        if changed:
            hold = Hold.get_by_id(first.id)
            notify_ready(hold, library)
            return hold
    return None


def notify_ready(hold: Hold, library: Library) -> None:
    """Tell the person their book is waiting: e-mail, or the desk's list of people to phone."""
    member = hold.member
    if member is None:  # a deleted account's hold is closed: nobody to tell
        return
    if member.email:
        with force_locale(member.language or "it"):
            subject = _("Biblioteca: il libro che aspettavi è arrivato")
            body = _(
                "Ciao %(name)s,\n\n«%(title)s» ti aspetta allo scaffale prenotazioni della %(library)s.\n"
                "Puoi ritirarlo fino a %(until)s con la tua tessera (%(code)s).\n"
                "Dopo quella data passa alla persona successiva in lista.\n\n%(link)s\n\n"
                "Binari – Kaleidoscopi Metropolitani",
                name=member.name,
                title=hold.title.title,
                library=library.name,
                until=to_local(hold.expires_at).strftime("%d/%m/%Y") if hold.expires_at else "",
                code=member.member_code,
                link=_account_link(),
            )
        send_mail(member.email, subject, body, user=member, site=library.site_id, language=member.language or "it")
        Hold.update(notify_by="mail").where(Hold.id == hold.id).execute()
        hold.notify_by = "mail"
    else:
        Hold.update(notify_by="phone").where(Hold.id == hold.id).execute()
        hold.notify_by = "phone"


def _account_link() -> str:
    return external_url("library.my_library")  # from BASE_URL, in a request or not (demo loader, jobs)


def place_hold(title: Title, member: User) -> Hold:
    """Put `member` in the queue for `title`; returns the hold. Refusals raise CirculationError."""
    library = title.library
    expire_holds(library)
    already = (
        Loan.select()
        .join(Copy)
        .where((Copy.title == title.id) & (Loan.member == member.id) & Loan.returned_at.is_null())
        .exists()
    )
    if already:
        raise CirculationError(_("Hai già in prestito una copia di questo libro."))
    if (
        Hold.select()
        .where((Hold.title == title.id) & (Hold.member == member.id) & Hold.status.in_(ACTIVE_HOLD))
        .exists()
    ):
        raise CirculationError(_("Sei già in lista per questo libro."))
    if not Copy.select().where((Copy.title == title.id) & (Copy.withdrawn == False)).exists():  # noqa: E712
        raise CirculationError(_("Questo libro non ha copie da prestare."))
    active = Hold.select().where((Hold.member == member.id) & Hold.status.in_(ACTIVE_HOLD)).count()
    if active >= library.max_holds:
        raise CirculationError(
            ngettext(
                "Hai già %(num)d prenotazione attiva: è il massimo.",
                "Hai già %(num)d prenotazioni attive: è il massimo.",
                active,
            )
        )
    try:
        with database().atomic():
            # The place in the queue is MAX + 1. On PostgreSQL two requests would both read the same
            # MAX (and one would fail on the unique position, then again, under a crowd), so the title
            # row is locked first and places are handed out one at a time. SQLite's BEGIN IMMEDIATE
            # already does that.
            lock_row(Title, title.id)
            last = Hold.select(fn.MAX(Hold.position)).where(Hold.title == title.id).scalar() or 0
            return Hold.create(title=title.id, member=member.id, position=last + 1)
    except IntegrityError:
        # The same person twice at once: the partial unique index keeps one hold.
        raise CirculationError(_("Sei già in lista per questo libro."))


def cancel_hold(hold: Hold, now: datetime | None = None) -> bool:
    """Cancel a hold; a copy waiting on the hold shelf goes to the next person."""
    now = now or utcnow()
    with database().atomic():
        changed = (
            Hold.update(status="cancelled", closed_at=now)
            .where((Hold.id == hold.id) & Hold.status.in_(ACTIVE_HOLD))
            .execute()
        )
    if changed and hold.status == "ready" and hold.copy_id:
        trap(Copy.get_by_id(hold.copy_id), now=now)
    return bool(changed)


def queue_places(holds: Iterable[Hold]) -> dict[int, int]:
    """{hold id: place in the queue (1 = next)} for waiting holds, in one query."""
    waiting = [h.id for h in holds if h.status == "waiting"]
    if not waiting:
        return {}
    Other = Hold.alias()
    rows = (
        Hold.select(Hold.id, fn.COUNT(Other.id))
        .join(
            Other,
            JOIN.LEFT_OUTER,
            on=((Other.title == Hold.title) & (Other.position < Hold.position) & (Other.status == "waiting")),
        )
        .where(Hold.id.in_(waiting))
        .group_by(Hold.id)
        .tuples()
    )
    return {hold_id: ahead + 1 for hold_id, ahead in rows}


# --- loans ---------------------------------------------------------------------------


def find_copy(library: Library, barcode: str | None) -> Copy:
    """The copy with this barcode in this library, or a refusal (404 for an unknown code)."""
    code = normalise_code(barcode)
    if not code:
        raise CirculationError(_("Scrivi o scansiona il codice a barre della copia."))
    copy = Copy.select(Copy, Title).join(Title).where((Copy.barcode == code) & (Title.library == library)).first()
    if copy is None:
        raise CirculationError(_("Nessuna copia con il codice %(code)s in questa biblioteca.", code=code), status=404)
    return copy


def find_member(member_code: str | None) -> User:
    """The active card holder with this code, or a refusal on the ``member_code`` field."""
    code = normalise_code(member_code).replace("-", "")
    if not code:
        raise CirculationError(_("Scrivi o scansiona il codice della tessera."), field="member_code")
    member = User.get_or_none(User.member_code == code)
    if member is None:
        raise CirculationError(_("Nessuna tessera con il codice %(code)s.", code=code), status=404, field="member_code")
    if not member.is_active_account:
        raise CirculationError(_("La tessera %(code)s è disattivata.", code=code), field="member_code")
    return member


def member_blocks(library: Library, member: User) -> list[str]:
    """Reasons the rules refuse a new loan (empty list: the person may borrow)."""
    reasons: list[str] = []
    open_loans = list(
        Loan.select(Loan.due_date).where(
            (Loan.member == member.id) & Loan.returned_at.is_null() & (Loan.library == library)
        )
    )
    overdue = sum(1 for loan in open_loans if loan.due_date < today_local())
    if overdue:
        reasons.append(
            ngettext("Ha un prestito scaduto da restituire.", "Ha %(num)d prestiti scaduti da restituire.", overdue)
        )
    if len(open_loans) >= library.max_loans:
        reasons.append(
            ngettext(
                "Ha già %(num)d libro in prestito (massimo %(max)d).",
                "Ha già %(num)d libri in prestito (massimo %(max)d).",
                len(open_loans),
                max=library.max_loans,
            )
        )
    return reasons


def reader_key(user_id: int) -> str:
    """The person's pseudonymous reader key (the same at every library; a new one at their first loan)."""
    known = (
        LibraryMember.select(LibraryMember.reader_key)
        .where((LibraryMember.user == user_id) & (LibraryMember.reader_key != ""))
        .scalar()
    )
    return known or secrets.token_hex(16)


def checkout(library: Library, barcode: str, member_code: str, staff: User, override_reason: str = "") -> Loan:
    """Lend a copy to the holder of a card. Returns the loan.

    Raises CirculationError (unknown code, already on loan, ...) or Blocked (rules
    that staff may override by giving a reason, which is kept with the loan).
    """
    copy = find_copy(library, barcode)
    member = find_member(member_code)
    if copy.withdrawn:
        raise CirculationError(_("La copia %(code)s è ritirata dal prestito.", code=copy.barcode))
    expire_holds(library)
    current = Loan.select().where((Loan.copy == copy.id) & Loan.returned_at.is_null()).first()
    if current is not None:
        raise _already_on_loan(copy, current, member)
    override_reason = (override_reason or "").strip()[:300]
    reasons = member_blocks(library, member)
    ready = Hold.select().where((Hold.copy == copy.id) & (Hold.status == "ready")).first()
    if ready is not None and ready.member_id != member.id:
        reasons.append(_("Questa copia è sullo scaffale prenotazioni per un'altra persona."))
    if reasons and not override_reason:
        raise Blocked(reasons)
    now = utcnow()
    try:
        with database().atomic():
            key = reader_key(member.id)
            loan = Loan.create(
                copy=copy.id,
                member=member.id,
                reader_key=key,
                library=library.id,
                language=copy.title.language,
                issued_at=now,
                due_date=due_date(library, library.loan_days),
                override_reason=override_reason if reasons else "",
                issued_by=staff.id,
            )
            # The person's own hold on this title is fulfilled; someone else's ready
            # hold on this copy (overridden) goes back to waiting at the head of the queue.
            Hold.update(status="collected", closed_at=now).where(
                (Hold.title == copy.title_id) & (Hold.member == member.id) & Hold.status.in_(ACTIVE_HOLD)
            ).execute()
            if ready is not None and ready.member_id != member.id:
                Hold.update(status="waiting", copy=None, ready_at=None, expires_at=None).where(
                    (Hold.id == ready.id) & (Hold.status == "ready")
                ).execute()
            if (
                not LibraryMember.select()
                .where((LibraryMember.library == library.id) & (LibraryMember.user == member.id))
                .exists()
            ):
                LibraryMember.insert(
                    library=library.id, user=member.id, joined_at=now, reader_key=key
                ).on_conflict_ignore().execute()
    except IntegrityError:
        # Two desks scanned the same copy at the same instant: the database let one win.
        current = Loan.select().where((Loan.copy == copy.id) & Loan.returned_at.is_null()).first()
        raise _already_on_loan(copy, current, member)
    loan.copy = copy
    loan.member = member
    return loan


def _already_on_loan(copy: Copy, current: Loan | None, member: User) -> CirculationError:
    if current is not None and current.member_id == member.id:
        return CirculationError(
            _("La copia %(code)s è già in prestito a questa persona.", code=copy.barcode), status=409
        )
    due = current.due_date.strftime("%d/%m/%Y") if current is not None else "?"
    return CirculationError(
        _("La copia %(code)s è già in prestito (scadenza %(due)s): va prima restituita.", code=copy.barcode, due=due),
        status=409,
    )


def checkin(library: Library, barcode: str) -> tuple[Loan | None, Hold | None, Copy]:
    """Take a copy back. Returns (loan or None, hold now ready for it or None, copy)."""
    copy = find_copy(library, barcode)
    now = utcnow()
    loan = Loan.select().where((Loan.copy == copy.id) & Loan.returned_at.is_null()).first()
    if loan is not None:
        with database().atomic():
            changed = Loan.update(returned_at=now).where((Loan.id == loan.id) & Loan.returned_at.is_null()).execute()
            if changed and loan.member_id and not ReaderSettings.keeps_history(loan.member_id):
                # No history without consent: the loan stays only as a number for the figures.
                Loan.update(member=None).where(Loan.id == loan.id).execute()
        if not changed:
            loan = None
        else:
            loan.returned_at = now
    expire_holds(library, now)
    hold = Hold.select().where((Hold.copy == copy.id) & (Hold.status == "ready")).first()
    if hold is None:
        hold = trap(copy, now=now)
    return loan, hold, copy


def renew(loan: Loan, by_staff: bool = False) -> Loan:
    """Extend a loan by the policy's length from today. Refusals raise CirculationError."""
    library = loan.library
    if loan.returned_at is not None:
        raise CirculationError(_("Questo prestito è già chiuso."))
    if loan.renewals >= library.max_renewals:
        raise CirculationError(
            _(
                "Hai già rinnovato %(count)d volte: è il massimo. Restituisci il libro in biblioteca.",
                count=loan.renewals,
            )
        )
    # Someone still waiting (not already served by another copy on the hold shelf).
    waiting = Hold.select().where((Hold.title == loan.copy.title_id) & (Hold.status == "waiting")).exists()
    if waiting:
        raise CirculationError(_("Non si può rinnovare: un'altra persona aspetta questo libro."))
    if loan.due_date < today_local() and not by_staff:
        raise CirculationError(_("Il prestito è scaduto: rinnovalo allo sportello della biblioteca."))
    new_due = max(loan.due_date, due_date(library, library.loan_days))
    with database().atomic():
        changed = (
            Loan.update(due_date=new_due, renewals=Loan.renewals + 1)
            .where((Loan.id == loan.id) & Loan.returned_at.is_null() & (Loan.renewals == loan.renewals))
            .execute()
        )
    if not changed:
        raise CirculationError(_("Il prestito è cambiato nel frattempo: ricarica la pagina."), status=409)
    loan.due_date, loan.renewals = new_due, loan.renewals + 1
    return loan


def set_keep_history(user: User, keep: bool) -> None:
    """Opt in or out of the loan history; opting out forgets the past loans at once."""
    now = utcnow()
    with database().atomic():
        ReaderSettings.insert(user=user.id, keep_history=keep, updated_at=now).on_conflict(
            conflict_target=[ReaderSettings.user],
            update={ReaderSettings.keep_history: keep, ReaderSettings.updated_at: now},
        ).execute()
        if not keep:
            Loan.update(member=None).where((Loan.member == user.id) & Loan.returned_at.is_null(False)).execute()


def send_overdue_reminders(library: Library, now: datetime | None = None) -> int:
    """E-mail each person with an e-mail address about their overdue loans, at most
    once a week per loan. Returns the number of people written to; the others get
    the printed letter."""
    now = now or utcnow()
    week_ago = now - timedelta(days=7)
    loans = list(
        Loan.select(Loan, Copy, Title, User)
        .join(Copy)
        .join(Title)
        .switch(Loan)
        .join(User, on=(Loan.member == User.id))
        .where(
            (Loan.library == library)
            & Loan.returned_at.is_null()
            & (Loan.due_date < today_local())
            & User.email.is_null(False)
            & (Loan.reminded_at.is_null() | (Loan.reminded_at < week_ago))
        )
        .order_by(User.id, Loan.due_date)
    )
    people: dict[int, tuple[User, list[Loan]]] = {}
    for loan in loans:
        people.setdefault(loan.member.id, (loan.member, []))[1].append(loan)
    for member, member_loans in people.values():
        with force_locale(member.language or "it"):
            lines = "\n".join(
                f"- {loan.copy.title.title} ({loan.copy.barcode}): "
                + _("da restituire entro il %(date)s", date=loan.due_date.strftime("%d/%m/%Y"))
                for loan in member_loans
            )
            body = _(
                "Ciao %(name)s,\n\nrisultano ancora in prestito a te questi libri, con la data di restituzione "
                "già passata:\n\n%(lines)s\n\nTi chiediamo di riportarli appena puoi alla %(library)s: altre "
                "persone li aspettano, e finché non li restituisci non puoi prendere altri libri. Se li hai persi "
                "o ti serve più tempo, passa in biblioteca o chiamaci.\n\nBinari – Kaleidoscopi Metropolitani",
                name=member.name,
                lines=lines,
                library=library.name,
            )
            send_mail(member.email, _("Biblioteca: libri da restituire"), body, user=member, site=library.site_id)
        Loan.update(reminded_at=now).where(Loan.id.in_([loan.id for loan in member_loans])).execute()
    return len(people)


# --- the desk: renewals by barcode, the reader's card, the phone list ------------------


def renew_at_desk(library: Library, barcode: str) -> Loan:
    """Renew the open loan of the copy with this barcode (staff may renew an overdue loan)."""
    copy = find_copy(library, barcode)
    loan = Loan.select().where((Loan.copy == copy.id) & Loan.returned_at.is_null()).first()
    if loan is None:
        raise CirculationError(_("La copia %(code)s non è in prestito.", code=copy.barcode))
    return renew(loan, by_staff=True)


def reader_card(library: Library, member: User) -> dict[str, Any]:
    """What a person has at this library: open loans, active holds with their place, blocks."""
    loans = list(
        Loan.select(Loan, Copy, Title)
        .join(Copy)
        .join(Title)
        .where((Loan.member == member.id) & Loan.returned_at.is_null() & (Loan.library == library))
        .order_by(Loan.due_date)
    )
    holds = list(
        Hold.select(Hold, Title)
        .join(Title)
        .where((Hold.member == member.id) & active_hold() & (Title.library == library))
        .order_by(Hold.created_at)
    )
    return {
        "loans": loans,
        "holds": holds,
        "ready": [h for h in holds if h.status == "ready"],
        "places": queue_places(holds),
        "blocks": member_blocks(library, member),
    }


def phone_list(library: Library) -> list[Hold]:
    """Ready holds of people without e-mail: the desk phones them (not yet phoned first)."""
    return list(
        Hold.select(Hold, Title, Copy, User)
        .join(Title)
        .switch(Hold)
        .join(Copy)
        .switch(Hold)
        .join(User)
        .where((Title.library == library) & on_hold_shelf() & (Hold.notify_by == "phone"))
        .order_by(Hold.phoned_at.is_null(False), Hold.ready_at)
    )


def mark_phoned(hold: Hold, now: datetime | None = None) -> None:
    """Record that the desk phoned the person about their ready hold."""
    Hold.update(phoned_at=now or utcnow()).where(Hold.id == hold.id).execute()


def people_to_phone(site_ids: Sequence[int]) -> list[PhoneCall]:
    """The area's part of the staff phone list: ready holds of people without e-mail."""
    calls = []
    for library in Library.select(Library, Site).join(Site).where(Library.site.in_(list(site_ids))):
        for hold in phone_list(library):
            if hold.member is None:
                continue
            calls.append(
                PhoneCall(
                    area="library",
                    site_id=library.site_id,
                    name=hold.member.name,
                    phone=hold.member.phone or "",
                    reason=phrase(
                        "Biblioteca: «%(title)s» è pronto da ritirare (fino al %(until)s).",
                        title=hold.title.title,
                        until=to_local(hold.expires_at).strftime("%d/%m/%Y") if hold.expires_at else "",
                    ),
                    link=url_for("library.holds_shelf", site=library.site.slug),
                    since=hold.ready_at,
                    done_at=hold.phoned_at,
                    key=f"hold:{hold.id}",
                )
            )
    return calls


def phone_done(key: str, staff: User) -> bool:
    """The `phone_done` slot: the core phone list recorded the call about a ready hold."""
    kind, _sep, hold_id = key.partition(":")
    hold = Hold.get_or_none(Hold.id == int(hold_id)) if kind == "hold" and hold_id.isdigit() else None
    if hold is None or hold.phoned_at is not None:
        return False
    mark_phoned(hold)
    return True


def hold_shelf(library: Library) -> dict[str, Any]:
    """The hold shelf: books waiting for pickup, copies to pull for the queue, expired holds to re-shelve."""
    ready = list(
        Hold.select(Hold, Title, Copy, User)
        .join(Title)
        .switch(Hold)
        .join(Copy)
        .switch(Hold)
        .join(User)
        .where((Title.library == library) & on_hold_shelf())
        .order_by(Hold.expires_at)
    )
    # Waiting holds whose title has a copy on the shelf: pull it and check it in to trap it.
    free_copy = Copy.select(Copy.id).where((Copy.title == Title.id) & free_copy_condition())
    waiting = (
        Hold.select(Hold, Title)
        .join(Title)
        .where((Title.library == library) & (Hold.status == "waiting") & fn.EXISTS(free_copy))
        .order_by(Hold.position)
        .limit(100)
    )
    first_per_title: dict[int, Hold] = {}
    for hold in waiting:
        first_per_title.setdefault(hold.title_id, hold)
    to_pull = list(first_per_title.values())
    pull_copies: dict[int, list[Copy]] = {}
    if to_pull:
        for c in Copy.select().where(Copy.title.in_([h.title_id for h in to_pull]) & free_copy_condition()):
            pull_copies.setdefault(c.title_id, []).append(c)
    since = utcnow() - timedelta(days=7)
    expired = list(
        Hold.select(Hold, Title, Copy)
        .join(Title)
        .switch(Hold)
        .join(Copy)
        .where(
            (Title.library == library)
            & (((Hold.status == "expired") & (Hold.closed_at >= since)) | ((Hold.status == "ready") & ~on_hold_shelf()))
            & free_copy_condition()
        )
        .order_by(Hold.closed_at.desc())
        .limit(100)
    )
    return {"ready": ready, "to_pull": to_pull, "pull_copies": pull_copies, "expired": expired}


def desk_summary(library: Library) -> dict[str, int]:
    """The library at a glance: books on loan, overdue, on the hold shelf, people still to phone."""
    open_loans = Loan.select().where((Loan.library == library) & Loan.returned_at.is_null())
    ready = Hold.select().join(Title).where((Title.library == library) & on_hold_shelf())
    return {
        "on_loan": open_loans.count(),
        "overdue": open_loans.where(Loan.due_date < today_local()).count(),
        "ready": ready.count(),
        "to_phone": ready.where((Hold.notify_by == "phone") & Hold.phoned_at.is_null()).count(),
    }


def overdue_lists(library: Library) -> dict[str, Any]:
    """Open loans past their due date, and those due within the library's "due soon" days."""
    today = today_local()
    base = (
        Loan.select(Loan, Copy, Title, User)
        .join(Copy)
        .join(Title)
        .switch(Loan)
        .join(User, JOIN.LEFT_OUTER, on=(Loan.member == User.id))
        .where((Loan.library == library) & Loan.returned_at.is_null())
    )
    late = list(base.where(Loan.due_date < today).order_by(Loan.due_date).limit(300))
    soon = list(
        base.where((Loan.due_date >= today) & (Loan.due_date <= today + timedelta(days=library.due_soon_days)))
        .order_by(Loan.due_date)
        .limit(300)
    )
    return {"late": late, "soon": soon, "today": today}


def title_queue(title: Title) -> list[Hold]:
    """The active holds of a title with their people: ready ones first, then the queue in order."""
    return list(
        Hold.select(Hold, User)
        .join(User)
        .where((Hold.title == title.id) & active_hold())
        .order_by(Hold.status, Hold.position)  # "ready" sorts before "waiting"
    )


def title_for_reader(title: Title, user: User | None) -> dict[str, Any]:
    """A title's page: copies on loan or on the shelf, how many wait, the reader's own hold and place."""
    copies = list(title.copies.where(Copy.withdrawn == False).order_by(Copy.barcode))  # noqa: E712
    mine = None
    if user is not None:
        mine = Hold.select().where((Hold.title == title.id) & (Hold.member == user.id) & active_hold()).first()
    return {
        "copies": copies,
        "states": copy_states(copies),
        "waiting": Hold.select().where((Hold.title == title.id) & (Hold.status == "waiting")).count(),
        "mine": mine,
        "place": queue_places([mine]).get(mine.id) if mine else None,
    }


# --- cataloguing and the lending policy ----------------------------------------------------

POLICY_FIELDS = ("loan_days", "max_renewals", "max_loans", "max_holds", "pickup_days", "due_soon_days")
TITLE_FIELDS = ("title", "authors", "isbn", "language", "age_group", "subjects", "publisher", "year", "description")
COPY_FIELDS = ("barcode", "shelf_mark", "note", "withdrawn")


def save_policy(library: Library, values: dict[str, Any]) -> None:
    """Set a library's lending rules (they apply to new loans and renewals)."""
    for name in POLICY_FIELDS:
        setattr(library, name, values.get(name) or 0)
    library.save(only=[getattr(Library, name) for name in POLICY_FIELDS])


def save_title(library: Library, values: dict[str, Any], title: Title | None = None) -> Title:
    """Add a title to the catalogue, or change one; the ISBN (13 digits or None) is unique per library."""
    title = title or Title(library=library)
    for name in TITLE_FIELDS:
        setattr(title, name, values.get(name))
    try:
        with database().atomic():
            title.save()
    except IntegrityError:
        raise CirculationError(_("Questo ISBN è già nel catalogo."), field="isbn") from None
    return title


def save_copy(title: Title, values: dict[str, Any], copy: Copy | None = None) -> Copy:
    """Add a copy to a title, or change one. A copy withdrawn from lending cannot be
    collected: a hold waiting for it on the hold shelf goes back to the queue."""
    copy = copy or Copy(title=title)
    for name in COPY_FIELDS:
        setattr(copy, name, values.get(name))
    try:
        with database().atomic():
            copy.save()
            if copy.withdrawn:
                Hold.update(status="waiting", copy=None, ready_at=None, expires_at=None).where(
                    (Hold.copy == copy.id) & (Hold.status == "ready")
                ).execute()
    except IntegrityError:
        raise CirculationError(
            _("Il codice %(code)s è già usato da un'altra copia.", code=copy.barcode), field="barcode"
        ) from None
    return copy


# --- members -------------------------------------------------------------------------------


def my_library(user: User) -> dict[str, Any]:
    """A reader's own library: open loans, active holds with their place, the history if kept."""
    loans = list(
        Loan.select(Loan, Copy, Title)
        .join(Copy)
        .join(Title)
        .where((Loan.member == user.id) & Loan.returned_at.is_null())
        .order_by(Loan.due_date)
    )
    holds = list(
        Hold.select(Hold, Title).join(Title).where((Hold.member == user.id) & active_hold()).order_by(Hold.created_at)
    )
    keep = ReaderSettings.keeps_history(user.id)
    history = []
    if keep:
        history = list(
            Loan.select(Loan, Copy, Title)
            .join(Copy)
            .join(Title)
            .where((Loan.member == user.id) & Loan.returned_at.is_null(False))
            .order_by(Loan.returned_at.desc())
            .limit(100)
        )
    waiting_titles: set[int] = set()
    if loans:
        waiting_titles = {
            t
            for (t,) in Hold.select(Hold.title)
            .where(Hold.title.in_([ln.copy.title_id for ln in loans]) & (Hold.status == "waiting"))
            .tuples()
        }
    return {
        "loans": loans,
        "holds": holds,
        "places": queue_places(holds),
        "keep": keep,
        "history": history,
        "waiting_titles": waiting_titles,
        "libraries": {lib.id: lib for lib in Library.select()},
        "today": today_local(),
    }


# --- overdue letters and figures ------------------------------------------------------------


def overdue_people(library: Library, everyone: bool = False) -> list[tuple[User, list[Loan]]]:
    """People with overdue loans and their loans, by name: those without e-mail (or everyone)."""
    loans = (
        Loan.select(Loan, Copy, Title, User)
        .join(Copy)
        .join(Title)
        .switch(Loan)
        .join(User, on=(Loan.member == User.id))
        .where((Loan.library == library) & Loan.returned_at.is_null() & (Loan.due_date < today_local()))
        .order_by(User.name, Loan.due_date)
    )
    people: dict[int, tuple[User, list[Loan]]] = {}
    for loan in loans:
        if everyone or not loan.member.email:
            people.setdefault(loan.member.id, (loan.member, []))[1].append(loan)
    return list(people.values())


def monthly_figures(library: Library, months: int = 12) -> list[dict[str, Any]]:
    """Loans (by language), returns and new members per Milan calendar month, latest first."""
    first = today_local().replace(day=1)
    rows = []
    for _i in range(months):
        lo, hi = month_bounds_utc(first.year, first.month)
        loans = dict(
            Loan.select(Loan.language, fn.COUNT(Loan.id))
            .where((Loan.library == library) & (Loan.issued_at >= lo) & (Loan.issued_at < hi))
            .group_by(Loan.language)
            .tuples()
        )
        rows.append(
            {
                "month": first,
                "loans": sum(loans.values()),
                "by_language": loans,
                "returns": Loan.select()
                .where((Loan.library == library) & (Loan.returned_at >= lo) & (Loan.returned_at < hi))
                .count(),
                "members": LibraryMember.select()
                .where(
                    (LibraryMember.library == library)
                    & (LibraryMember.joined_at >= lo)
                    & (LibraryMember.joined_at < hi)
                )
                .count(),
            }
        )
        first = (first - timedelta(days=1)).replace(day=1)
    return rows


def expire_holds_job(now: datetime) -> int:
    """Scheduled: expire uncollected holds everywhere and call the next in line."""
    return len(expire_holds(now=now))


def open_libraries_job(now: datetime) -> int:
    """Scheduled: give every centre that offers the library service its library (default policy).
    Idempotent: a centre that has one is left alone."""
    opened = 0
    offering = Service.select(Service.site).where(Service.area == "library")
    has_library = fn.EXISTS(Library.select().where(Library.site == Site.id))
    for site in list(Site.select().where(Site.id.in_(offering) & ~has_library)):
        Library.for_site(site)
        opened += 1
    return opened
