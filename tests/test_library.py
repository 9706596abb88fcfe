"""Community library: search, title pages, holds, circulation, cataloguing, import,
notices and figures — every rule through the test client."""

import io
import re
from datetime import date, timedelta

import pytest
import time_machine


@pytest.fixture
def app_settings():
    """Tests travel weeks ahead in time: keep the signed session cookie valid meanwhile
    (Flask otherwise rejects a session signed more than 31 days "ago")."""
    return {"PERMANENT_SESSION_LIFETIME": timedelta(days=3650)}


@pytest.fixture
def lib(seed):
    """The S. Erlembaldo library with a few titles and copies, and the people who use it."""
    from portal.library.models import Copy, Library, Title

    library = Library.for_site(seed["sites"]["erlembaldo"])
    books = {}
    for key, title, authors, language, age, subjects, isbn, codes in [
        (
            "perche",
            "Perché il cielo è blu",
            "Rossi Anna",
            "it",
            "children",
            "scienza, cielo",
            "9780306406157",
            ["C001"],
        ),
        ("gomorra", "Gomorra", "Roberto Saviano", "it", "adults", "camorra, inchiesta", None, ["C002", "C003"]),
        ("matilda", "Matilda", "Roald Dahl", "en", "children", "school, reading", None, ["C004"]),
        ("khubz", "الخبز الحافي", "محمد شكري", "ar", "adults", "رواية", None, ["C005"]),
        ("huozhe", "活着", "余华", "zh", "adults", "小说", None, ["C006"]),
    ]:
        t = Title(
            library=library,
            title=title,
            authors=authors,
            language=language,
            age_group=age,
            subjects=subjects,
            isbn=isbn,
        )
        t.save()
        for code in codes:
            Copy.create(title=t, barcode=code)
        books[key] = t
    users = seed["users"]
    return {
        "library": library,
        "books": books,
        "maria": users["maria@binari.example"],
        "ahmed": users["+393331234567"],
        "wei": users["wei@binari.example"],
        "sites": seed["sites"],
    }


STAFF = "erlembaldo@staff.binari.example"


def staff_login(auth, who=STAFF):
    assert auth.login(who).status_code == 302


def checkout(client, barcode, member, override=""):
    return client.post(
        "/staff/library/desk", data={"barcode": barcode, "member_code": member.member_code, "override_reason": override}
    )


def checkin(client, barcode):
    return client.post("/staff/library/checkin", data={"in-barcode": barcode})


def open_loan(barcode):
    from portal.library.models import Copy, Loan

    return Loan.select().join(Copy).where((Copy.barcode == barcode) & Loan.returned_at.is_null()).first()


# --- ISBN -----------------------------------------------------------------------------


def test_isbn_validation_and_normalisation():
    from portal.library.isbn import normalise_isbn

    assert normalise_isbn("0-306-40615-2") == "9780306406157"
    assert normalise_isbn("978-0-306-40615-7") == "9780306406157"
    assert normalise_isbn("ISBN: 0-306-40615-2") == "9780306406157"
    assert normalise_isbn("080442957X") == "9780804429573"
    assert normalise_isbn("") is None
    for bad in ("978-0-306-40615-8", "0-306-40615-3", "12345", "abcdefghij", "9771234567003"):
        with pytest.raises(ValueError):
            normalise_isbn(bad)


# --- search ---------------------------------------------------------------------------


def test_search_folds_accents_and_case(client, lib):
    for q in ("perche", "PERCHÉ", "Perche cielo", "perch", "rossi", "scienza"):
        html = client.get("/library", query_string={"q": q}).get_data(as_text=True)
        assert "Perché il cielo è blu" in html, q
    html = client.get("/library?q=saviano").get_data(as_text=True)
    assert "Gomorra" in html and "Perché" not in html


def test_search_by_isbn_10_or_13(client, lib):
    for q in ("0-306-40615-2", "978-0-306-40615-7", "9780306406157"):
        assert "Perché il cielo" in client.get("/library", query_string={"q": q}).get_data(as_text=True)


def test_search_in_arabic_and_chinese(client, lib):
    from portal.library.models import Title

    t = Title(library=lib["library"], title="三体II：黑暗森林", authors="刘慈欣", language="zh")
    t.save()
    for q in ("三体", "黑暗森林", "森林", "刘慈欣"):  # words inside a run of Chinese characters too
        assert "黑暗森林" in client.get("/library", query_string={"q": q}).get_data(as_text=True), q
    assert "الخبز الحافي" in client.get("/library", query_string={"q": "الخبز"}).get_data(as_text=True)
    assert "余华" in client.get("/library", query_string={"lang": "zh"}).get_data(as_text=True)


def test_search_filters_language_age_available(client, lib):
    html = client.get("/library?lang=en").get_data(as_text=True)
    assert "Matilda" in html and "Gomorra" not in html
    html = client.get("/library?age=children").get_data(as_text=True)
    assert "Matilda" in html and "Perché" in html and "Gomorra" not in html
    html = client.get("/library?lang=it&age=children").get_data(as_text=True)
    assert "1 libro trovato" in html


