"""A whole course in one step: register for (or cancel) every remaining date of a series, where
staff allow it (`Series.whole_course`).

Each date is taken with the one registration service (`services.register`: the conditional UPDATE
on the seats and the partial unique indexes decide, per date); the dates are walked in order inside
ONE transaction, each date in its own savepoint, so a full date puts the person on its waitlist, a
date they already hold is left as it is, and any other error saves nothing at all. The dates share a
random `Registration.course_key`: one mail lists them, one link confirms or cancels them, the phone
list shows one call.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _

from portal.clock import utcnow
from portal.db import database
from portal.models import Site, User

from .models import Event, Registration, Series
from .notices import notify_course_registered, notify_guest_course_confirm
from .services import AlreadyRegistered, RegistrationClosed, cancel_registration, register


@dataclass
class CourseResult:
    """What one whole-course request gave: the registrations made, and the dates already held."""

    series: Series
    key: str
    confirmed: list[Registration] = field(default_factory=list)
    waitlist: list[Registration] = field(default_factory=list)
    already: list[Event] = field(default_factory=list)

    def dates(self) -> list[tuple[datetime, str]]:
        """[(start, "confirmed" | "waitlist" | "already")] in date order."""
        rows = [(r.event.starts_at, "confirmed") for r in self.confirmed]
        rows += [(r.event.starts_at, "waitlist") for r in self.waitlist]
        rows += [(e.starts_at, "already") for e in self.already]
        return sorted(rows)

    def first_registration(self) -> Registration | None:
        made = sorted(self.confirmed + self.waitlist, key=lambda r: r.event.starts_at)
        return made[0] if made else None


def remaining_dates(series_id: int) -> list[Event]:
    """The series' dates still open for registration (published, with seats, not started), in order.

    Closures never appear: the series skips them when it makes its dates."""
    return list(
        Event.select(Event, Site)
        .join(Site)
        .where(
            (Event.series == series_id)
            & (Event.status == "published")
            & Event.capacity.is_null(False)
            & (Event.starts_at > utcnow())
        )
        .order_by(Event.starts_at, Event.id)
    )


def course_for(event: Event) -> Series | None:
    """The series whose whole course can be taken from this date's page, or None."""
    if not event.series_id:
        return None
    series = Series.get_or_none(Series.id == event.series_id)
    return series if series is not None and series.whole_course else None


def register_course(
    series: Series,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    user: int | User | None = None,
    confirm_by: datetime | None = None,
    **kwargs,
) -> CourseResult:
    """Register a person for every remaining date of `series`, in one transaction (see the module doc).

    Members (and people registered by staff) get one mail listing the dates; a guest's mail is sent by
    `guest_course_sign_up`. RegistrationClosed when staff do not allow it or no date is left."""
    if not series.whole_course:
        raise RegistrationClosed(_("Per questa attività ci si iscrive data per data."))
    dates = remaining_dates(series.id)
    if not dates:
        raise RegistrationClosed(_("Non ci sono più date del corso a cui iscriversi."))
    result = CourseResult(series=series, key=secrets.token_hex(16))
    with database().atomic():
        for event in dates:
            try:
                reg = register(
                    event.id, name, email=email, phone=phone, user=user, confirm_by=confirm_by,
                    course_key=result.key, **kwargs,
                )  # fmt: skip
            except AlreadyRegistered:
                result.already.append(event)
                continue
            except RegistrationClosed:  # cancelled or started since the list was read: not offered
                continue
            reg.event = event
            (result.confirmed if reg.status == "confirmed" else result.waitlist).append(reg)
        if confirm_by is None:
            notify_course_registered(result)  # in the same transaction: a rollback sends nothing
    return result


def guest_course_sign_up(series: Series, name: str, email: str | None, phone: str | None) -> tuple[str, CourseResult]:
    """A guest asks for the whole course: the guest limits (once for the course), unconfirmed places,
    one mail with one link. Returns ("mail" | "phone", result); the page says the same whoever asked."""
    from portal.guests import admit, confirm_deadline

    admit("event-course", series.id)
    email = (email or "").strip().lower() or None
    result = register_course(series, name, email=email, phone=phone, confirm_by=confirm_deadline(bool(email)))
    if email:
        notify_guest_course_confirm(result, email)
    return ("mail" if email else "phone"), result


def my_course_registrations(series_id: int, user_id: int) -> dict[int, Registration]:
    """{event id: my live registration} over the series' future dates."""
    return {
        r.event_id: r
        for r in Registration.select(Registration, Event)
        .join(Event)
        .where(
            (Event.series == series_id)
            & (Event.starts_at > utcnow())
            & (Registration.user == user_id)
            & (Registration.status != "cancelled")
        )
    }


def course_registrations(key: str) -> list[Registration]:
    """The registrations made in one whole-course request, in date order (with their events)."""
    return list(
        Registration.select(Registration, Event, Site)
        .join(Event)
        .join(Site)
        .where(Registration.course_key == key)
        .order_by(Event.starts_at, Registration.id)
    )


def cancel_course(registrations: list[Registration]) -> int:
    """Cancel every future date among `registrations` in one transaction (each freed seat goes to the
    date's waitlist). Returns how many were cancelled."""
    now = utcnow()
    cancelled = 0
    with database().atomic():
        for reg in registrations:
            if reg.status != "cancelled" and reg.event.starts_at > now:
                done, _promoted = cancel_registration(reg.id)
                cancelled += done is not None
    return cancelled


def cancel_my_course(series_id: int, user_id: int) -> int:
    """A member cancels all their remaining dates of a course in one step."""
    return cancel_course(list(my_course_registrations(series_id, user_id).values()))
