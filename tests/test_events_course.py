"""A whole course in one step: where staff allow it, a member or a guest registers for every
remaining date of a series in one POST (seat or that date's waitlist), gets one mail listing the
dates, and cancels the whole course in one step; nothing is half-saved."""

from datetime import datetime, time, timedelta

import pytest
from test_events import STAFF_FAENZA, event_form

from portal.clock import to_utc, today_local
from portal.events import course as course_service
from portal.events.models import Event, Registration, Series
from portal.models import OutboxMessage

RESIDENT = "maria@binari.example"


def make_series(client, auth, seed, whole_course=True, capacity="3", **fields):
    """A weekly course of 5 meetings from next week, created through the staff form."""
    auth.login(STAFF_FAENZA)
    data = event_form(
        seed["sites"]["faenza"],
        title=fields.pop("title", "Italiano per tutti"),
        freq="weekly",
        count="5",
        capacity=capacity,
        day=(today_local() + timedelta(days=7)).isoformat(),
        **fields,
    )
    if whole_course:
        data["whole_course"] = "y"
    assert client.post("/staff/events/new", data=data).status_code == 303
    auth.logout()
    series = Series.get(Series.title == data["title"])
    assert series.whole_course is whole_course
    return series, list(Event.select().where(Event.series == series.id).order_by(Event.starts_at))


def fill(event, people):
    for n in range(people):
        course_service.register(event.id, f"Altra {n}", email=f"altra{n}.{event.id}@example.org")


def test_member_registers_for_the_whole_course_in_one_post(client, auth, seed):
    series, dates = make_series(client, auth, seed)
    assert len(dates) == 5
    fill(dates[2], 3)  # the third date is full
    auth.login(RESIDENT)
    page = client.get(f"/events/{dates[0].id}").get_data(as_text=True)
    assert "Mi iscrivo a tutto il corso" in page and f"/events/series/{series.id}/register" in page
    before = OutboxMessage.select().count()
    response = client.post(f"/events/series/{series.id}/register")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/events/series/{series.id}")
    mine = list(Registration.select().join(Event).where(Registration.user.is_null(False) & (Event.series == series.id)))
    assert sorted(r.status for r in mine) == ["confirmed"] * 4 + ["waitlist"]
    assert len({r.course_key for r in mine}) == 1
    assert Event.get_by_id(dates[2].id).taken == 3  # never over capacity
    # One mail listing the dates, not one per date.
    mails = list(OutboxMessage.select().offset(before))
    assert len(mails) == 1
    assert mails[0].body.count("posto confermato") == 4 and mails[0].body.count("in lista d'attesa") >= 1
    page = client.get(f"/events/series/{series.id}").get_data(as_text=True)
    assert "4 date con il posto, 1 in lista d&#39;attesa" in page
    assert page.count("Hai il posto") == 4 and page.count("Sei in lista d'attesa") == 1
    # Again: nothing new, nothing doubled.
    assert client.post(f"/events/series/{series.id}/register").status_code == 303
    assert Registration.select().where(Registration.user.is_null(False)).count() == 5
    # Cancel the whole course in one step: the seats go back (and the waitlist place).
    response = client.post(f"/events/series/{series.id}/cancel")
    assert response.status_code == 303
    assert (
        Registration.select().where(Registration.user.is_null(False) & (Registration.status != "cancelled")).count()
        == 0
    )
    assert [Event.get_by_id(e.id).taken for e in dates] == [0, 0, 3, 0, 0]


def test_only_where_staff_allow_it(client, auth, seed):
    series, dates = make_series(client, auth, seed, whole_course=False, title="Yoga")
    auth.login(RESIDENT)
    assert "Mi iscrivo a tutto il corso" not in client.get(f"/events/{dates[0].id}").get_data(as_text=True)
    response = client.post(f"/events/series/{series.id}/register")
    assert response.status_code == 422
    assert "data per data" in response.get_data(as_text=True)
    assert Registration.select().count() == 0