def test_search_htmx_returns_only_results(client, lib):
    response = client.get("/library?q=matilda", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert "Matilda" in html and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/library?q=matilda").get_data(as_text=True)
    assert "<html" in full and 'name="q"' in full and 'data-hx-get="/library"' in full


def test_search_that_finds_nothing_suggests_catalogue_words(client, lib):
    """ "Did you mean": a search with a typo finds nothing and offers the closest catalogue words (titles
    and authors) as a plain link, only when that search finds more; works the same without JavaScript."""
    import re

    from portal.library.models import Title

    Title(library=lib["library"], title="Il barone rampante", authors="Italo Calvino", language="it").save()
    for q, better in (("Calvnio", "Calvino"), ("barone rampnate", "barone rampante"), ("Gomora", "Gomorra")):
        html = client.get("/library", query_string={"q": q}).get_data(as_text=True)
        assert "0 libri trovati" in html, q
        link = re.search(r'Forse cercavi: <a href="([^"]+)" dir="auto">([^<]+)</a>', html)
        assert link and link.group(2) == better, (q, html[html.find("trovat") :][:400])
        followed = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
        assert "Forse cercavi" not in followed and ("Il barone rampante" in followed or "Gomorra" in followed)
    html = client.get("/library", query_string={"q": "Calvnio", "lang": "en"}).get_data(as_text=True)
    assert "Forse cercavi" not in html  # "Calvino" finds no English book: nothing to offer
    for q in ("calv", "Calvino", "zzzzqqq", "9780306406157"):  # found, or nothing close: no suggestion
        assert "Forse cercavi" not in client.get("/library", query_string={"q": q}).get_data(as_text=True), q
    fragment = client.get("/library?q=Calvnio", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Forse cercavi" in fragment and "<html" not in fragment  # htmx: the results block carries it


def test_search_bad_input_is_harmless(client, lib):
    for q in ('"', "*", "AND OR NOT", "x" * 500, "NEAR(", "'; drop table"):
        assert client.get("/library", query_string={"q": q, "page": "abc"}).status_code == 200


def test_available_now_excludes_loaned_and_overdue(client, auth, lib):
    staff_login(auth)
    assert checkout(client, "C004", lib["maria"]).status_code == 200
    html = client.get("/library?available=1&lang=en").get_data(as_text=True)
    assert "Matilda" not in html
    # Long after the due date the copy is still on loan: never shown as free (Pinakes' bug).
    with time_machine.travel(date.today() + timedelta(days=90)):
        html = client.get("/library?available=1&lang=en").get_data(as_text=True)
        assert "Matilda" not in html
        page = client.get(f"/library/titles/{lib['books']['matilda'].id}").get_data(as_text=True)
        assert "in prestito fino al" in page and "sullo scaffale</span>" not in page


# --- title page and holds ---------------------------------------------------------------


def test_title_page_shows_where_each_copy_is(client, auth, lib):
    staff_login(auth)
    checkout(client, "C002", lib["maria"])
    html = client.get(f"/library/titles/{lib['books']['gomorra'].id}").get_data(as_text=True)
    due = open_loan("C002").due_date.strftime("%d/%m/%Y")
    assert f"in prestito fino al {due}" in html
    assert "sullo scaffale" in html and "una copia sullo scaffale: puoi venire a prenderla" in html
    assert "Maria" not in html  # never other people's names
    assert client.get("/library/titles/99999").status_code == 404


def test_hold_needs_login(client, lib):
    response = client.post(f"/library/titles/{lib['books']['matilda'].id}/hold")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_hold_queue_positions_and_my_library(client, auth, lib):
    from portal.library.models import Hold

    book = lib["books"]["matilda"]
    staff_login(auth)
    checkout(client, "C004", lib["wei"])
    auth.logout()
    auth.login("maria@binari.example")
    response = client.post(f"/library/titles/{book.id}/hold", follow_redirects=True)
    assert "Sei in lista: posizione 1" in response.get_data(as_text=True)
    again = client.post(f"/library/titles/{book.id}/hold")
    assert again.status_code == 422 and "Sei già in lista" in again.get_data(as_text=True)
    auth.logout()
    auth.login("+393331234567")
    client.post(f"/library/titles/{book.id}/hold")
    html = client.get("/account/library").get_data(as_text=True)
    assert "Matilda" in html and "In lista: posizione 2" in html
    # Maria cancels: Ahmed moves up.
    auth.logout()
    auth.login("maria@binari.example")
    mine = Hold.get(Hold.member == lib["maria"].id)
    client.post(f"/account/library/holds/{mine.id}/cancel")
    auth.logout()
    auth.login("+393331234567")
    assert "In lista: posizione 1" in client.get("/account/library").get_data(as_text=True)


def test_hold_refused_when_already_borrowed(client, auth, lib):
    staff_login(auth)
    checkout(client, "C004", lib["maria"])
    auth.logout()
    auth.login("maria@binari.example")
    response = client.post(f"/library/titles/{lib['books']['matilda'].id}/hold")
    assert response.status_code == 422 and "Hai già in prestito" in response.get_data(as_text=True)


def test_cannot_touch_someone_elses_hold_or_loan(client, auth, lib):
    from portal.library.models import Hold

    staff_login(auth)
    checkout(client, "C004", lib["wei"])
    auth.logout()
    auth.login("wei@binari.example")
    client.post(f"/library/titles/{lib['books']['gomorra'].id}/hold")
    hold = Hold.get(Hold.member == lib["wei"].id)
    loan = open_loan("C004")
    auth.logout()
    auth.login("maria@binari.example")
    assert client.post(f"/account/library/holds/{hold.id}/cancel").status_code == 404
    assert client.post(f"/account/library/loans/{loan.id}/renew").status_code == 404
    assert "Matilda" not in client.get("/account/library").get_data(as_text=True)


# --- circulation --------------------------------------------------------------------------


@pytest.mark.clock("2026-12-02T10:00")
def test_checkout_sets_due_date_from_policy(client, auth, lib):
    """30 days from Wednesday 2 December 2026 is 1 January, a holiday: the book is due on the next
    day Via S. Erlembaldo opens, Saturday 2 January (it opens on Saturday afternoons)."""
    staff_login(auth)
    response = checkout(client, " c001 ", lib["maria"])
    assert response.status_code == 200
    assert "Prestato" in response.get_data(as_text=True)
    loan = open_loan("C001")
    assert loan.member_id == lib["maria"].id
    assert loan.due_date == date(2027, 1, 2)


def test_checkout_bad_input(client, auth, lib):
    staff_login(auth)
    response = checkout(client, "NOPE99", lib["maria"])
    assert response.status_code == 404 and "Nessuna copia con il codice NOPE99" in response.get_data(as_text=True)
    response = client.post("/staff/library/desk", data={"barcode": "C001", "member_code": "BNZZZZZZ"})
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and "Nessuna tessera con il codice BNZZZZZZ" in html
    assert 'value="C001"' in html  # input kept
    response = client.post("/staff/library/desk", data={"barcode": "", "member_code": ""})
    assert response.status_code == 422
    assert open_loan("C001") is None


def test_copy_already_on_loan_is_refused(client, auth, lib):
    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    response = checkout(client, "C001", lib["wei"])
    assert response.status_code == 409
    assert "è già in prestito" in response.get_data(as_text=True)
    assert open_loan("C001").member_id == lib["maria"].id


def test_overdue_copy_cannot_be_lent_again(client, auth, lib):
    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    with time_machine.travel(date.today() + timedelta(days=60)):
        response = checkout(client, "C001", lib["wei"])
        assert response.status_code == 409


def test_max_loans_blocks_and_override_is_recorded(client, auth, lib):
    lib["library"].max_loans = 2
    lib["library"].save()
    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    checkout(client, "C002", lib["maria"])
    response = checkout(client, "C004", lib["maria"])
    assert response.status_code == 409 and "Prestito bloccato" in response.get_data(as_text=True)
    assert open_loan("C004") is None
    response = checkout(client, "C004", lib["maria"], override="Deve studiare per l'esame, autorizza Amina")
    assert response.status_code == 200
    assert open_loan("C004").override_reason.startswith("Deve studiare")


def test_overdue_item_blocks_borrowing(client, auth, lib):
    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    with time_machine.travel(open_loan("C001").due_date + timedelta(days=1, hours=12)):
        response = checkout(client, "C004", lib["maria"])
        assert response.status_code == 409
        assert "Ha un prestito scaduto da restituire." in response.get_data(as_text=True)


def test_checkin_puts_book_on_hold_shelf_and_mails(client, auth, lib):
    from portal.library.models import Hold
    from portal.models import OutboxMessage

    book = lib["books"]["matilda"]
    staff_login(auth)
    checkout(client, "C004", lib["wei"])
    auth.logout()
    auth.login("maria@binari.example")
    client.post(f"/library/titles/{book.id}/hold")
    # Not announced while Wei still has it (Pinakes' bug).
    assert Hold.get(Hold.member == lib["maria"].id).status == "waiting"
    assert OutboxMessage.select().count() == 0
    auth.logout()
    staff_login(auth)
    response = checkin(client, "C004")
    html = response.get_data(as_text=True)
    assert "Metti questa copia sullo scaffale prenotazioni" in html and "Maria Rossi" in html
    hold = Hold.get(Hold.member == lib["maria"].id)
    assert hold.status == "ready" and hold.copy.barcode == "C004"
    mail = OutboxMessage.get()
    assert mail.to_address == "maria@binari.example" and "Matilda" in mail.body
    # The copy is on the hold shelf: someone else cannot take it without an override.
    response = checkout(client, "C004", lib["wei"])
    assert response.status_code == 409
    # Maria collects it.
    assert checkout(client, "C004", lib["maria"]).status_code == 200
    assert Hold.get_by_id(hold.id).status == "collected"


def test_person_without_email_goes_on_phone_list(client, auth, lib):
    from portal.library.models import Hold

    book = lib["books"]["matilda"]
    staff_login(auth)
    checkout(client, "C004", lib["wei"])
    auth.logout()
    auth.login("+393331234567")
    client.post(f"/library/titles/{book.id}/hold")
    auth.logout()
    staff_login(auth)
    html = checkin(client, "C004").get_data(as_text=True)
    assert "persone da chiamare" in html
    page = client.get("/staff/library/phone", follow_redirects=True).get_data(as_text=True)
    assert "Ahmed Haddad" in page and "+39 333 123 4567" in page
    hold = Hold.get(Hold.member == lib["ahmed"].id)
    client.post(f"/staff/library/holds/{hold.id}/phoned")
    assert Hold.get_by_id(hold.id).phoned_at is not None
    assert "Ahmed Haddad" in client.get("/staff/library/holds").get_data(as_text=True)


def test_uncollected_hold_expires_and_next_is_promoted(client, auth, lib):
    from portal.library.models import Hold

    book = lib["books"]["matilda"]
    staff_login(auth)
    checkout(client, "C004", lib["wei"])
    for who in ("maria@binari.example", "+393331234567"):
        auth.logout()
        auth.login(who)
        client.post(f"/library/titles/{book.id}/hold")
    auth.logout()
    staff_login(auth)
    checkin(client, "C004")
    assert Hold.get(Hold.member == lib["maria"].id).status == "ready"
    with time_machine.travel(date.today() + timedelta(days=lib["library"].pickup_days + 2)):
        # The page shows it lapsed but writes nothing; the job expires it and calls the next.
        client.get(f"/library/titles/{book.id}")
        assert Hold.get(Hold.member == lib["maria"].id).status == "ready"
        from portal.library.services import expire_holds_job
        from portal.models import utcnow

        assert expire_holds_job(utcnow()) == 1
        assert expire_holds_job(utcnow()) == 0
        assert Hold.get(Hold.member == lib["maria"].id).status == "expired"
        nxt = Hold.get(Hold.member == lib["ahmed"].id)
        assert nxt.status == "ready" and nxt.copy.barcode == "C004" and nxt.notify_by == "phone"


def test_checkin_of_shelf_copy_traps_it_for_waiting_hold(client, auth, lib):
    from portal.library.models import Hold

    auth.login("maria@binari.example")
    client.post(f"/library/titles/{lib['books']['gomorra'].id}/hold")
    auth.logout()
    staff_login(auth)
    assert "Gomorra" in client.get("/staff/library/holds").get_data(as_text=True)  # to pull from the shelf
    checkin(client, "C003")
    assert Hold.get(Hold.member == lib["maria"].id).copy.barcode == "C003"


# --- renewals ------------------------------------------------------------------------------


def test_renew_online_until_the_limit(client, auth, lib):
    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    auth.logout()
    auth.login("maria@binari.example")
    loan = open_loan("C001")
    with time_machine.travel(date.today() + timedelta(days=20)):
        response = client.post(f"/account/library/loans/{loan.id}/renew", follow_redirects=True)
        assert "Rinnovato" in response.get_data(as_text=True)
        assert open_loan("C001").due_date >= date.today() + timedelta(days=30)
        client.post(f"/account/library/loans/{loan.id}/renew")
        response = client.post(f"/account/library/loans/{loan.id}/renew")
        assert response.status_code == 422 and "è il massimo" in response.get_data(as_text=True)
    assert open_loan("C001").renewals == 2


def test_renew_refused_when_someone_waits_or_overdue(client, auth, lib):
    staff_login(auth)
    checkout(client, "C004", lib["maria"])
    loan = open_loan("C004")
    auth.logout()
    auth.login("maria@binari.example")
    with time_machine.travel(date.today() + timedelta(days=40)):
        response = client.post(f"/account/library/loans/{loan.id}/renew")
        assert response.status_code == 422 and "allo sportello" in response.get_data(as_text=True)
    auth.logout()
    auth.login("wei@binari.example")
    client.post(f"/library/titles/{lib['books']['matilda'].id}/hold")
    auth.logout()
    auth.login("maria@binari.example")
    response = client.post(f"/account/library/loans/{loan.id}/renew")
    assert response.status_code == 422 and "aspetta questo libro" in response.get_data(as_text=True)
    assert open_loan("C004").renewals == 0


def test_staff_renews_at_the_desk(client, auth, lib):
    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    with time_machine.travel(date.today() + timedelta(days=35)):
        response = client.post("/staff/library/renew", data={"rn-barcode": "C001"})
        assert response.status_code == 200 and "Rinnovato" in response.get_data(as_text=True)
    response = client.post("/staff/library/renew", data={"rn-barcode": "C002"})
    assert response.status_code == 422 and "non è in prestito" in response.get_data(as_text=True)


# --- privacy --------------------------------------------------------------------------------


def test_history_kept_only_with_opt_in(client, auth, lib):
    from portal.library.models import Loan

    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    checkin(client, "C001")
    assert Loan.select().where(Loan.member == lib["maria"].id).count() == 0  # anonymised on return
    assert Loan.select().count() == 1  # still counted in the figures
    auth.logout()
    auth.login("maria@binari.example")
    client.post("/account/library/history", data={"keep_history": "y"})
    auth.logout()
    staff_login(auth)
    checkout(client, "C002", lib["maria"])
    checkin(client, "C002")
    auth.logout()
    auth.login("maria@binari.example")
    html = client.get("/account/library").get_data(as_text=True)
    assert "Gomorra" in html and "Perché" not in html
    client.post("/account/library/history", data={})
    assert Loan.select().where(Loan.member == lib["maria"].id).count() == 0
    assert "Gomorra" not in client.get("/account/library").get_data(as_text=True)


def test_my_library_needs_login_and_is_linked(client, auth, lib):
    assert client.get("/account/library").status_code == 302
    auth.login("maria@binari.example")
    assert "/account/library" in client.get("/account").get_data(as_text=True)


# --- staff access ------------------------------------------------------------------------------

STAFF_PAGES = [
    "/staff/library",
    "/staff/library/desk",
    "/staff/library/reader",
    "/staff/library/holds",
    "/staff/phone?area=library",
    "/staff/library/overdue",
    "/staff/library/catalogue",
    "/staff/library/import",
    "/staff/library/labels",
    "/staff/library/figures",
    "/staff/library/titles/new",
]


def test_staff_pages_render(client, auth, lib):
    staff_login(auth)
    for url in STAFF_PAGES:
        assert client.get(url).status_code == 200, url
    dashboard = client.get("/staff").get_data(as_text=True)
    assert "/staff/library/desk" in dashboard and "/staff/library/figures" in dashboard


def test_staff_only_on_their_centre(client, auth, lib):
    auth.login("maria@binari.example")
    for url in STAFF_PAGES:
        assert client.get(url).status_code == 403, url
    auth.logout()
    auth.login("faenza@staff.binari.example")  # staff of another centre
    response = client.get("/staff/library/desk")
    assert response.status_code == 200 and "non c'è una biblioteca" in response.get_data(as_text=True)
    assert 'name="barcode"' not in response.get_data(as_text=True)
    assert client.get("/staff/library/desk?site=erlembaldo").status_code == 403
    response = client.post(
        "/staff/library/desk?site=erlembaldo", data={"barcode": "C001", "member_code": lib["maria"].member_code}
    )
    assert response.status_code == 403 and open_loan("C001") is None
    auth.logout()
    auth.login("admin@binari.example")
    assert client.get("/staff/library/desk?site=erlembaldo").status_code == 200
    assert client.get("/staff/library/desk?site=visconti").status_code == 404  # no library there


def test_another_centre_can_have_a_library(client, auth, lib):
    from portal.library.models import Copy, Title
    from portal.library.services import open_libraries_job
    from portal.models import Service, utcnow

    Service.create(site=lib["sites"]["faenza"], name="Biblioteca", area="library")
    auth.login("faenza@staff.binari.example")
    assert "in preparazione" in client.get("/staff/library/desk").get_data(as_text=True)  # a GET writes nothing
    assert open_libraries_job(utcnow()) == 1 and open_libraries_job(utcnow()) == 0
    assert client.get("/staff/library/desk").status_code == 200
    # ... but cannot touch the books of Via S. Erlembaldo.
    response = checkout(client, "C001", lib["maria"])
    assert response.status_code == 404
    title = lib["books"]["gomorra"]
    assert client.get(f"/staff/library/titles/{title.id}").status_code == 403
    assert Copy.select().join(Title).where(Title.library == lib["library"]).count() == 6


# --- cataloguing ------------------------------------------------------------------------------------


def test_add_title_validates_and_normalises_isbn(client, auth, lib):
    from portal.library.models import Title

    staff_login(auth)
    data = {
        "title": "Il barone rampante",
        "authors": "Italo Calvino",
        "isbn": "0-306-40615-3",
        "language": "it",
        "age_group": "adults",
        "year": "1957",
    }
    response = client.post("/staff/library/titles/new", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "ISBN non valido" in html and 'value="Il barone rampante"' in html
    data["isbn"] = "0-8044-2957-X"
    response = client.post("/staff/library/titles/new", data=data)
    assert response.status_code == 303
    title = Title.get(Title.title == "Il barone rampante")
    assert title.isbn == "9780804429573"
    assert "Il barone rampante" in client.get("/library?q=barone").get_data(as_text=True)
    # The same ISBN twice in the catalogue is refused.
    data["title"] = "Copia doppia"
    response = client.post("/staff/library/titles/new", data=data)
    assert response.status_code == 422 and "già nel catalogo" in response.get_data(as_text=True)


def test_barcodes_are_unique(client, auth, lib):
    from portal.library.models import Copy

    staff_login(auth)
    title = lib["books"]["gomorra"]
    response = client.post(f"/staff/library/titles/{title.id}/copies", data={"barcode": "c001"})
    assert response.status_code == 422 and "già usato" in response.get_data(as_text=True)
    response = client.post(f"/staff/library/titles/{title.id}/copies", data={"barcode": "a b"})
    assert response.status_code == 422
    response = client.post(
        f"/staff/library/titles/{title.id}/copies", data={"barcode": "c010", "shelf_mark": "ADU SAV"}
    )
    assert response.status_code == 303 and Copy.get(Copy.barcode == "C010").shelf_mark == "ADU SAV"
    copy = Copy.get(Copy.barcode == "C010")
    response = client.post(f"/staff/library/copies/{copy.id}", data={"barcode": "C002"})
    assert response.status_code == 422


# --- CSV import ----------------------------------------------------------------------------------------

GOOD_CSV = (
    "titolo;autori;isbn;lingua;eta;soggetti;editore;anno;copie;collocazione\n"
    "Il Gruffalò;Julia Donaldson;;it;bambini;albo illustrato;Emme;1999;IMP001 IMP002;RAG DON\n"
    "Cien años de soledad;Gabriel García Márquez;;spagnolo;adulti;novela;Sudamericana;1967;IMP003;ADU GAR\n"
    "三体;刘慈欣;;zh;adulti;科幻;;2008;IMP004;\n"
)


def upload(client, content, name="catalogo.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        "/staff/library/import", data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data"
    )


def test_csv_import_preview_then_confirm(client, auth, lib):
    import re

    from portal.library.models import Copy, Title

    staff_login(auth)
    response = upload(client, GOOD_CSV)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Anteprima" in html and "Cien años de soledad" in html
    assert Title.select().where(Title.title == "三体").count() == 0  # nothing yet
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = client.post("/staff/library/import/confirm", data={"token": token})
    assert response.status_code == 303
    assert Title.select().where(Title.title == "三体").count() == 1
    assert Copy.get(Copy.barcode == "IMP003").title.language == "es"
    assert "Cien años" in client.get("/library?q=cien anos").get_data(as_text=True)
    # The token is single-use.
    assert client.post("/staff/library/import/confirm", data={"token": token}).status_code == 303
    assert Title.select().where(Title.title == "三体").count() == 1


def test_csv_import_preview_expires_after_a_day(client, auth, lib, frozen_clock):
    """A preview left for more than a day is dropped: confirming it imports nothing. Its age comes
    from the portal's clock, so the rule holds whatever the date (the clock is moved here)."""
    import re
    from datetime import timedelta

    from portal.library.models import Title

    staff_login(auth)
    html = upload(client, GOOD_CSV).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    frozen_clock.shift(timedelta(hours=25))
    response = client.post("/staff/library/import/confirm", data={"token": token}, follow_redirects=True)
    assert "anteprima è scaduta" in response.get_data(as_text=True)
    assert Title.select().where(Title.title == "三体").count() == 0


def test_csv_import_row_errors_import_nothing(client, auth, lib):
    from portal.library.models import Title

    staff_login(auth)
    bad = GOOD_CSV + (
        "Libro senza lingua;Anonimo;;klingon;adulti;;;;IMP005;\n"
        ";Senza titolo;;it;;;;;;\n"
        "ISBN sbagliato;X;978-0-306-40615-8;it;adulti;;;;IMP006;\n"
        "Codice doppio;Y;;it;adulti;;;;IMP001;\n"
        "Codice esistente;Z;;it;adulti;;;;C001;\n"
    )
    response = upload(client, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "niente è stato importato" in html
    for line in ("<td>5</td>", "<td>6</td>", "<td>7</td>", "<td>8</td>", "<td>9</td>"):
        assert line in html
    assert "klingon" in html and "ISBN" in html and "già alla riga 2" in html and "C001" in html
    assert Title.select().where(Title.title == "Il Gruffalò").count() == 0


@pytest.mark.parametrize(
    "content, message",
    [
        ("nome,cognome\nMario,Rossi\n", "Colonne non riconosciute"),
        ("titolo;autori;lingua\nPerché;Rossi;it\n".encode("latin-1"), "UTF-8"),
        (b"", "vuoto"),
        (b"\x00\x01\x02" * 1000, "UTF-8"),
        (b"A" * (10 * 1024 * 1024), "troppo grande"),
        ('titolo,lingua\n"non chiuso,it\n', ""),
    ],
)
def test_csv_import_malformed_files(client, auth, lib, content, message):
    from portal.library.models import Title

    staff_login(auth)
    before = Title.select().count()
    response = upload(client, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert Title.select().count() == before


def test_csv_import_is_all_or_nothing_when_catalogue_changes(client, auth, lib):
    import re

    from portal.library.models import Copy, Title

    staff_login(auth)
    html = upload(client, GOOD_CSV).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    Copy.create(title=lib["books"]["gomorra"], barcode="IMP004")  # taken after the preview
    response = client.post("/staff/library/import/confirm", data={"token": token})
    assert response.status_code == 409
    assert Title.select().where(Title.title == "Il Gruffalò").count() == 0


def test_import_token_belongs_to_uploader(client, auth, lib):
    import re

    staff_login(auth)
    token = re.search(r'name="token" value="([^"]+)"', upload(client, GOOD_CSV).get_data(as_text=True)).group(1)
    auth.logout()
    auth.login("coordinamento@staff.binari.example")
    assert client.post("/staff/library/import/confirm?site=erlembaldo", data={"token": token}).status_code == 400


# --- documents and figures ----------------------------------------------------------------------------------


def test_labels_pdf(client, auth, lib, tmp_path):
    staff_login(auth)
    response = client.post("/staff/library/labels.pdf", data={"codes": "C001 ZZZ999"})
    assert response.status_code == 422 and "ZZZ999" in response.get_data(as_text=True)
    response = client.post("/staff/library/labels.pdf", data={"codes": "C001 c002\nC004"})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_labels_fit_a_24_up_sheet(client, auth, lib, tmp_path):
    """26 copies print as 24 labels (3 x 8, 70 x 37 mm) on the first A4 page and 2 on the second."""
    import subprocess

    from portal.library.models import Copy

    first = Copy.get(Copy.barcode == "C001")
    while Copy.select().count() < 26:
        Copy.create(title=first.title, barcode=f"L{Copy.select().count():03d}", shelf_mark=first.shelf_mark)
    staff_login(auth)
    codes = " ".join(c.barcode for c in Copy.select())
    response = client.post("/staff/library/labels.pdf", data={"codes": codes})
    assert response.status_code == 200
    pdf = tmp_path / "labels.pdf"
    pdf.write_bytes(response.data)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert "Pages:           2" in info and "595.276 x 841.89" in info
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split("\f")
    on_first = [c.barcode for c in Copy.select() if c.barcode in pages[0]]
    assert len(on_first) == 24
    # Columns every 70 mm (198.4 pt) from the page's left edge: no side margin, as on 24-up sheets.
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True)
    words = re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]+)</word>', bbox.stdout)
    lefts = sorted({round(float(x)) for x, text in words if text.startswith(("C00", "L0"))})
    assert len(lefts) == 3 and lefts[0] < 90
    assert abs(lefts[1] - lefts[0] - 198.4) < 2 and abs(lefts[2] - lefts[0] - 396.9) < 2


def test_overdue_lists_and_letters(client, auth, lib):
    staff_login(auth)
    checkout(client, "C001", lib["ahmed"])  # no e-mail: gets a letter
    checkout(client, "C004", lib["maria"])
    due = open_loan("C001").due_date
    with time_machine.travel(due - timedelta(days=2)):
        html = client.get("/staff/library/overdue").get_data(as_text=True)
        assert "In scadenza" in html and "Ahmed Haddad" in html
    with time_machine.travel(due + timedelta(days=15, hours=12)):
        html = client.get("/staff/library/overdue").get_data(as_text=True)
        assert "Ahmed Haddad" in html and "Maria Rossi" in html and "15 giorni" in html
        response = client.get("/staff/library/overdue/letters.pdf")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_monthly_figures(client, auth, lib):
    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    checkout(client, "C006", lib["wei"])
    checkin(client, "C001")
    html = client.get("/staff/library/figures").get_data(as_text=True)
    month = date.today().strftime("%m/%Y")
    assert f"<td>{month}</td><td>2</td><td>1</td><td>2</td>" in html
    assert "ZH = Cinese" in html
    assert "Cinese" in html


def test_english_pages(client, auth, lib):
    from flask_babel import refresh

    client.post("/language", data={"lang": "en", "next": "/library"})
    refresh()  # the test keeps one app context, where Flask-Babel caches the locale
    html = client.get("/library?q=matilda").get_data(as_text=True)
    assert "1 book found" in html and "Search" in html


# --- demo -------------------------------------------------------------------------------------------------


def test_demo_loads_a_believable_library(client, seed):
    from portal.library import demo
    from portal.library.models import Hold, Loan, Title

    summary = demo.load(seed)
    assert summary["library titles"] >= 290
    languages = {t.language for t in Title.select()}
    assert {"it", "en", "ar", "es", "zh"} <= languages
    assert Loan.select().where(Loan.returned_at.is_null() & (Loan.due_date < date.today())).count() == 1
    assert Hold.select().where(Hold.status == "ready").count() == 1
    assert "Cien años de soledad" in client.get("/library?q=soledad").get_data(as_text=True)


def test_desk_cancels_a_ready_hold_and_calls_the_next(client, auth, lib):
    from portal.library.models import Hold

    book = lib["books"]["matilda"]
    staff_login(auth)
    checkout(client, "C004", lib["wei"])
    for who in ("maria@binari.example", "+393331234567"):
        auth.logout()
        auth.login(who)
        client.post(f"/library/titles/{book.id}/hold")
    auth.logout()
    staff_login(auth)
    checkin(client, "C004")
    ready = Hold.get(Hold.member == lib["maria"].id)
    assert client.post(f"/staff/library/holds/{ready.id}/cancel").status_code == 303
    assert Hold.get_by_id(ready.id).status == "cancelled"
    assert Hold.get(Hold.member == lib["ahmed"].id).status == "ready"
    auth.logout()
    auth.login("faenza@staff.binari.example")
    assert client.post(f"/staff/library/holds/{ready.id}/cancel?site=erlembaldo").status_code == 403


def test_library_home_shows_recent_arrivals(client, lib):
    html = client.get("/library").get_data(as_text=True)
    assert "Arrivati da poco" in html and "Matilda" in html


def test_desk_errors_sit_by_their_field_in_english(client, auth, lib):
    from flask_babel import refresh

    staff_login(auth)
    client.post("/language", data={"lang": "en", "next": "/"})
    refresh()
    html = client.post("/staff/library/desk", data={"barcode": "C001", "member_code": "BNZZZZZZ"}).get_data(
        as_text=True
    )
    assert 'id="member_code-error">No membership card with code BNZZZZZZ.' in html
    html = client.post("/staff/library/desk", data={"barcode": "XX", "member_code": lib["maria"].member_code}).get_data(
        as_text=True
    )
    assert 'id="barcode-error">No copy with barcode XX in this library.' in html


def test_desk_reminds_of_other_loans_and_ready_holds(client, auth, lib):
    staff_login(auth)
    checkout(client, "C004", lib["wei"])
    auth.logout()
    auth.login("maria@binari.example")
    client.post(f"/library/titles/{lib['books']['matilda'].id}/hold")
    auth.logout()
    staff_login(auth)
    checkin(client, "C004")
    checkout(client, "C001", lib["maria"])
    html = checkout(client, "C002", lib["maria"]).get_data(as_text=True)
    assert "Maria Rossi ha ora 2 libri in prestito" in html
    assert "Ha anche un libro pronto sullo scaffale prenotazioni" in html and "Matilda" in html
    queue = client.get(f"/staff/library/titles/{lib['books']['matilda'].id}").get_data(as_text=True)
    assert "Maria Rossi" in queue and "pronto, ritiro entro" in queue


def test_staff_set_the_lending_rules(client, auth, lib):
    from portal.library.models import Library

    staff_login(auth)
    data = {
        "loan_days": "21",
        "max_renewals": "1",
        "max_loans": "3",
        "max_holds": "4",
        "pickup_days": "5",
        "due_soon_days": "2",
    }
    assert client.post("/staff/library", data=data).status_code == 303
    library = Library.get_by_id(lib["library"].id)
    assert (library.loan_days, library.max_renewals, library.max_loans, library.pickup_days) == (21, 1, 3, 5)
    response = client.post("/staff/library", data=dict(data, loan_days="0", max_loans="abc"))
    assert response.status_code == 422 and 'value="abc"' in response.get_data(as_text=True)
    assert Library.get_by_id(lib["library"].id).loan_days == 21
    checkout(client, "C001", lib["maria"])
    assert open_loan("C001").due_date >= date.today() + timedelta(days=21)
    assert open_loan("C001").due_date < date.today() + timedelta(days=26)
    auth.logout()
    auth.login("faenza@staff.binari.example")
    assert client.post("/staff/library?site=erlembaldo", data=data).status_code == 403


def test_overdue_email_reminders_once_a_week(client, auth, lib):
    from portal.models import OutboxMessage

    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    checkout(client, "C004", lib["ahmed"])  # no e-mail: letter instead
    due = open_loan("C001").due_date
    with time_machine.travel(due + timedelta(days=3, hours=10)):
        response = client.post("/staff/library/overdue/remind", follow_redirects=True)
        assert "Promemoria inviato a 1 persona" in response.get_data(as_text=True)
        mail = OutboxMessage.get()
        assert mail.to_address == "maria@binari.example" and "Perché il cielo è blu" in mail.body
        client.post("/staff/library/overdue/remind")
        assert OutboxMessage.select().count() == 1  # not twice in a week
        assert "e-mail il" in client.get("/staff/library/overdue").get_data(as_text=True)
    with time_machine.travel(due + timedelta(days=11, hours=10)):
        client.post("/staff/library/overdue/remind")
        assert OutboxMessage.select().count() == 2


def test_letters_in_each_persons_language(client, auth, lib, tmp_path):
    import subprocess

    lib["ahmed"].language = "en"
    lib["ahmed"].save()
    staff_login(auth)
    checkout(client, "C004", lib["ahmed"])
    with time_machine.travel(open_loan("C004").due_date + timedelta(days=5)):
        pdf = client.get("/staff/library/overdue/letters.pdf").data
    (tmp_path / "l.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(tmp_path / "l.pdf"), "-"], capture_output=True, text=True).stdout
    assert "Reminder: books to return" in text and "Matilda" in text and "Ahmed Haddad" in text


def test_desk_places_a_hold_for_someone(client, auth, lib):
    from portal.library.models import Hold

    staff_login(auth)
    title = lib["books"]["gomorra"]
    url = f"/staff/library/titles/{title.id}/hold"
    assert client.post(url, data={"member_code": lib["ahmed"].member_code.lower()}).status_code == 303
    assert Hold.get(Hold.member == lib["ahmed"].id).title_id == title.id
    response = client.post(url, data={"member_code": lib["ahmed"].member_code})
    assert response.status_code == 422 and "già in lista" in response.get_data(as_text=True)
    response = client.post(url, data={"member_code": "BN000000"})
    assert response.status_code == 404 and 'value="BN000000"' in response.get_data(as_text=True)


def test_withdrawn_copy_on_hold_shelf_returns_hold_to_queue(client, auth, lib):
    from portal.library.models import Copy, Hold

    auth.login("maria@binari.example")
    client.post(f"/library/titles/{lib['books']['matilda'].id}/hold")
    auth.logout()
    staff_login(auth)
    checkin(client, "C004")  # pulled from the shelf for Maria
    assert Hold.get(Hold.member == lib["maria"].id).status == "ready"
    copy = Copy.get(Copy.barcode == "C004")
    client.post(f"/staff/library/copies/{copy.id}", data={"barcode": "C004", "withdrawn": "y", "note": "rovinato"})
    hold = Hold.get(Hold.member == lib["maria"].id)
    assert hold.status == "waiting" and hold.copy is None
    assert "Nessuna copia da prestare" in client.get(f"/library/titles/{lib['books']['matilda'].id}").get_data(
        as_text=True
    )


def test_reader_card_at_the_desk(client, auth, lib):
    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    html = client.get("/staff/library/reader", query_string={"code": lib["maria"].member_code.lower()}).get_data(
        as_text=True
    )
    assert "Maria Rossi" in html and "Perché il cielo è blu" in html and "Può prendere libri" in html
    with time_machine.travel(open_loan("C001").due_date + timedelta(days=2)):
        html = client.get("/staff/library/reader", query_string={"code": lib["maria"].member_code}).get_data(
            as_text=True
        )
        assert "Prestito bloccato" in html and "scaduto" in html
    response = client.get("/staff/library/reader?code=BNNOPE00")
    assert response.status_code == 404 and "Nessuna tessera" in response.get_data(as_text=True)
    auth.logout()
    auth.login("maria@binari.example")
    assert client.get("/staff/library/reader?code=BN").status_code == 403


def test_override_lends_a_copy_waiting_for_someone_else(client, auth, lib):
    from portal.library.models import Hold

    auth.login("maria@binari.example")
    client.post(f"/library/titles/{lib['books']['matilda'].id}/hold")
    auth.logout()
    staff_login(auth)
    checkin(client, "C004")  # on the hold shelf for Maria
    assert checkout(client, "C004", lib["wei"]).status_code == 409
    response = checkout(client, "C004", lib["wei"], override="Maria ha telefonato: lo prende la settimana prossima")
    assert response.status_code == 200
    hold = Hold.get(Hold.member == lib["maria"].id)
    assert hold.status == "waiting" and hold.copy is None  # back at the head of the queue
    assert open_loan("C004").override_reason.startswith("Maria ha telefonato")


def test_renewal_allowed_when_the_waiting_person_is_already_served(client, auth, lib):
    staff_login(auth)
    checkout(client, "C002", lib["maria"])
    auth.logout()
    auth.login("wei@binari.example")
    client.post(f"/library/titles/{lib['books']['gomorra'].id}/hold")
    auth.logout()
    staff_login(auth)
    checkin(client, "C003")  # the second copy goes on the hold shelf for Wei
    auth.logout()
    auth.login("maria@binari.example")
    response = client.post(f"/account/library/loans/{open_loan('C002').id}/renew")
    assert response.status_code == 303 and open_loan("C002").renewals == 1


# --- addresses moved by the area contract ----------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/library/staff/holds?site=erlembaldo", "/staff/library/holds?site=erlembaldo"),
        ("/library/staff/overdue/letters.pdf", "/staff/library/overdue/letters.pdf"),
        ("/library/staff/figures", "/staff/library/figures"),
        ("/account/loans", "/account/library"),
    ],
)
def test_old_get_addresses_redirect_permanently(client, old, new):
    response = client.get(old)
    assert response.status_code == 301 and response.headers["Location"].endswith(new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/library/staff", "/staff/library"),
        ("/library/staff/desk?site=erlembaldo", "/staff/library/desk?site=erlembaldo"),
        ("/library/staff/labels.pdf", "/staff/library/labels.pdf"),
        ("/library/staff/checkin", "/staff/library/checkin"),
        ("/library/staff/holds/7/phoned", "/staff/library/holds/7/phoned"),
        ("/account/loans/7/renew", "/account/library/loans/7/renew"),
        ("/account/holds/7/cancel", "/account/library/holds/7/cancel"),
        ("/account/loans/history", "/account/library/history"),
    ],
)
def test_old_post_addresses_keep_the_post(client, old, new):
    """An address that takes POST answers 308 (also to a GET), so a posted form still arrives."""
    response = client.post(old)
    assert response.status_code == 308 and response.headers["Location"].endswith(new)


