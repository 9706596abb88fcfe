"""The library's integrity rules under concurrent requests at a real server
(gunicorn, 4 workers x 4 threads, CSRF on): one open loan per copy, one ready
hold per copy, a unique queue order, one active hold per person and title."""

import pytest
from conftest import assert_statuses, burst, csrf_token_from, http_login

N = 24


@pytest.fixture
def library_world(app, seed, make_user):
    return make_library_world(seed, make_user)


def make_library_world(seed, make_user):
    """Three titles with one copy each, and N readers."""
    from portal.library.models import Copy, Library, Title

    library = Library.for_site(seed["sites"]["erlembaldo"])
    books = []
    for n, name in enumerate(("Il Gruffalò", "Matilda", "Cipì"), start=1):
        title = Title(library=library, title=name, authors="", language="it", age_group="children")
        title.save()
        books.append((title, Copy.create(title=title, barcode=f"LAST0{n}")))  # each its only copy
    readers = [make_user(f"Lettore {i}", email=f"lettore{i}@example.org") for i in range(N)]
    return {"library": library, "books": books, "readers": readers}


def test_integrity_under_concurrent_requests(live_server, library_world):
    """One server (starting gunicorn is the slow part), three scenarios on three books."""
    concurrent_checkouts_of_one_copy(live_server, library_world, *library_world["books"][0])
    concurrent_holds_on_the_last_copy(live_server, library_world, *library_world["books"][1])
    concurrent_checkins_give_the_copy_to_one_person(live_server, library_world, *library_world["books"][2])
    assert "Traceback" not in live_server.log()


def fresh(session, url):
    """The CSRF token of the form at `url`; then drop the idle keep-alive connection,
    which the server may close just as the real request reuses it."""
    token = csrf_token_from(session.get(url, timeout=30).text)
    session.close()  # keeps the cookies
    return token


def concurrent_checkouts_of_one_copy(live_server, library_world, title, copy):
    """24 desks scan the same copy for 24 people at once: exactly one loan."""
    from portal.library.models import Loan

    prepared = []
    for reader in library_world["readers"]:
        session = http_login(live_server, "erlembaldo@staff.binari.example", "binari2026")
        token = fresh(session, live_server.url + "/staff/library/desk")
        data = {"barcode": copy.barcode, "member_code": reader.member_code, "csrf_token": token}
        prepared.append(lambda s=session, d=data: s.post(live_server.url + "/staff/library/desk", data=d, timeout=60))
    responses = burst(prepared)
    assert_statuses(responses, live_server, expected={200: 1, 409: N - 1})
    assert Loan.select().where((Loan.copy == copy.id) & Loan.returned_at.is_null()).count() == 1


def concurrent_holds_on_the_last_copy(live_server, library_world, title, copy):
    """23 people queue for the last copy at once, one of them tapping 20 times: a unique, gap-free queue."""
    from datetime import date, timedelta

    from portal.library.models import Hold, Loan
    from portal.models import utcnow

    readers = library_world["readers"]
    # The only copy is out: everybody queues at once.
    Loan.create(
        copy=copy,
        member=readers[0],
        library=library_world["library"],
        language="it",
        issued_at=utcnow(),
        due_date=date.today() + timedelta(days=30),
    )
    prepared = []
    for reader in readers[1:]:
        session = http_login(live_server, reader.email, "password123")
        token = fresh(session, f"{live_server.url}/library/titles/{title.id}")
        prepared.append(
            lambda s=session, t=token: s.post(
                f"{live_server.url}/library/titles/{title.id}/hold",
                data={"csrf_token": t},
                allow_redirects=False,
                timeout=60,
            )
        )
    # ... and one impatient person taps the button twenty times at once.
    eager = http_login(live_server, readers[1].email, "password123")
    # (readers[1] is also in the crowd above: their duplicates must fail too)
    token = fresh(eager, f"{live_server.url}/library/titles/{title.id}")
    prepared += [
        lambda t=token: eager.post(
            f"{live_server.url}/library/titles/{title.id}/hold",
            data={"csrf_token": t},
            allow_redirects=False,
            timeout=60,
        )
    ] * 20
    responses = burst(prepared)
    assert_statuses(responses, live_server, allowed={303, 422})
    holds = list(Hold.select().where(Hold.title == title.id))
    assert len(holds) == N - 1  # one each, the eager person included only once
    assert len({h.member_id for h in holds}) == N - 1
    assert sorted(h.position for h in holds) == list(range(1, N))  # unique, gap-free queue


def concurrent_checkins_give_the_copy_to_one_person(live_server, library_world, title, copy):
    """24 check-ins of the same returned copy at once: one return, one person on the hold shelf."""
    from datetime import date, timedelta

    from portal.library.models import Hold, Loan
    from portal.models import utcnow

    readers = library_world["readers"]
    Loan.create(
        copy=copy,
        member=readers[0],
        library=library_world["library"],
        language="it",
        issued_at=utcnow(),
        due_date=date.today() + timedelta(days=30),
    )
    for position, reader in enumerate(readers[1:4], start=1):
        Hold.create(title=title, member=reader, position=position)
    prepared = []
    for _ in range(N):
        session = http_login(live_server, "erlembaldo@staff.binari.example", "binari2026")
        token = fresh(session, live_server.url + "/staff/library/desk")
        prepared.append(
            lambda s=session, t=token: s.post(
                live_server.url + "/staff/library/checkin",
                data={"in-barcode": copy.barcode, "csrf_token": t},
                timeout=60,
            )
        )
    responses = burst(prepared)
    assert_statuses(responses, live_server, allowed={200})
    assert sum("Restituito" in r.text for r in responses) == 1
    ready = list(Hold.select().where((Hold.status == "ready") & (Hold.title == title.id)))
    assert len(ready) == 1 and ready[0].member_id == readers[1].id
    assert Loan.select().where(Loan.returned_at.is_null() & (Loan.copy == copy.id)).count() == 0


@pytest.mark.xdist_group("postgres")
def test_integrity_on_postgres(make_user, pg_live_server):
    """The same races on PostgreSQL, where SQLite's write lock does not serialise anything.

    `make_user` comes first: it sets up the SQLite `app`, and PostgreSQL's app context
    must be the one pushed last (the current one) when the readers are created."""
    from portal import demo

    test_integrity_under_concurrent_requests(pg_live_server, make_library_world(demo.load_core(), make_user))
