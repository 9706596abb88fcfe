"""The library's reminders (a scheduled job) and its part of the staff member's day."""

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

from .models import Copy, Hold, Library, Loan, Title

HOLD, DUE_SOON, OVERDUE = "library_hold_ready", "library_due_soon", "library_overdue"
KINDS = [
    ReminderKind(HOLD, _l("Biblioteca: libro prenotato da ritirare (ultimo giorno domani)")),
    ReminderKind(DUE_SOON, _l("Biblioteca: prestito in scadenza tra 3 giorni")),
    ReminderKind(OVERDUE, _l("Biblioteca: prestito scaduto")),
]
SIGNATURE = "\n\nBinari – Kaleidoscopi Metropolitani"


def _send(key: str, kind: str, member: User, library: Library, message, reason, link: str) -> str:
    return remind(
        key,
        kind,
        site_id=library.site_id,
        name=member.name,
        email=member.email,
        phone=member.phone,
        user=member.id,
        language=member.language,
        message=message,
        reason=reason,
        link=link,
    )


@in_site_context
def remind_job(now: datetime) -> int:
    """The job: a ready hold's last day tomorrow; a loan due in `due_soon_days` (3); a loan overdue (once
    per due date, the day after it)."""
    if not morning_yet(now):
        return 0
    today = local_date(now)
    given = 0
    mine = absolute_url("library.my_library")
    first, last = local_day_bounds(today + timedelta(days=1))
    holds = (
        Hold.select(Hold, Title, Library, User)
        .join(Title)
        .join(Library)
        .switch(Hold)
        .join(User)
        .where((Hold.status == "ready") & (Hold.expires_at >= first) & (Hold.expires_at < last))
    )
    for hold in list(holds):
        library, member = hold.title.library, hold.member

        def hold_message(hold=hold, library=library, member=member):
            body = _(
                "Ciao %(name)s,\n\n«%(title)s» ti aspetta ancora alla %(library)s: domani è l'ultimo giorno per "
                "ritirarlo, poi passa alla persona successiva in lista.\n%(link)s",
                name=member.name,
                title=hold.title.title,
                library=library.name,
                link=mine,
            )
            return _("Biblioteca: ultimo giorno per ritirare il libro"), body + SIGNATURE

        given += bool(
            _send(
                f"library:hold:{hold.id}:last_day",
                HOLD,
                member,
                library,
                hold_message,
                lambda hold=hold: phrase(
                    "Biblioteca: domani ultimo giorno per ritirare «%(title)s»", title=hold.title.title
                ),
                url_for("library.holds_shelf", site=Site.get_by_id(library.site_id).slug),
            )
        )
    loans = (
        Loan.select(Loan, Copy, Title, Library, User)
        .join(Copy)
        .join(Title)
        .switch(Loan)
        .join(Library)
        .switch(Loan)
        .join(User, on=(Loan.member == User.id))
        .where(Loan.returned_at.is_null() & (Loan.due_date <= today + timedelta(days=7)))
    )
    for loan in list(loans):
        library, member, title = loan.library, loan.member, loan.copy.title.title
        link = url_for("library.reader", site=Site.get_by_id(library.site_id).slug, code=member.member_code)
        due = loan.due_date.strftime("%d/%m/%Y")
        if loan.due_date == today + timedelta(days=library.due_soon_days):

            def soon_message(member=member, title=title, due=due, library=library):
                body = _(
                    "Ciao %(name)s,\n\n«%(title)s» va restituito entro il %(date)s alla %(library)s. Se ti serve "
                    "ancora, puoi rinnovarlo dalla tua pagina: %(link)s",
                    name=member.name,
                    title=title,
                    date=due,
                    library=library.name,
                    link=mine,
                )
                return _("Biblioteca: prestito in scadenza"), body + SIGNATURE

            given += bool(
                _send(
                    f"library:loan:{loan.id}:due:{loan.due_date.isoformat()}",
                    DUE_SOON,
                    member,
                    library,
                    soon_message,
                    lambda title=title, due=due: phrase(
                        "Biblioteca: «%(title)s» scade il %(date)s", title=title, date=due
                    ),
                    link,
                )
            )
        elif loan.due_date < today:

            def late_message(member=member, title=title, due=due, library=library):
                body = _(
                    "Ciao %(name)s,\n\n«%(title)s» andava restituito entro il %(date)s. Riportalo appena puoi alla "
                    "%(library)s: altre persone lo aspettano. Se ti serve più tempo, passa in biblioteca o chiamaci.",
                    name=member.name,
                    title=title,
                    date=due,
                    library=library.name,
                )
                return _("Biblioteca: libro da restituire"), body + SIGNATURE

            channel = _send(
                f"library:loan:{loan.id}:overdue:{loan.due_date.isoformat()}",
                OVERDUE,
                member,
                library,
                late_message,
                lambda title=title, due=due: phrase(
                    "Biblioteca: «%(title)s» scaduto il %(date)s", title=title, date=due
                ),
                link,
            )
            if channel == "mail":  # the desk's weekly e-mail waits a week after this one
                Loan.update(reminded_at=now).where(Loan.id == loan.id).execute()
            given += bool(channel)
    return given


def staff_day(site_id: int, day: date) -> list[DaySection]:
    """Holds ready on the shelf and loans due back on the day."""
    library = Library.get_or_none(Library.site == site_id)
    if library is None:
        return []
    slug = Site.get_by_id(site_id).slug
    first, last = local_day_bounds(day)
    ready = list(
        Hold.select(Hold, Title, User)
        .join(Title)
        .switch(Hold)
        .join(User)
        .where((Title.library == library) & (Hold.status == "ready") & (Hold.ready_at < last))
        .order_by(Hold.expires_at)
        .limit(50)
    )
    due = list(
        Loan.select(Loan, Copy, Title, User)
        .join(Copy)
        .join(Title)
        .switch(Loan)
        .join(User, on=(Loan.member == User.id))
        .where((Loan.library == library) & (Loan.due_date == day) & Loan.returned_at.is_null())
        .order_by(Title.title)
        .limit(50)
    )
    hold_rows = [
        DayRow(
            time="",
            text=f"{hold.title.title} · {hold.member.name}",
            note=_("fino al %(date)s", date=to_local(hold.expires_at).strftime("%d/%m")) if hold.expires_at else "",
            link=url_for("library.holds_shelf", site=slug),
        )
        for hold in ready
    ]
    due_rows = [
        DayRow(
            time="",
            text=f"{loan.copy.title.title} · {loan.member.name}",
            note=loan.copy.barcode,
            link=url_for("library.reader", site=slug, code=loan.member.member_code),
        )
        for loan in due
    ]
    return [
        DaySection(
            _l("Biblioteca: prenotazioni pronte"),
            hold_rows,
            url_for("library.holds_shelf", site=slug),
            _l("Scaffale prenotazioni"),
            _l("Nessun libro in attesa di ritiro."),
        ),
        DaySection(
            _l("Biblioteca: prestiti da restituire"),
            due_rows,
            url_for("library.desk", site=slug),
            _l("Sportello prestiti"),
            _l("Nessun prestito in scadenza in questo giorno."),
        ),
    ]
