"""The agenda's search: accents ignored, small typos forgiven, periods (oggi, settimana, weekend, dates),
the dates of one course shown once, filters folded away."""

import re
from datetime import date, datetime, time, timedelta

import pytest
from test_events import STAFF_FAENZA, event_form, html_of

from portal.clock import to_utc
from portal.events.models import Event
from portal.models import Site


def at(day, hour=18, title="Evento", **fields):
    start = to_utc(datetime.combine(day, time(hour)))
    return Event.create(
        site=Site.get(Site.slug == "faenza"),
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        **fields,
    )


def titles(html):
    return re.findall(r'class="ev-title"[^>]*>([^<]+)<', html)


@pytest.mark.clock("2026-11-18T10:00:00+01:00")  # a Wednesday
def test_search_ignores_accents_and_case(client, seed):
    at(date(2026, 11, 20), title="Caffè letterario")
    at(date(2026, 11, 21), title="CAFFÈ DEI GENITORI")
    at(date(2026, 11, 22), title="Tè e biscotti", description="Si parla di caffè e di tè.")
    at(date(2026, 11, 23), title="Ginnastica")
    assert titles(html_of(client.get("/events?q=caffe"))) == ["Caffè letterario", "CAFFÈ DEI GENITORI", "Tè e biscotti"]
    assert titles(html_of(client.get("/events?q=CAFFÈ genitori"))) == ["CAFFÈ DEI GENITORI"]


@pytest.mark.clock("2026-11-18T10:00:00+01:00")
def test_small_typos_are_forgiven(client, seed):
    at(date(2026, 11, 20), title="Laboratorio di ceramica")
    html = html_of(client.get("/events?q=ceramcia"))
    assert titles(html) == ["Laboratorio di ceramica"]
    assert "Nessun evento per «ceramcia». Ecco i risultati per «ceramica»." in html
    assert titles(html_of(client.get("/events?q=zzzzzz"))) == []


@pytest.mark.clock("2026-11-18T10:00:00+01:00")  # Wednesday 18 November: the weekend is 21-22
def test_periods_today_week_weekend_and_dates(client, seed):
    at(date(2026, 11, 18), hour=20, title="Stasera")
    at(date(2026, 11, 20), title="Venerdì")
    at(date(2026, 11, 21), title="Sabato")
    at(date(2026, 11, 22), title="Domenica")
    at(date(2026, 11, 24), title="Martedì dopo")
    assert titles(html_of(client.get("/events?when=today"))) == ["Stasera"]
    assert titles(html_of(client.get("/events?when=week"))) == ["Stasera", "Venerdì", "Sabato", "Domenica"]
    assert titles(html_of(client.get("/events?when=weekend"))) == ["Sabato", "Domenica"]
    assert titles(html_of(client.get("/events?from=2026-11-20&to=2026-11-21"))) == ["Venerdì", "Sabato"]
    assert titles(html_of(client.get("/events?from=2026-11-21&to=2026-11-20"))) == ["Venerdì", "Sabato"]  # swapped
    assert len(titles(html_of(client.get("/events?from=nonsense")))) == 5  # a bad date is ignored


@pytest.mark.clock("2026-11-18T10:00:00+01:00")
def test_search_shows_a_course_once_and_filters_fold_away(client, auth, seed):
    auth.login(STAFF_FAENZA)
    data = event_form(seed["sites"]["faenza"], title="Corso di italiano", day="2026-11-19", freq="weekly", count="6")
    assert client.post("/staff/events/new", data=data).status_code == 303
    auth.logout()
    at(date(2026, 11, 25), title="Festa di italiano e arabo")
    html = html_of(client.get("/events?q=italiano"))
    assert titles(html) == ["Corso di italiano", "Festa di italiano e arabo"]
    assert "È un corso: ci sono altre 5 date." in html
    assert (
        len([t for t in titles(html_of(client.get("/events"))) if t == "Corso di italiano"]) == 6
    )  # no search: every date
    assert '<details class="more-filters">' in html  # folded: the first screen shows events
    assert '<details class="more-filters" open>' in html_of(client.get("/events?site=faenza"))
