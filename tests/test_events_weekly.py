"""Weekly activities as one thing: the flyer of a course says when it meets ("ogni martedì …, tranne …"),
the monthly programme has an "every week" block, and a normal month fits one A4 sheet."""

import subprocess
from datetime import date

import pytest
from test_events import STAFF_FAENZA, event_form

from portal.events.models import Event, Series


def text_of(pdf):
    return " ".join(
        subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode().split()
    )


def pages_of(pdf):
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(info.split("Pages:")[1].split()[0])


def make_course(client, auth, seed, **fields):
    auth.login(STAFF_FAENZA)
    data = event_form(seed["sites"]["faenza"], freq="weekly", **fields)
    assert client.post("/staff/events/new", data=data).status_code == 303
    auth.logout()
    return Series.get(Series.title == fields["title"])


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_a_course_flyer_says_when_it_meets(client, auth, seed):
    series = make_course(
        client,
        auth,
        seed,
        title="Italiano per tutti",
        day="2026-12-01",
        until="2027-01-26",
        start_time="17:00",
        end_time="19:00",
        pauses="22/12/2026 - 03/01/2027",
    )
    first = Event.select().where(Event.series == series.id).order_by(Event.starts_at).first()
    text = text_of(client.get(f"/events/{first.id}/flyer.pdf").data)
    assert "Ogni martedì" in text and "ore 17:00 – 19:00" in text
    assert "Dal 1 dicembre al 26 gennaio 2027, tranne 8 dicembre; pausa dal 22 dicembre al 3 gennaio." in text
    assert "Prossimi incontri:" in text and "15/12/2026" in text
    one = text_of(client.get(f"/events/{first.id}/flyer.pdf?one=1").data)
    assert "Ogni martedì" not in one and "Martedì 1 dicembre 2026" in one
    pair = client.get(f"/events/{first.id}/flyer.pdf?format=a5x2").data
    assert pages_of(pair) == 1 and text_of(pair).count("Italiano per tutti") == 2
    info = subprocess.run(["pdfinfo", "-"], input=pair, capture_output=True, check=True).stdout.decode()
    assert "841.89 x 595.276" in info  # A4 landscape: two A5 side by side


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_the_programme_has_an_every_week_block_and_fits_one_page(client, auth, seed):
    for n, (weekday_date, title) in enumerate(
        [("2027-01-04", "Yoga"), ("2027-01-05", "Italiano"), ("2026-12-30", "Ginnastica"), ("2027-01-08", "Cucito")]
    ):
        make_course(
            client,
            auth,
            seed,
            title=title,
            day=weekday_date,
            until="2027-01-31",
            start_time=f"1{n}:00",
            end_time=f"1{n}:45",
        )
    auth.login(STAFF_FAENZA)
    for day in ("2027-01-09", "2027-01-16", "2027-01-23"):
        client.post(
            "/staff/events/new", data=event_form(seed["sites"]["faenza"], title=f"Festa del {day[-2:]}", day=day)
        )
    pdf = client.get("/events/programme/2027-01.pdf").data
    text = text_of(pdf)
    assert pages_of(pdf) == 1
    assert "Ogni settimana" in text and "Gli altri appuntamenti del mese" in text
    assert text.count("Yoga") == 1 and "Ogni lunedì" in text  # one line for the course, not one per date
    assert "Ogni martedì · fino alle 11:45" in text and "Festa del 16" in text
    # The Wednesday course does not meet on Epiphany (6 January): the programme says so on its one line.
    assert date(2027, 1, 6).weekday() == 2
    line = text.split("Ginnastica")[1].split("Cucito")[0]
    assert "Ogni mercoledì · fino alle 12:45" in line and "tranne 6 gennaio" in line


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_a_long_programme_lists_every_course_once_with_queries_that_do_not_grow(client, auth, seed, monkeypatch):
    """A big month (hundreds of courses on the load benchmark) is laid out in columns filled in order
    (balancing them cost WeasyPrint seconds) and loads its courses in a fixed number of queries."""
    from conftest import count_queries

    from portal import storage
    from portal.events import feeds

    def programme_queries():
        with count_queries() as counter:
            response = client.get("/events/programme/2027-01.pdf")
        assert response.status_code == 200
        return counter["n"], response.data

    titles = ["Yoga", "Italiano", "Ginnastica", "Cucito", "Scacchi", "Maglia"]
    days = ["2027-01-04", "2027-01-05", "2026-12-30", "2027-01-08", "2027-01-07", "2027-01-04"]
    for n, (title, day) in enumerate(zip(titles, days, strict=True)):
        make_course(
            client, auth, seed, title=title, day=day, until="2027-01-31", start_time=f"1{n}:00", end_time=f"1{n}:45"
        )
        if n == 1:
            two_courses, _ = programme_queries()
    six_courses, pdf = programme_queries()
    assert six_courses == two_courses

    # The long layout (columns filled in order, a day may go on in the next column) loses nothing.
    monkeypatch.setattr(feeds, "SHORT_PROGRAMME", 3)
    for item in storage.cache().list("events/"):  # the threshold is not part of the cached PDF's key
        storage.cache().delete(item.key)
    long_text = text_of(client.get("/events/programme/2027-01.pdf").data)
    for title in titles:
        assert long_text.count(title) == 1, title
    assert long_text.count("Ogni lunedì") == 2 and "Ogni venerdì" in long_text
