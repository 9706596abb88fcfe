"""A person's co-working bookings and equipment loans: the data export and the erasure.

The `export`, `erase` and `people_to_phone` slots of the bookings area (see `portal.areas`).
Every row of this area is linked to an account (there are no guest rows with a
typed e-mail or phone), so matching by user id finds everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.areas import DataSection, PhoneCall
from portal.clock import utcnow
from portal.models import Site, User
from portal.refusals import Refusal

from . import notices, services
from .models import Booking, BookingSeries, CalendarToken, Item, Loan, LoanItem, Resource, SlotClaim, WeeklyCount

BOOKING_STATUSES = {
    "booked": _l("Prenotata"),
    "checked_in": _l("Arrivata/o"),
    "cancelled": _l("Annullata"),
    "no_show": _l("Non venuta/o"),
}
SLOT_NAMES = {"am": _l("Mattina"), "pm": _l("Pomeriggio"), "day": _l("Giornata intera")}
LOAN_STATUSES = {
    "requested": _l("Richiesto"),
    "approved": _l("Approvato"),
    "declined": _l("Non accolto"),
    "out": _l("In prestito"),
    "returned": _l("Restituito"),
    "cancelled": _l("Annullato"),
}
BOOKING_LABELS = {
    "resource": _l("Postazione o sala"),
    "centre": _l("Centro"),
    "day": _l("Giorno"),
    "slot": _l("Fascia"),
    "starts_at": _l("Inizio"),
    "ends_at": _l("Fine"),
    "status": _l("Stato"),
    "created_at": _l("Prenotata il"),
}
LOAN_LABELS = {
    "centre": _l("Centro"),
    "items": _l("Oggetti"),
    "pickup_at": _l("Ritiro"),
    "return_at": _l("Restituzione"),
    "purpose": _l("A cosa ti serve? (facoltativo)"),
    "status": _l("Stato"),
    "staff_message": _l("Messaggio dello sportello"),
    "deposit_taken": _l("Cauzione ricevuta (euro)"),
    "deposit_returned": _l("Cauzione restituita (euro)"),
    "created_at": _l("Richiesta il"),
}
COUNT_LABELS = {
    "centre": _l("Centro"),
    "kind": _l("Tipo"),
    "week": _l("Settimana dal"),
    "taken": _l("Prenotazioni nella settimana"),
}
WEEKLY_LABELS = {
    "centre": _l("Centro"),
    "slot": _l("Fascia"),
    "first_day": _l("Primo giorno"),
    "until": _l("Ogni settimana fino al (compreso)"),
    "created_at": _l("Prenotata il"),
}
CALENDAR_LABELS = {"calendar_feed": _l("Link privato del calendario attivo")}


def export(user: User) -> list[DataSection]:
    """Desk and room bookings (and weekly slots), equipment loans, weekly counters and the calendar link of `user`."""
    bookings = [
        {
            "resource": b.resource.name,
            "centre": b.resource.site.name,
            "day": b.day,
            "slot": b.slot,
            "starts_at": b.starts_at,
            "ends_at": b.ends_at,
            "status": b.status,
            "created_at": b.created_at,
        }
        for b in Booking.select(Booking, Resource, Site)
        .join(Resource)
        .join(Site)
        .where(Booking.user == user.id)
        .order_by(Booking.starts_at)
    ]
    loan_rows = list(Loan.select(Loan, Site).join(Site).where(Loan.user == user.id).order_by(Loan.pickup_at))
    names: dict[int, list[str]] = {}
    if loan_rows:
        for li in LoanItem.select(LoanItem, Item).join(Item).where(LoanItem.loan.in_([r.id for r in loan_rows])):
            names.setdefault(li.loan_id, []).append(li.item.name)
    loans = [
        {
            "centre": loan.site.name,
            "items": ", ".join(sorted(names.get(loan.id, []))),
            "pickup_at": loan.pickup_at,
            "return_at": loan.return_at,
            "purpose": loan.purpose,
            "status": loan.status,
            "staff_message": loan.staff_message,
            "deposit_taken": loan.deposit_taken,
            "deposit_returned": loan.deposit_returned,
            "created_at": loan.created_at,
        }
        for loan in loan_rows
    ]
    counts = [
        {"centre": c.site.name, "kind": c.kind, "week": c.week, "taken": c.taken}
        for c in WeeklyCount.select(WeeklyCount, Site).join(Site).where(WeeklyCount.user == user.id)
    ]
    weekly = [
        {"centre": w.site.name, "slot": w.slot, "first_day": w.first_day, "until": w.until, "created_at": w.created_at}
        for w in BookingSeries.select(BookingSeries, Site).join(Site).where(BookingSeries.user == user.id)
    ]
    calendar = [{"calendar_feed": True}] if CalendarToken.select().where(CalendarToken.user == user.id).exists() else []
    return [
        DataSection(
            "bookings",
            _l("Prenotazioni di postazioni e sale"),
            bookings,
            BOOKING_LABELS,
            {"status": BOOKING_STATUSES, "slot": SLOT_NAMES},
        ),
        DataSection("weekly_slots", _l("Prenotazioni di ogni settimana"), weekly, WEEKLY_LABELS, {"slot": SLOT_NAMES}),
        DataSection("loans", _l("Prestiti di attrezzatura"), loans, LOAN_LABELS, {"status": LOAN_STATUSES}),
        DataSection("weekly_counts", _l("Prenotazioni contate per settimana"), counts, COUNT_LABELS),
        DataSection("calendar", _l("Calendario"), calendar, CALENDAR_LABELS),
    ]


def erase(user: User) -> None:
    """Free the person's future bookings and loan requests, anonymise the past (inside the caller's transaction).

    Refused while the person has equipment in hand: it must come back first.
    """
    if Loan.select().where((Loan.user == user.id) & (Loan.status == "out")).exists():
        raise Refusal(
            _("Hai ancora attrezzatura in prestito: riportala allo sportello, poi potrai cancellare l'account.")
        )
    now = utcnow()
    for booking in Booking.select().where((Booking.user == user.id) & (Booking.status == "booked")):
        services.cancel_booking(booking, by_staff=True, now=now)
    for loan in Loan.select().where((Loan.user == user.id) & Loan.status.in_(["requested", "approved"])):
        services.cancel_loan(loan, now=now, by_staff=True)
    # What stays is anonymous: no user link, no free text the person wrote or that was written to them.
    SlotClaim.delete().where(SlotClaim.user == user.id).execute()
    WeeklyCount.delete().where(WeeklyCount.user == user.id).execute()
    CalendarToken.delete().where(CalendarToken.user == user.id).execute()
    Booking.update(user=None).where(Booking.user == user.id).execute()
    BookingSeries.update(user=None).where(BookingSeries.user == user.id).execute()
    (
        Loan.update(
            user=None,
            purpose="",
            staff_message="",
            return_notes="",
            phone_notice="",
            phone_notice_at=None,
            phoned_at=None,
        )
        .where(Loan.user == user.id)
        .execute()
    )


def people_to_phone(site_ids: Sequence[int]) -> list[PhoneCall]:
    """Borrowers without e-mail to phone about a decision or an overdue loan (and last week's calls)."""
    calls = []
    for loan in services.phone_list(site_ids):
        person, staff = loan.user, loan.phoned_by
        if person is None:  # phone_list joins the borrower: never None here
            continue
        calls.append(
            PhoneCall(
                area="bookings",
                site_id=loan.site_id,
                name=person.name,
                phone=person.phone or "",
                reason=notices.REASONS.get(loan.phone_notice, ""),
                link=url_for("bookings.staff_loan", loan_id=loan.id),
                since=loan.phone_notice_at,
                done_at=loan.phoned_at,
                done_by=staff.name if staff else "",
                key=f"loan:{loan.id}",
            )
        )
    return calls


def members_at(site_ids: Sequence[int]) -> Any:
    """Accounts with a booking or an equipment loan at these centres (staff see only those)."""
    ids = list(site_ids)
    booked = Booking.select(Booking.user).join(Resource).where(Resource.site.in_(ids) & Booking.user.is_null(False))
    borrowed = Loan.select(Loan.user).where(Loan.site.in_(ids) & Loan.user.is_null(False))
    return booked | borrowed


def phone_done(key: str, staff: User) -> bool:
    """The `phone_done` slot: the core phone list recorded a call about a loan's notice."""
    kind, _sep, loan_id = key.partition(":")
    loan = Loan.get_or_none(Loan.id == int(loan_id)) if kind == "loan" and loan_id.isdigit() else None
    if loan is None or not loan.phone_notice:
        return False
    services.record_phone_call(loan, staff)
    return True
