"""A resident on a 360x640 phone, with JavaScript on and off: search the
catalogue, place a hold, find it in "My library"."""

import re

import pytest
from conftest import htmx_settled


@pytest.fixture
def catalogue(app, seed):
    from portal.library.models import Copy, Library, Title

    library = Library.for_site(seed["sites"]["erlembaldo"])
    for title, author, language, code in [
        ("Perché il cielo è blu", "Anna Rossi", "it", "BR001"),
        ("Il Gruffalò", "Julia Donaldson", "it", "BR002"),
        ("Matilda", "Roald Dahl", "en", "BR003"),
    ]:
        t = Title(library=library, title=title, authors=author, language=language, age_group="children")
        t.save()
        Copy.create(title=t, barcode=code)
    return library


@pytest.mark.xdist_group("browser")
def test_search_hold_and_my_library_on_a_phone(live_server, catalogue, phone_page):
    page = phone_page
    url = live_server.url
    page.goto(url + "/login?next=/library")
    page.fill("#identifier", "maria@binari.example")
    page.fill("#password", "binari2026")
    page.get_by_role("button", name=re.compile("Accedi")).click()
    page.wait_for_url(re.compile(r"/library$"))
    htmx_settled(page)  # the live search listens for input only once htmx has processed the page
    page.fill("#q", "perche")  # no accent typed
    if page.js_enabled:
        # htmx updates the results as you type, without pressing the button.
        page.get_by_text("1 libro trovato").wait_for()
        assert "Matilda" not in page.inner_text("#results")
        assert "q=perche" in page.url  # the address follows, so back and reload work
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    else:
        page.get_by_role("button", name="Cerca").click()
        page.wait_for_url(re.compile(r"q=perche"))
    page.get_by_role("link", name="Perché il cielo è blu").click()
    page.get_by_role("heading", name="Perché il cielo è blu").wait_for()
    assert "sullo scaffale" in page.content()
    page.get_by_role("button", name="Prenota questo libro").click()
    page.get_by_text("Prenotazione fatta").wait_for()
    assert "Sei in lista: posizione 1" in page.content()
    page.get_by_role("link", name="Vai a La mia biblioteca").click()
    page.get_by_role("heading", name="La mia biblioteca").wait_for()
    text = page.inner_text("main")
    assert "Perché il cielo è blu" in text and "In lista: posizione 1" in text
    # Every button is a comfortable tap target.
    for box in [b.bounding_box() for b in page.locator("main button").all()]:
        assert box["height"] >= 44


@pytest.mark.xdist_group("browser")
def test_desk_shows_refusals_and_loans_on_a_phone(live_server, catalogue, phone_page, seed):
    """A refusal (HTTP 404/409/422) is shown in place, with JavaScript too (htmx swaps error pages)."""
    page = phone_page
    page.goto(live_server.url + "/login?next=/staff/library/desk")
    page.fill("#identifier", "erlembaldo@staff.binari.example")
    page.fill("#password", "binari2026")
    page.get_by_role("button", name=re.compile("Accedi")).click()
    page.wait_for_url(re.compile(r"/staff/library/desk"))
    code = seed["users"]["maria@binari.example"].member_code
    page.fill("#barcode", "NOPE1")
    page.fill("#member_code", code)
    page.get_by_role("button", name="Presta").click()
    page.get_by_text("Nessuna copia con il codice NOPE1").wait_for()
    assert page.input_value("#member_code") == code  # input kept
    page.fill("#barcode", "br003")
    page.get_by_role("button", name="Presta").click()
    page.get_by_text("Prestato: «Matilda» (BR003) a Maria Rossi").wait_for()
    page.fill("#barcode", "BR003")
    page.fill("#member_code", code)
    page.get_by_role("button", name="Presta").click()
    page.get_by_text("è già in prestito a questa persona").wait_for()
