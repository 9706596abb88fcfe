"""What the desk tells a borrower: by e-mail in the borrower's language, or on the phone list.

A borrower without e-mail gets the same notice by phone: the loan is flagged
(`Loan.phone_notice`) and appears on the staff phone list until someone records
the call (`services.record_phone_call`).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _

from portal.clock import to_local
from portal.mail import send_mail
from portal.phrases import phrase

from .models import Booking, Loan

APPROVED, DECLINED, OVERDUE, MOVED = "approved", "declined", "overdue", "moved"
#: What staff must tell the person on the phone, by kind of notice (phrases: each reader's language).
REASONS = {
    APPROVED: phrase("Prestito approvato: dirle/gli quando ritirare"),
    DECLINED: phrase("Prestito non possibile: dirglielo"),
    OVERDUE: phrase("Prestito in ritardo: ricordarle/gli di riportare l'attrezzatura"),
    MOVED: phrase("Prestito spostato: dirle/gli le nuove date di ritiro e restituzione"),
}


def _when(moment: datetime) -> str:
    return to_local(moment).strftime("%d/%m/%Y %H:%M")


def compose(loan: Loan, kind: str) -> tuple[str, str]:
    """(subject, body) of a notice, in the current locale (the caller forces the borrower's)."""
    if kind == APPROVED:
        subject = _("Binari: prestito approvato")
        body = _(
            "Il tuo prestito è approvato. Ritiro: %(when)s, %(place)s. Porta la tessera.",
            when=_when(loan.pickup_at),
            place=loan.site.full_address,
        )
    elif kind == DECLINED:
        subject = _("Binari: prestito non possibile")
        body = _(
            "Purtroppo non possiamo prestarti l'attrezzatura richiesta per il %(when)s.", when=_when(loan.pickup_at)
        )
    elif kind == MOVED:
        subject = _("Binari: nuove date del prestito")
        body = _(
            "Lo sportello ha cambiato le date del tuo prestito.\n\nRitiro: %(pickup)s\nRestituzione: %(back)s\n"
            "%(place)s\n\nSe le nuove date non vanno bene, chiama il centro.",
            pickup=_when(loan.pickup_at),
            back=_when(loan.return_at),
            place=loan.site.full_address,
        )
    else:
        subject = _("Binari: attrezzatura da restituire")
        body = _(
            "Ciao %(name)s,\n\nl'attrezzatura presa in prestito doveva tornare il %(when)s. Riportala appena puoi a "
            "%(place)s: finché non torna nessun altro può usarla.\n\nGrazie, lo sportello di Binari",
            name=loan.user.name if loan.user else "",
            when=_when(loan.return_at),
            place=loan.site.full_address,
        )
    if kind in (APPROVED, DECLINED) and loan.staff_message:
        body += "\n\n" + loan.staff_message
    return subject, body


def tell_borrower(loan: Loan, kind: str, now: datetime) -> bool:
    """Mail the borrower (True), or put the loan on the phone list when they have no e-mail (False)."""
    user = loan.user
    if user is None:  # an erased account: nobody to tell
        return False
    if user.email:
        with force_locale(user.language or "it"):
            subject, body = compose(loan, kind)
        send_mail(user.email, subject, body, user=user, site=loan.site_id, language=user.language or "it")
        return True
    (
        Loan.update(phone_notice=kind, phone_notice_at=now, phoned_at=None, phoned_by=None)
        .where(Loan.id == loan.id)
        .execute()
    )
    return False


def confirm_booking(booking: Booking) -> bool:
    """Confirm a desk or room booking by e-mail in the person's language (True when mailed).

    Without e-mail there is nothing to phone about: the person booked at the desk or online and sees it
    on their page (the reminder the day before goes on the phone list)."""
    user = booking.user
    if user is None or not user.email:
        return False
    from portal.reminders import absolute_url

    with force_locale(user.language or "it"):
        subject = _("Binari: prenotazione confermata")
        body = _(
            "Ciao %(name)s,\n\nla tua prenotazione è confermata: %(resource)s, %(day)s, dalle %(start)s alle "
            "%(end)s, %(place)s.\nSe non ti serve più, annullala così il posto passa a un'altra persona: "
            "%(link)s\n\nBinari – Kaleidoscopi Metropolitani",
            name=user.name,
            resource=booking.resource.name,
            day=to_local(booking.starts_at).strftime("%d/%m/%Y"),
            start=to_local(booking.starts_at).strftime("%H:%M"),
            end=to_local(booking.ends_at).strftime("%H:%M"),
            place=booking.resource.site.full_address,
            link=absolute_url("bookings.my_bookings"),
        )
    send_mail(user.email, subject, body, user=user, site=booking.resource.site_id, language=user.language or "it")
    return True


def confirm_weekly(series, weeks) -> bool:
    """One mail for a weekly slot: the weeks booked and those not booked with the reason (True when mailed)."""
    user = series.user
    if user is None or not user.email:
        return False
    from flask_babel import format_date

    from portal.reminders import absolute_url

    with force_locale(user.language or "it"):
        lines = []
        for week in weeks:
            day = format_date(week.day, "EEEE d MMMM y")
            if week.booking is not None:
                name = week.booking.resource.name
                lines.append("- " + _("%(day)s: prenotato (%(resource)s)", day=day, resource=name))
            else:
                lines.append("- " + _("%(day)s: non prenotato, %(reason)s", day=day, reason=week.reason_text))
        body = _(
            "Ciao %(name)s,\n\necco le settimane che hai chiesto a %(place)s:\n\n%(weeks)s\n\n"
            "Puoi annullare una settimana o tutte quelle rimaste da qui: %(link)s\n\n"
            "Binari – Kaleidoscopi Metropolitani",
            name=user.name,
            place=series.site.full_address,
            weeks="\n".join(lines),
            link=absolute_url("bookings.weekly_detail", series_id=series.id),
        )
        subject = _("Binari: la tua prenotazione di ogni settimana")
    send_mail(user.email, subject, body, user=user, site=series.site_id, language=user.language or "it")
    return True