def test_an_error_half_way_saves_nothing(client, auth, seed, monkeypatch):
    series, dates = make_series(client, auth, seed)
    real = course_service.register
    calls = []

    def failing(event_id, *args, **kwargs):
        calls.append(event_id)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(event_id, *args, **kwargs)

    monkeypatch.setattr(course_service, "register", failing)
    with client.application.test_request_context():
        with pytest.raises(RuntimeError):
            course_service.register_course(series, "Rosa Esposito", email="rosa@example.org")
    assert Registration.select().count() == 0
    assert [Event.get_by_id(e.id).taken for e in dates] == [0] * 5
    assert OutboxMessage.select().where(OutboxMessage.to_address == "rosa@example.org").count() == 0


def test_guest_course_by_mail_link_confirm_and_cancel_one_and_all(client, auth, seed):
    series, dates = make_series(client, auth, seed)
    fill(dates[4], 3)
    bad = client.post(f"/events/series/{series.id}/register", data={"name": "Fatima Zahra", "email": "", "phone": ""})
    assert bad.status_code == 422 and 'value="Fatima Zahra"' in bad.get_data(as_text=True)
    response = client.post(
        f"/events/series/{series.id}/register",
        data={"name": "Fatima Zahra", "email": "fatima@example.org", "phone": ""},
    )
    assert response.status_code == 303 and "course=1" in response.headers["Location"]
    check = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "tutto il corso" in check
    regs = list(Registration.select().where(Registration.email == "fatima@example.org"))
    assert len(regs) == 5 and all(r.unconfirmed for r in regs)
    mails = list(OutboxMessage.select().where(OutboxMessage.to_address == "fatima@example.org"))
    assert len(mails) == 1 and "Fatima" not in mails[0].body  # fixed text only
    link = next(word for word in mails[0].body.split() if "/events/course/" in word)
    path = link.split("://", 1)[1].split("/", 1)[1]
    page = client.get("/" + path).get_data(as_text=True)
    assert page.count("Hai il posto") == 4 and "Sei in lista d'attesa" in page
    assert all(Registration.get_by_id(r.id).unconfirmed for r in regs)  # the GET changed nothing
    assert client.post(f"/{path}/confirm").status_code == 303
    assert not any(Registration.get_by_id(r.id).unconfirmed for r in regs)
    assert client.post("/" + path).status_code == 303  # cancel all
    assert {Registration.get_by_id(r.id).status for r in regs} == {"cancelled"}
    assert client.get("/events/course/forged-token").status_code == 404


def test_guest_course_by_phone_is_one_call(client, auth, seed):
    series, dates = make_series(client, auth, seed)
    response = client.post(
        f"/events/series/{series.id}/register", data={"name": "Giuseppe Verdi", "email": "", "phone": "333 123 4567"}
    )
    assert response.status_code == 303 and "via=phone" in response.headers["Location"]
    regs = list(Registration.select().where(Registration.name == "Giuseppe Verdi"))
    assert len(regs) == 5 and {r.call_reason for r in regs} == {"confirm"}
    from portal.events.services import people_to_phone, phone_done

    with client.application.test_request_context():
        calls = [c for c in people_to_phone([seed["sites"]["faenza"].id]) if c.name == "Giuseppe Verdi"]
        assert len(calls) == 1 and "5 date" in calls[0].reason
        assert phone_done(calls[0].key, None)
    assert {Registration.get_by_id(r.id).call_reason for r in regs} == {""}
    # Staff confirm after the call: one button confirms the whole request.
    auth.login(STAFF_FAENZA)
    assert client.post(f"/staff/events/registrations/{regs[0].id}/confirm").status_code == 303
    assert not any(Registration.get_by_id(r.id).unconfirmed for r in regs)


def test_course_page_lists_remaining_dates_only(client, auth, seed, frozen_clock):
    series, dates = make_series(client, auth, seed)
    page = client.get(f"/events/series/{series.id}").get_data(as_text=True)
    assert "5 date ancora da fare" in page and "Mi iscrivo a tutte le 5 date" in page
    frozen_clock.move_to(to_utc(datetime.combine(today_local() + timedelta(days=8), time(12))))
    page = client.get(f"/events/series/{series.id}").get_data(as_text=True)
    assert "4 date ancora da fare" in page
    assert client.get("/events/series/999999").status_code == 404