def test_a_form_posted_to_an_old_address_still_works(client, auth, lib):
    from portal.library.models import Loan

    staff_login(auth)
    response = client.post(
        "/library/staff/desk",
        data={"barcode": "C001", "member_code": lib["maria"].member_code},
        follow_redirects=True,
    )
    assert response.status_code == 200 and response.request.path == "/staff/library/desk"
    assert Loan.select().where(Loan.member == lib["maria"].id).count() == 1
    assert client.get("/library/staff/nowhere").status_code == 404
    # The equipment loan's old address under /account/loans belongs to bookings, not to the library.
    response = client.post("/account/loans/7/cancel")
    assert response.status_code == 308 and response.headers["Location"].endswith("/account/bookings/loans/7/cancel")


# --- people to phone, privacy ------------------------------------------------------------------


def test_people_to_phone_lists_ready_holds_without_email(app, client, auth, lib):
    from portal import areas

    book = lib["books"]["matilda"]
    auth.login("+393331234567")
    client.post(f"/library/titles/{book.id}/hold")
    auth.logout()
    staff_login(auth)
    checkin(client, "C004")
    with app.test_request_context():
        calls = [c for c in areas.people_to_phone([lib["library"].site_id]) if c.area == "library"]
        assert [(c.name, c.phone, c.done_at) for c in calls] == [("Ahmed Haddad", "+393331234567", None)]
        assert "Matilda" in calls[0].reason and calls[0].link.startswith("/staff/library/holds")
        assert areas.people_to_phone([lib["sites"]["visconti"].id]) == []


