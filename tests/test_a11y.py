"""Accessibility without a browser: the portal's own error pages (405 included), the text-size
switch, the accessibility statement and legal notes, tagged PDFs whose text extracts cleanly,
htmx attributes that validate, and no repeated ids from CSRF fields."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "portal" / "templates"


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def assert_portal_page(response, status, words):
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert '<meta name="viewport"' in html and '<main id="main">' in html and "<footer" in html
    assert re.search(r'<html lang="(it|en)"', html)
    assert words in html, html[:500]


def test_get_on_a_post_only_address_gets_the_portal_405_page(client, seed):
    response = client.get("/account/password")
    assert_portal_page(response, 405, "Indirizzo da usare con un modulo")
    assert "POST" in response.headers["Allow"]


def test_error_pages_speak_the_readers_language(client, seed):
    response = client.get("/language-nope", headers={"Accept-Language": "en"})
    assert_portal_page(response, 404, "Page not found")
    response = client.get("/account/password", headers={"Accept-Language": "en"})
    assert_portal_page(response, 405, "An address for forms only")


@pytest.mark.parametrize(
    ("status", "words"),
    [(400, "Richiesta non valida"), (403, "Accesso non consentito"), (413, "troppo grande"),
     (422, "Dati non validi"), (429, "Troppi tentativi")],
)  # fmt: skip
def test_every_error_status_has_the_portal_page(app, client, status, words):
    from flask import abort

    @app.route(f"/test-abort-{status}")
    def aborting():
        abort(status)

    assert_portal_page(client.get(f"/test-abort-{status}"), status, words)


def test_text_size_switch_is_remembered_without_javascript(client, seed):
    """A guest's choice: a plain form POST, kept in a cookie for a year (like the language)."""
    html = client.get("/").get_data(as_text=True)
    assert 'class="text-large"' not in html and 'name="size" value="large"' in html
    response = client.post("/text-size", data={"size": "large", "next": "/events"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/events")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("text_size="))
    assert "text_size=large" in cookie and "Max-Age=31536000" in cookie and "HttpOnly" in cookie
    html = client.get("/").get_data(as_text=True)
    assert 'class="text-large"' in html
    assert re.search(r'value="large" aria-describedby="size-label" aria-pressed="true"', html)
    client.post("/text-size", data={"size": "huge"})  # not a size: nothing changes
    assert 'class="text-large"' in client.get("/").get_data(as_text=True)
    client.post("/text-size", data={"size": "normal", "next": "https://evil.example/"})
    assert 'class="text-large"' not in client.get("/").get_data(as_text=True)


def test_text_size_is_remembered_on_a_members_account(app, client, seed, auth):
    """A member's choice is kept on the account: it follows them to another device (a new browser),
    is in the data export, and is emptied with the account."""
    from portal import privacy
    from portal.models import User

    auth.login()
    client.post("/text-size", data={"size": "large", "next": "/account"})
    maria = User.get(User.email == "maria@binari.example")
    assert maria.text_size == "large"
    other_device = app.test_client()
    assert 'class="text-large"' not in other_device.get("/").get_data(as_text=True)
    assert other_device.post("/login", data={"identifier": "maria@binari.example", "password": "binari2026"})
    assert 'class="text-large"' in other_device.get("/events").get_data(as_text=True)
    # the account's choice wins over this device's cookie
    other_device.set_cookie("text_size", "normal")
    assert 'class="text-large"' in other_device.get("/").get_data(as_text=True)
    other_device.post("/text-size", data={"size": "normal"})
    assert User.get_by_id(maria.id).text_size == "normal"

    export = client.get("/account/export.json").get_json()
    assert export["account"]["text_size"] == "normal"
    assert "Dimensione del testo" in client.get("/account/data").get_data(as_text=True)
    privacy.delete_account(User.get_by_id(maria.id))
    assert User.get_by_id(maria.id).text_size is None


def test_text_size_switch_needs_csrf(tmp_path):
    from conftest import test_settings

    from portal import create_app

    app = create_app(test_settings(tmp_path / "c.sqlite3", WTF_CSRF_ENABLED=True))
    assert app.test_client().post("/text-size", data={"size": "large"}).status_code == 400


def test_statement_and_legal_notes_linked_from_every_page(client, seed):
    footer = client.get("/").get_data(as_text=True).split("<footer", 1)[1]
    assert 'href="/privacy"' in footer and 'href="/accessibilita"' in footer and 'href="/note-legali"' in footer
    html = client.get("/accessibilita").get_data(as_text=True)
    for heading in (
        "Dichiarazione di accessibilità",
        "Stato di conformità",
        "Contenuti non accessibili",
        "Meccanismo di feedback e informazioni di contatto",
        "Procedura di attuazione",
    ):
        assert heading in html
    assert "https://form.agid.gov.it/" in html and "mailto:" in html and "2026-12-02" in html
    english = client.get("/note-legali", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Legal notes" in english and "CC BY 4.0" in english


def test_templates_use_the_valid_data_hx_spelling():
    bare = []
    for path in TEMPLATES.rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"(^|\s)hx-[a-z-]+=", line):
                bare.append(f"{path.relative_to(TEMPLATES)}:{number}")
    assert not bare, "write data-hx-… (valid HTML), not hx-…: " + ", ".join(bare)


def test_two_forms_on_a_page_do_not_repeat_ids(tmp_path):
    """CSRF on: /account has several forms, each with its hidden token, none with id="csrf_token"."""
    from conftest import test_settings

    from portal import create_app, demo

    app = create_app(test_settings(tmp_path / "i.sqlite3", WTF_CSRF_ENABLED=True))
    from portal.cli import upgrade_database

    with app.app_context():
        upgrade_database()
        demo.load_core()
        client = app.test_client()
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)
        )
        data = {"identifier": "maria@binari.example", "password": "binari2026", "csrf_token": token.group(1)}
        assert client.post("/login", data=data).status_code in (302, 303)
        html = client.get("/account").get_data(as_text=True)
    assert html.count('name="csrf_token"') >= 3
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def pdf_facts(data, tmp_path):
    if not shutil.which("pdfinfo"):
        pytest.fail("poppler-utils missing: run `make test`")
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    struct = subprocess.run(["pdfinfo", "-struct", str(path)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return info, struct, text


def pdf_streams(data):
    """The PDF's objects with their compressed streams opened (the catalogue sits in an object stream)."""
    import zlib

    out = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            out.append(zlib.decompress(match.group(1)))
        except zlib.error:
            pass
    return b"\n".join(out)


def test_pdfs_are_tagged_with_a_language_and_extract_cleanly(client, auth, demo, tmp_path):
    from portal.events.models import Event

    event = Event.select().where(Event.status == "published").order_by(Event.id).first()
    flyer = client.get(f"/events/{event.id}/flyer.pdf")
    assert flyer.status_code == 200
    info, struct, text = pdf_facts(flyer.data, tmp_path)
    assert re.search(r"Tagged:\s+yes", info), info
    assert "Document" in struct or "Sect" in struct or "P" in struct, struct[:300]
    assert re.search(rb"/Lang\s*\((it|en)\)", pdf_streams(flyer.data))
    assert "Binari – Kaleidoscopi Metropolitani" in text or "BINARI" in text.upper()
    assert not re.search(r"B I N A R I|C ULTURA|SPET TACOLO", text)
    auth.login("maria@binari.example")
    certificate = client.get("/volunteer/mine/certificate.pdf")
    assert certificate.status_code == 200, "maria has volunteering hours in the demo data"
    info, struct, text = pdf_facts(certificate.data, tmp_path)
    assert re.search(r"Tagged:\s+yes", info)
    assert "BINARI – KALEIDOSCOPI METROPOLITANI" in text and "B I N A R I" not in text


# --- PDF/UA essentials ----------------------------------------------------------------------------
# No PDF/UA validator can be had on this machine (veraPDF is Java, and neither Debian nor PyPI nor npm
# ship it), so this checks the essentials of PDF/UA-1 with pypdf; it is not a full validation.
def pdf_ua_problems(data):
    """What a document lacks of the PDF/UA essentials: tagged (StructTreeRoot, MarkInfo Marked), a
    document language, a title shown in the window (DisplayDocTitle), every font embedded, every figure
    with alternative text, and the PDF/UA identification in the XMP metadata."""
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data), strict=True)
    root = reader.trailer["/Root"]
    problems = []
    if "/StructTreeRoot" not in root:
        problems.append("no StructTreeRoot")
    if not (root.get("/MarkInfo") or {}).get("/Marked"):
        problems.append("MarkInfo Marked is not true")
    if not str(root.get("/Lang") or "").strip():
        problems.append("no document Lang")
    if not (reader.metadata and (reader.metadata.title or "").strip()):
        problems.append("no Title")
    if not (root.get("/ViewerPreferences") or {}).get("/DisplayDocTitle"):
        problems.append("DisplayDocTitle is not true")
    xmp = root["/Metadata"].get_object().get_data() if "/Metadata" in root else b""
    if b"pdfuaid:part" not in xmp:
        problems.append("no PDF/UA identification (pdfuaid:part) in the XMP metadata")

    def fonts(resources, seen):
        for font in ((resources or {}).get("/Font") or {}).values():
            font = font.get_object()
            if id(font) in seen:
                continue
            seen.add(id(font))
            for part in [font, *(f.get_object() for f in font.get("/DescendantFonts", []))]:
                descriptor = part.get("/FontDescriptor")
                if descriptor is not None:
                    descriptor = descriptor.get_object()
                    if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                        problems.append(f"font not embedded: {part.get('/BaseFont')}")
                elif part.get("/Subtype") != "/Type0":  # Type 3 fonts draw their glyphs themselves
                    if part.get("/Subtype") != "/Type3":
                        problems.append(f"font without a descriptor: {part.get('/BaseFont')}")
            fonts((font.get("/Resources") or {}), seen)

    seen = set()
    for page in reader.pages:
        fonts(page.get("/Resources"), seen)
        for xobject in ((page.get("/Resources") or {}).get("/XObject") or {}).values():
            fonts(xobject.get_object().get("/Resources"), seen)
    if not seen:
        problems.append("no fonts at all (text drawn as shapes?)")

    figures, stack = 0, [root.get("/StructTreeRoot")]
    while stack:
        node = stack.pop()
        node = node.get_object() if node is not None else None
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not hasattr(node, "get"):
            continue  # a marked-content id
        if node.get("/S") == "/Figure":
            figures += 1
            if not str(node.get("/Alt") or "").strip():
                problems.append("a Figure without Alt")
        kids = node.get("/K")
        if kids is not None:
            stack.append(kids)
    return problems, figures


