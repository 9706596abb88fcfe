"""The library's part of "Le mie cose": books on loan (with Renew) and holds (with Cancel)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from portal.areas import MyThing, ThingAction
from portal.clock import local_date, start_of_local_day, today_local
from portal.models import Site, User

from .models import Copy, Hold, Library, Loan, Title
from .services import active_hold, queue_places


def _where(library: Library) -> str:
    return f"{library.name}, {library.site.full_address}"


def my_things(user: User, since: datetime) -> list[MyThing]:
    """Open loans (due on a day: all-day things) and active holds (a ready one until its last
    pickup day; a waiting one has no date). ``since`` does not apply: open is open."""
    today = today_local()
    libraries = {lib.id: lib for lib in Library.select(Library, Site).join(Site)}
    loans = list(
        Loan.select(Loan, Copy, Title)
        .join(Copy)
        .join(Title)
        .where((Loan.member == user.id) & Loan.returned_at.is_null())
        .order_by(Loan.due_date)
    )
    waiting_titles: set[int] = set()
    if loans:
        waiting_titles = {
            t
            for (t,) in Hold.select(Hold.title)
            .where(Hold.title.in_([loan.copy.title_id for loan in loans]) & (Hold.status == "waiting"))
            .tuples()
        }
    things = []
    for loan in loans:
        library = libraries[loan.library_id]
        overdue = loan.due_date < today
        actions = []
        if loan.renewals < library.max_renewals and not overdue and loan.copy.title_id not in waiting_titles:
            actions.append(
                ThingAction(
                    _l("Rinnova"), url_for("library.renew_mine", loan_id=loan.id), describe=loan.copy.title.title
                )
            )
        things.append(
            MyThing(
                # The due date is part of the key: a renewal moves the thing in people's calendars.
                key=f"library-loan-{loan.id}-{loan.due_date:%Y%m%d}",
                kind=_l("Libro in prestito"),
                title=loan.copy.title.title,
                starts_at=start_of_local_day(loan.due_date),
                ends_at=start_of_local_day(loan.due_date + timedelta(days=1)),
                changed_at=loan.issued_at,
                all_day=True,
                where=_where(library),
                note=_l("Scaduto: riportalo appena puoi") if overdue else _l("Da restituire entro questo giorno"),
                badge="full" if overdue else "",
                link=url_for("library.my_library"),
                actions=actions,
            )
        )
    holds = list(
        Hold.select(Hold, Title).join(Title).where((Hold.member == user.id) & active_hold()).order_by(Hold.created_at)
    )
    places = queue_places(holds)
    for hold in holds:
        library = libraries[hold.title.library_id]
        cancel = ThingAction(
            _l("Annulla la prenotazione"),
            url_for("library.cancel_mine", hold_id=hold.id),
            danger=True,
            describe=hold.title.title,
        )
        kind = pgettext("library", "Libro prenotato")
        if hold.status == "ready" and hold.expires_at is not None:
            last_day = local_date(hold.expires_at)
            thing = MyThing(
                key=f"library-hold-{hold.id}-{last_day:%Y%m%d}",
                kind=kind,
                title=hold.title.title,
                starts_at=start_of_local_day(last_day),
                ends_at=start_of_local_day(last_day + timedelta(days=1)),
                changed_at=hold.ready_at or hold.created_at,
                all_day=True,
                where=_where(library),
                note=_l("Pronto: ritiralo entro questo giorno"),
                badge="ok",
                link=url_for("library.title", title_id=hold.title_id),
                actions=[cancel],
            )
        else:
            thing = MyThing(
                key=f"library-hold-{hold.id}",
                kind=kind,
                title=hold.title.title,
                starts_at=None,
                ends_at=None,
                changed_at=hold.created_at,
                where=_where(library),
                note=_l("In lista: posizione %(place)d", place=places.get(hold.id, 1)),
                link=url_for("library.title", title_id=hold.title_id),
                actions=[cancel],
                in_calendar=False,
            )
        things.append(thing)
    return things
