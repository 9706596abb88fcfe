"""The bookings area's reminders (a scheduled job) and its part of the staff member's day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.areas import DayRow, DaySection, ReminderKind
from portal.clock import local_date, local_day_bounds, to_local
from portal.models import Site, User
from portal.phrases import phrase
from portal.reminders import absolute_url, in_site_context, morning_yet, remind

from .models import Booking, Loan, Resource

DAY_BEFORE, DUE, OVERDUE = "bookings_day_before", "bookings_equipment_due", "bookings_equipment_overdue"
KINDS = [
    ReminderKind(DAY_BEFORE, _l("Postazioni e sale: il giorno prima")),
    ReminderKind(DUE, _l("Attrezzatura: da restituire domani")),
    ReminderKind(OVERDUE, _l("Attrezzatura: restituzione in ritardo")),
]
SLOTS = {"am": _l("mattina"), "pm": _l("pomeriggio"), "day": _l("giornata intera")}


def _hhmm(moment: datetime) -> str:
    return to_local(moment).strftime("%H:%M")


def _send(key: str, kind: str, person: User, site_id: int, message, reason, link: str) -> str:
    return remind(
        key,
        kind,
        site_id=site_id,
        name=person.name,
        email=person.email,
        phone=person.phone,
        user=person.id,
        language=person.language,
        message=message,
        reason=reason,
        link=link,
    )


@in_site_context
def remind_job(now: datetime) -> int:
    """The job: desk bookings tomorrow; equipment due back tomorrow; equipment overdue (once)."""
    if not morning_yet(now):
        return 0
    tomorrow = local_date(now) + timedelta(days=1)
    first, last = local_day_bounds(tomorrow)
    given = 0
    mine = absolute_url("bookings.my_bookings")
    bookings = (
        Booking.select(Booking, Resource, User)
        .join(Resource)
        .switch(Booking)
        .join(User)
        .where(
            (Booking.day == tomorrow) & (Booking.status == "booked") & (Booking.created_at < now - timedelta(hours=12))
        )
    )
    for booking in list(bookings):
        res = booking.resource

        def message(booking=booking, res=res):
            body = _(
                "Ciao %(name)s,\n\nti ricordiamo la prenotazione di domani: %(resource)s, %(slot)s, dalle %(start)s "
                "alle %(end)s.\nSe non ti serve più, annullala così il posto passa a un'altra persona: %(link)s\n\n"
                "Binari – Kaleidoscopi Metropolitani",
                name=booking.user.name,
                resource=res.name,
                slot=SLOTS.get(booking.slot, booking.slot),
                start=_hhmm(booking.starts_at),
                end=_hhmm(booking.ends_at),
                link=mine,
            )
            return _("Binari: promemoria della prenotazione di domani"), body

        given += bool(
            _send(
                f"bookings:booking:{booking.id}:day_before",
                DAY_BEFORE,
                booking.user,
                res.site_id,
                message,
                lambda res=res, booking=booking: phrase(
                    "Promemoria: domani %(resource)s dalle %(start)s", resource=res.name, start=_hhmm(booking.starts_at)
                ),
                url_for("bookings.staff_desk", site=Site.get_by_id(res.site_id).slug),
            )
        )
    loans = Loan.select(Loan, User).join(User).where(Loan.status == "out")
    for loan in list(loans):
        link = url_for("bookings.staff_loan", loan_id=loan.id)
        if first <= loan.return_at < last:

            def due_message(loan=loan):
                body = _(
                    "Ciao %(name)s,\n\nl'attrezzatura che hai in prestito va riportata domani entro le %(time)s.\n"
                    "I tuoi prestiti: %(link)s\n\nBinari – Kaleidoscopi Metropolitani",
                    name=loan.user.name,
                    time=_hhmm(loan.return_at),
                    link=mine,
                )
                return _("Binari: attrezzatura da restituire domani"), body

            given += bool(
                _send(
                    f"bookings:loan:{loan.id}:due:{loan.return_at:%Y%m%d%H%M}",
                    DUE,
                    loan.user,
                    loan.site_id,
                    due_message,
                    lambda loan=loan: phrase(
                        "Promemoria: riportare l'attrezzatura domani entro le %(time)s", time=_hhmm(loan.return_at)
                    ),
                    link,
                )
            )
        elif loan.return_at < now:

            def late_message(loan=loan):
                body = _(
                    "Ciao %(name)s,\n\nl'attrezzatura che hai in prestito andava riportata il %(when)s. Riportala "
                    "appena puoi: altre persone l'aspettano. Se hai un problema, chiamaci.\n%(link)s\n\n"
                    "Binari – Kaleidoscopi Metropolitani",
                    name=loan.user.name,
                    when=to_local(loan.return_at).strftime("%d/%m/%Y %H:%M"),
                    link=mine,
                )
                return _("Binari: attrezzatura da restituire"), body

            given += bool(
                _send(
                    f"bookings:loan:{loan.id}:overdue:{loan.return_at:%Y%m%d%H%M}",
                    OVERDUE,
                    loan.user,
                    loan.site_id,
                    late_message,
                    lambda: phrase("Attrezzatura in ritardo: chiedere di riportarla"),
                    link,
                )
            )
    return given


def staff_day(site_id: int, day: date) -> list[DaySection]:
    """Desk bookings to check in, equipment pickups and returns of the day."""
    from .staff_views import _daily

    site = Site.get_by_id(site_id)
    bookings, pickups, returns, _lines = _daily(site, day)
    states = {"booked": _("da accogliere"), "checked_in": _("arrivata/o"), "no_show": _("non si è presentata/o")}
    desk = [
        DayRow(
            time=_hhmm(b.starts_at),
            text=f"{b.resource.name} · {b.user.name}",
            note=str(states.get(b.status, b.status)),
            link=url_for("bookings.staff_desk", site=site.slug),
        )
        for b in bookings
    ]
    moves = [
        DayRow(
            time=_hhmm(loan.pickup_at),
            text=_("Ritiro: %(name)s", name=loan.user.name),
            note=_("consegnato") if loan.status == "out" else _("da consegnare"),
            link=url_for("bookings.staff_loan", loan_id=loan.id),
        )
        for loan in pickups
    ] + [
        DayRow(
            time=_hhmm(loan.return_at),
            text=_("Restituzione: %(name)s", name=loan.user.name),
            note=_("restituito") if loan.status == "returned" else _("da ricevere"),
            link=url_for("bookings.staff_loan", loan_id=loan.id),
        )
        for loan in returns
    ]
    moves.sort(key=lambda row: row.time)
    return [
        DaySection(
            _l("Postazioni e sale"),
            desk,
            url_for("bookings.staff_desk", site=site.slug),
            _l("Sportello prenotazioni"),
            _l("Nessuna prenotazione in questo giorno."),
        ),
        DaySection(
            _l("Attrezzatura: ritiri e restituzioni"),
            moves,
            url_for("bookings.staff_requests", site=site.slug),
            _l("Richieste di prestito"),
            _l("Nessun ritiro né restituzione in questo giorno."),
        ),
    ]