def test_deleting_an_account_erases_the_reader(client, auth, lib):
    from peewee import CharField, TextField

    from portal.library.models import Hold, LibraryMember, Loan, ReaderSettings
    from portal.schema import all_models

    wei, maria = lib["wei"], lib["maria"]
    matilda, perche = lib["books"]["matilda"], lib["books"]["perche"]
    # Wei keeps a history and has a past loan (with a desk note naming her).
    auth.login("wei@binari.example")
    client.post("/account/library/history", data={"keep_history": "y"})
    auth.logout()
    staff_login(auth)
    checkout(client, "C002", wei)
    checkin(client, "C002")
    Loan.update(override_reason="Wei Chen ha dimenticato la tessera").execute()
    auth.logout()
    # Wei's hold on Matilda is ready on the shelf, Maria waits behind her; Wei also waits for another book.
    auth.login("wei@binari.example")
    client.post(f"/library/titles/{matilda.id}/hold")
    client.post(f"/library/titles/{perche.id}/hold")
    auth.logout()
    auth.login("maria@binari.example")
    client.post(f"/library/titles/{matilda.id}/hold")
    auth.logout()
    staff_login(auth)
    checkin(client, "C004")
    checkout(client, "C005", wei)  # a book still at home
    auth.logout()
    assert Hold.get((Hold.member == wei.id) & (Hold.title == matilda.id)).status == "ready"

    def traces():
        found = []
        for model in all_models():
            for field in model._meta.sorted_fields:
                if isinstance(field, (CharField, TextField)):
                    for needle in ("Wei Chen", "wei@binari.example", "+393471112233", "3471112233"):
                        if model.select().where(field.contains(needle)).exists():
                            found.append((model._meta.table_name, field.name, needle))
        return found

    assert ("library_loan", "override_reason", "Wei Chen") in traces()  # the scan sees them
    auth.login("wei@binari.example")
    exported = client.get("/account/export.json").get_json()["library"]
    assert {"loans", "holds", "memberships", "settings"} <= set(exported)
    assert len(exported["loans"]) == 2 and len(exported["holds"]) == 2
    assert exported["memberships"] and exported["settings"][0]["keep_history"] is True
    form = {"delete-password": "binari2026", "delete-confirm": "y"}
    # Books on loan: the deletion is refused and nothing is erased.
    response = client.post("/account/delete", data=form)
    assert response.status_code == 409 and "riportalo in biblioteca" in response.get_data(as_text=True)
    assert Hold.select().where(Hold.member == wei.id).count() == 2
    auth.logout()
    staff_login(auth)
    checkin(client, "C005")
    auth.logout()
    auth.login("wei@binari.example")
    assert client.post("/account/delete", data=form).status_code in (302, 303)

    # The copy on the hold shelf went to Maria, the next in line.
    maria_hold = Hold.get((Hold.member == maria.id) & (Hold.title == matilda.id))
    assert maria_hold.status == "ready" and maria_hold.copy.barcode == "C004"
    assert Hold.select().where(Hold.member == wei.id).count() == 0
    assert Loan.select().where(Loan.member == wei.id).count() == 0
    assert Loan.select().count() == 2  # still counted in the figures
    assert LibraryMember.select().where(LibraryMember.user == wei.id).count() == 0
    assert LibraryMember.select().where(LibraryMember.user.is_null()).count() == 1
    assert ReaderSettings.select().where(ReaderSettings.user == wei.id).count() == 0
    # No text column of any table holds her name, e-mail or phone.
    assert traces() == []