def test_pdfs_have_the_pdf_ua_essentials(client, auth, demo):
    """Flyer (in Italian and in Arabic), programme, membership card and the staff's day sheet."""
    import io

    from pypdf import PdfReader

    from portal.events.models import Event

    event = Event.select().where(Event.status == "published").order_by(Event.id).first()
    documents = {
        "flyer": client.get(f"/events/{event.id}/flyer.pdf"),
        "flyer in Arabic": client.get(f"/events/{event.id}/flyer.pdf?lang=ar"),
        "programme": client.get("/events/programme/2026-12.pdf"),
    }
    auth.login("maria@binari.example")
    documents["card"] = client.get("/account/card.pdf")
    auth.logout()
    auth.login("faenza@staff.binari.example")
    documents["day sheet"] = client.get("/staff/day.pdf")
    found = {}
    for name, response in documents.items():
        assert response.status_code == 200 and response.mimetype == "application/pdf", name
        problems, figures = pdf_ua_problems(response.data)
        assert not problems, f"{name}: {problems}"
        found[name] = figures
    assert found["flyer"] >= 1 and found["card"] >= 1, f"the QR codes are figures: {found}"
    assert PdfReader(io.BytesIO(documents["flyer in Arabic"].data)).trailer["/Root"]["/Lang"] == "ar"


def test_print_logos_carry_a_text_alternative(app):
    from portal.pdf import print_logos

    app.config["PRINT_LOGOS"] = ["brand/binari-mark.svg", "brand/binari-mark.svg=Comune di Milano", "missing.png"]
    with app.test_request_context():
        assert [logo.alt for logo in print_logos()] == ["Binari", "Comune di Milano"]


def test_library_titles_in_another_language_say_which(client, demo):
    """An Arabic or Chinese title carries lang (screen readers switch voice), as well as dir="auto"."""
    from portal.library.models import Title

    arabic = Title.select().where(Title.language == "ar").first()
    html = client.get(f"/library/titles/{arabic.id}").get_data(as_text=True)
    assert f'<h1 dir="auto" lang="ar">{arabic.title}</h1>' in html
    html = client.get("/library", query_string={"q": arabic.title.split()[0]}).get_data(as_text=True)
    assert 'dir="auto" lang="ar"' in html
    italian = Title.select().where(Title.language == "it").first()
    assert 'lang="it"' in client.get(f"/library/titles/{italian.id}").get_data(as_text=True)
