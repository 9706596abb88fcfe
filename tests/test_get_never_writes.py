"""A GET never writes and never sends: crawl every GET route of the app on the demo data, as
anonymous, resident, staff and admin, and count the INSERT/UPDATE/DELETE statements sent to the
database (peewee's ``Database.execute_sql``) while each page is served.

Housekeeping (no-show release, hold expiry, reminders, purges) runs in jobs (`portal.jobs`); pages
compute what is true in their queries. The only GETs allowed to write are listed in `EXEMPT`, each
with its reason: the list is the place to argue about them.
"""

import re
from datetime import timedelta

import pytest
from peewee import Database

from portal.clock import today_local

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b", re.IGNORECASE)

#: GET routes that still write, with the reason. Keep it short; every entry is a debt.
EXEMPT: dict[str, str] = {
    # Empty: the e-mailed confirmation links of guests show a button and confirm on POST.
}

ROLES = {
    "anonymous": None,
    "resident": "maria@binari.example",
    "staff": "visconti@staff.binari.example",
    "staff-erlembaldo": "erlembaldo@staff.binari.example",
    "admin": "admin@binari.example",
}


@pytest.fixture
def demo_data(app):
    from portal import demo

    demo.load()


def _values():
    """A real value for every URL argument, from the demo data."""
    from portal.bookings.models import CalendarToken, Item, Kit, Loan, Resource
    from portal.desks.models import Appointment, Desk
    from portal.events import tokens
    from portal.events.models import Event, Registration
    from portal.library.models import Copy, Title
    from portal.models import Partner, User
    from portal.volunteer import services as volunteer
    from portal.volunteer.models import Opportunity, Profile, Shift, Signup

    today = today_local()
    maria = User.get(User.email == "maria@binari.example")
    event = Event.select().join(Registration).where(Event.status == "published").first() or Event.select().first()
    registration = Registration.select().where(Registration.event == event.id).first()
    signup = Signup.select().where(Signup.user.is_null()).first() or Signup.select().first()
    token, _created = CalendarToken.get_or_create(user=maria, defaults={"token": "crawl-calendar-token"})
    profile = Profile.select().first()
    item = Item.select().first()
    return {
        "event_id": event.id,
        "desk_id": Desk.select().first().id,
        "appointment_id": Appointment.select().first().id,
        "item_id": item.id,
        "kit_id": Kit.select().first().id,
        "loan_id": Loan.select().first().id,
        "resource_id": Resource.select().first().id,
        "title_id": Title.select().join(Copy).first().id,
        "copy_id": Copy.select().first().id,
        "member_id": maria.id,
        "user_id": maria.id,
        "partner_id": Partner.select().first().id,
        "opp_id": Opportunity.select().first().id,
        "shift_id": Shift.select().first().id,
        "series_id": (Event.select().where(Event.series.is_null(False)).first() or event).series_id or 1,
        "slug": "visconti",
        "day": (today + timedelta(days=1)).isoformat(),
        "ym": today.strftime("%Y-%m"),
        "key": "missing",
        "name": "missing.jpg",
        "rest": "",
        "tokens": {
            "events.registration": tokens.cancel_token(registration) if registration else "x",
            "bookings.ics": token.token,
            "volunteer.guest_signup": volunteer.signup_token(signup),
            "volunteer.guest_ics": volunteer.signup_token(signup),
            "volunteer.guest_confirm": volunteer.confirm_token(signup),
            "volunteer.feed": profile.feed_token if profile else "x",
        },
    }


def _urls(app, values):
    """(endpoint, url) for every GET route."""
    found = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        args = {}
        for name in rule.arguments:
            if name == "token":
                args[name] = values["tokens"].get(rule.endpoint, "not-a-token")
            elif name == "slug" and "event_id" in rule.arguments:
                args[name] = "evento"
            else:
                assert name in values, f"no value for <{name}> in {rule.rule}: add it to _values()"
                args[name] = values[name]
        with app.test_request_context():
            from flask import url_for

            found.append((rule.endpoint, url_for(rule.endpoint, **args)))
    return sorted(found)


class WriteCounter:
    def __init__(self):
        self.statements = []

    def __enter__(self):
        self.original = Database.execute_sql
        statements, original = self.statements, self.original

        def recording(db, sql, params=None, *args, **kwargs):
            if WRITE.match(sql):
                statements.append(sql.split("(")[0][:120])
            return original(db, sql, params, *args, **kwargs)

        Database.execute_sql = recording
        return self

    def __exit__(self, *exc):
        Database.execute_sql = self.original
        return False


def test_no_get_route_writes_or_sends(app, demo_data, auth, client):
    from portal.models import OutboxMessage

    values = _values()
    urls = _urls(app, values)
    assert len(urls) > 100  # the crawl really covers the app
    offenders = []
    statuses = {}
    for role, identifier in ROLES.items():
        if identifier:
            assert auth.login(identifier).status_code == 302, role
        outbox_before = OutboxMessage.select().count()
        for endpoint, url in urls:
            with WriteCounter() as counter:
                response = client.get(url)
            statuses[(role, url)] = response.status_code
            assert response.status_code < 500, f"{role} GET {url}: {response.status_code}"
            if counter.statements and endpoint not in EXEMPT:
                offenders.append(f"{role} GET {url} ({endpoint}): {counter.statements}")
        assert OutboxMessage.select().count() == outbox_before, f"{role}: a GET queued mail"
        if identifier:
            auth.logout()
    assert not offenders, "GET routes that write:\n" + "\n".join(offenders)
    # The crawl reached real pages, not only refusals.
    assert sum(1 for status in statuses.values() if status == 200) > 150


def test_exemptions_still_write(app, demo_data, client):
    """An exemption whose route no longer writes must leave the list."""
    values = _values()
    for endpoint, url in _urls(app, values):
        if endpoint in EXEMPT:
            with WriteCounter() as counter:
                client.get(url)
            assert counter.statements, f"{endpoint} writes nothing any more: remove it from EXEMPT"