def test_report_figures_count_loans_returns_and_new_readers(app, client, auth, lib):
    from portal import areas

    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    checkout(client, "C002", lib["wei"])
    checkin(client, "C002")
    from portal.clock import today_local

    today = today_local()  # Milan's day, whatever the clock says
    with app.test_request_context():
        (library_figures,) = [
            f
            for area, f in areas.figures(areas.ReportQuery(today, today, lib["library"].site_id))
            if area.name == "library"
        ]
        # The first three figures; the rest (holds, distinct readers) are tested in test_library_reports.py.
        assert [f.value for f in library_figures[:3]] == [2, 1, 2]
        before = today - timedelta(days=60)
        assert [
            f.value
            for f in areas.get_area("library").figures(areas.ReportQuery(before, before + timedelta(days=30)))[:3]
        ] == [
            0,
            0,
            0,
        ]


def test_block_reasons_count_in_good_italian(client, auth, lib):
    """ "Ha un prestito scaduto", "Ha 2 prestiti scaduti": plural forms, never "Ha 1 prestiti"."""
    from portal.library.models import Library
    from portal.library.services import member_blocks

    staff_login(auth)
    checkout(client, "C001", lib["maria"])
    checkout(client, "C004", lib["maria"])
    library = Library.get()
    first = open_loan("C001")
    with time_machine.travel(first.due_date + timedelta(days=3)):
        reasons = member_blocks(library, lib["maria"])
    assert "Ha 2 prestiti scaduti da restituire." in reasons
    Loan_ = type(first)
    Loan_.update(due_date=first.due_date + timedelta(days=30)).where(Loan_.id == open_loan("C004").id).execute()
    with time_machine.travel(first.due_date + timedelta(days=3)):
        assert "Ha un prestito scaduto da restituire." in member_blocks(library, lib["maria"])
