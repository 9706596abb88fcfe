"""Choosing a language: the header switch without JavaScript, the cookie and the account, the
first-visit offer, right-to-left pages, locale formats and the HTTP headers of negotiated answers."""

import re
from datetime import date, datetime, timedelta

import pytest

from portal.i18n import COOKIE, LANGUAGE_NAMES
from portal.models import User


def page(client, path="/", **headers):
    return client.get(path, headers=headers).get_data(as_text=True)


def header_of(html):
    return html.split('<header class="top">', 1)[1].split("</header>", 1)[0]


def test_the_switch_is_in_the_header_row_each_language_in_itself(client, seed):
    header = header_of(page(client))
    # One row on a phone: the switch is a disclosure (a globe and the current language) beside the menu.
    switch = header.split('<details class="pop langs" name="top">', 1)[1]
    summary = r'\s*<summary><svg [^>]*aria-hidden="true"[^>]*>.*?</svg>'
    summary += r'<span class="visually-hidden">Lingua</span> <span>IT</span>'
    assert re.match(summary, switch)
    assert '<form method="post" action="/language" class="lang"' in switch
    for code, name in LANGUAGE_NAMES.items():
        button = rf'<button name="lang" value="{code}" lang="[\w-]+" dir="(ltr|rtl)"[^>]*>{name}</button>'
        assert re.search(button, header)
    assert 'value="ar" lang="ar" dir="rtl"' in header and 'value="zh" lang="zh-Hans" dir="ltr"' in header
    assert 'value="it" lang="it" dir="ltr" aria-describedby="lang-label" aria-current="true"' in header


def test_a_guest_choice_is_a_cookie_for_a_year(client, seed):
    response = client.post("/language", data={"lang": "ar", "next": "/sites/faenza"})
    assert response.status_code == 303 and response.headers["Location"] == "/sites/faenza"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=ar;") and "Max-Age=31536000" in cookie and "HttpOnly" in cookie
    html = page(client, "/sites/faenza", **{"Accept-Language": "it"})  # the choice beats the browser
    assert '<html lang="ar" dir="rtl">' in html and "مواعيد العمل" in html  # "Orari di apertura"
    # The cookie alone is enough (a new session, the same browser).
    other = client.application.test_client()
    other.set_cookie(COOKIE, "es")
    assert '<html lang="es" dir="ltr">' in page(other, "/")
    other.set_cookie(COOKIE, "xx")  # a forged value is ignored
    assert '<html lang="it" dir="ltr">' in page(other, "/")


def test_a_member_choice_is_kept_on_the_account(client, seed, auth):
    auth.login()
    client.post("/language", data={"lang": "zh", "next": "/account"})
    assert User.get(User.email == "maria@binari.example").language == "zh"
    fresh = client.application.test_client()  # another device, no cookie: the account decides
    fresh.post("/login", data={"identifier": "maria@binari.example", "password": "binari2026"})
    html = page(fresh, "/account", **{"Accept-Language": "en"})
    assert '<html lang="zh-Hans" dir="ltr">' in html and "我的账户" in html


def test_unknown_language_and_foreign_next_are_refused(client, seed):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "Set-Cookie" not in response.headers or f"{COOKIE}=" not in response.headers["Set-Cookie"]


def test_a_get_never_sets_the_choice(client, seed):
    response = client.get("/", headers={"Accept-Language": "ar"})
    assert COOKIE + "=" not in response.headers.get("Set-Cookie", "")


def test_the_first_visit_offers_another_language_the_browser_accepts(client, seed):
    html = page(client, "/", **{"Accept-Language": "it-IT,it;q=0.9,ar;q=0.8"})
    assert '<html lang="it"' in html
    offer = html.split('class="lang-offer"', 1)[1].split("</form>", 1)[0]
    assert 'lang="ar" dir="rtl"' in offer
    assert "هذه الصفحة متوفرة أيضًا بالعربية." in offer and 'value="ar">التبديل إلى العربية</button>' in offer
    assert 'value="it" lang="it" dir="ltr">No, grazie</button>' in offer
    # Saying no is a choice too: no offer any more.
    client.post("/language", data={"lang": "it", "next": "/"})
    assert "lang-offer" not in page(client, "/", **{"Accept-Language": "it-IT,it;q=0.9,ar;q=0.8"})


def test_no_offer_without_a_second_language(client, seed):
    assert "lang-offer" not in page(client, "/", **{"Accept-Language": "es"})
    assert "lang-offer" not in page(client, "/")


@pytest.mark.parametrize("path", ["/", "/events", "/events.ics", "/events.atom", "/events/embed"])
def test_negotiated_answers_say_their_language_and_vary(client, seed, path):
    response = client.get(path, headers={"Accept-Language": "es"})
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "es"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response.headers["Vary"].split(",")}
    assert client.get(path, headers={"Accept-Language": "zh-CN"}).headers["Content-Language"] == "zh-Hans"


def test_static_files_do_not_vary_by_language(client, seed):
    response = client.get("/static/style.css")
    assert "Content-Language" not in response.headers and "Accept-Language" not in response.headers.get("Vary", "")


@pytest.mark.parametrize(
    ("language", "long", "short"),
    [
        ("it", "sabato 5 dicembre 2026", "05/12/2026"),
        ("en", "Saturday 5 December 2026", "05/12/2026"),
        ("es", "sábado, 5 de diciembre de 2026", "5/12/26"),
        ("zh", "2026年12月5日星期六", "2026/12/5"),
    ],
)
def test_dates_follow_the_language(app, language, long, short):
    from flask_babel import force_locale

    env = app.jinja_env
    with app.test_request_context("/"), force_locale(language):
        assert env.filters["date_long"](date(2026, 12, 5)) == long
        assert env.filters["date_short"](date(2026, 12, 5)) == short
        # Naive datetimes are UTC: 17:30 UTC is 18:30 in Milan.
        assert env.filters["datetime_long"](datetime(2026, 12, 5, 17, 30)) == f"{long}, 18:30"


def test_arabic_dates_are_arabic(app):
    from flask_babel import force_locale

    with app.test_request_context("/"), force_locale("ar"):
        text = app.jinja_env.filters["date_long"](date(2026, 12, 5))
    assert "السبت" in text and "ديسمبر" in text


def test_a_pdf_is_printed_in_the_language_asked(client, seed):
    """?lang= on a PDF: the words, the fonts (Arabic shaped, Chinese present) and the cache key follow."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext missing")
    from test_events import make_event

    event = make_event("visconti", title="Teatro di cortile")

    def text(path):
        response = client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        out = subprocess.run(["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True)
        return response, out.stdout.decode()

    italian, words = text(f"/events/{event.id}/flyer.pdf")
    assert "Inquadra per informazioni" in words
    arabic, words = text(f"/events/{event.id}/flyer.pdf?lang=ar")
    # Arabic comes out of pdftotext shaped and split oddly ("حيا ة"): check for Arabic words, not a sentence.
    assert "Inquadra" not in words and len(re.findall("[\u0600-\u06ff]{3,}", words)) > 10
    assert arabic.headers["ETag"] != italian.headers["ETag"]
    assert arabic.headers["Content-Language"] == "ar"
    chinese, words = text(f"/events/{event.id}/flyer.pdf?lang=zh")
    assert "扫码了解信息并报名" in words
    fonts = subprocess.run(["pdffonts", "-"], input=chinese.data, capture_output=True, check=True).stdout.decode()
    assert "WenQuanYi" in fonts
    _, words = text(f"/events/{event.id}/flyer.pdf?lang=xx")  # unknown: the page's language
    assert "Inquadra per informazioni" in words


def test_mail_goes_out_in_the_language_the_person_used(client, seed):
    from test_events import make_event

    from portal.models import OutboxMessage

    event = make_event("faenza", title="Ginnastica dolce")
    client.set_cookie(COOKIE, "ar")
    response = client.post(f"/events/{event.id}/register", data={"name": "Amina", "email": "amina@example.org"})
    assert response.status_code == 303
    mail = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
    # A guest's place waits for the mailed link: the mail is in Arabic and echoes nothing the guest typed.
    assert mail.subject == "Binari: أكِّد مكانك في «Ginnastica dolce»" and "Amina" not in mail.body
    assert any("\u0600" <= char <= "\u06ff" for char in mail.body)
    assert mail.to_address == "amina@example.org"


# --- content in several languages: staff translate an event ------------------------------------
def test_staff_translate_an_event_and_readers_see_their_language(client, seed, auth):
    from test_events import make_event

    from portal.events.models import Event, EventText

    event = make_event("faenza", title="Ginnastica dolce", description="Movimento lento per tutte le età.")
    page_path = f"/events/{event.id}"
    auth.login("erlembaldo@staff.binari.example")  # another centre's staff: refused
    assert client.get(f"/staff/events/{event.id}/languages").status_code == 403
    auth.logout()
    auth.login("faenza@staff.binari.example")
    form = client.get(f"/staff/events/{event.id}/languages").get_data(as_text=True)
    choices = form.split('name="language"')[1].split("</select>")[0]
    assert "العربية" in choices and 'value="it"' not in choices
    bad = client.post(f"/staff/events/{event.id}/languages", data={"language": "ar", "title": "", "description": "x"})
    assert bad.status_code == 422 and "Scrivi il titolo." in bad.get_data(as_text=True)
    assert EventText.select().count() == 0  # nothing half-saved
    stamp = Event.get_by_id(event.id).updated_at
    flyer_etag = client.get(f"/events/{event.id}/flyer.pdf?lang=ar").headers["ETag"]
    response = client.post(
        f"/staff/events/{event.id}/languages",
        data={"language": "ar", "title": "رياضة لطيفة", "description": "حركة هادئة لكل الأعمار."},
    )
    assert response.status_code == 303
    assert Event.get_by_id(event.id).updated_at > stamp  # flyers and feeds are rebuilt
    assert Event.get_by_id(event.id).title == "Ginnastica dolce"  # the Italian stays
    auth.logout()

    arabic = client.application.test_client()
    arabic.set_cookie(COOKIE, "ar")
    html = page(arabic, page_path)
    assert "رياضة لطيفة" in html and "حركة هادئة لكل الأعمار." in html and "Ginnastica dolce" not in html
    assert "رياضة لطيفة" in page(arabic, "/events") and "رياضة لطيفة" in page(arabic, "/")
    assert "رياضة لطيفة" in page(arabic, "/events.atom") and "رياضة لطيفة" in page(arabic, "/events/embed")
    assert arabic.get(f"/events/{event.id}/flyer.pdf?lang=ar").headers["ETag"] != flyer_etag
    italian = page(client, page_path)
    assert "Ginnastica dolce" in italian and "رياضة لطيفة" not in italian
    english = page(client, page_path, **{"Accept-Language": "en"})  # no English text: the Italian
    assert "Ginnastica dolce" in english


def test_a_translated_event_cannot_be_saved(client, seed):
    from test_events import make_event

    from portal.events.texts import localize_one, save_text

    event = make_event("faenza", title="Ginnastica dolce")
    save_text(event, "es", "Gimnasia suave", "")
    shown = localize_one(type(event).get_by_id(event.id), language="es")
    assert shown.title == "Gimnasia suave"
    with pytest.raises(RuntimeError):
        shown.save()


def test_removing_a_translation(client, seed, auth):
    from test_events import make_event

    from portal.events.texts import save_text

    event = make_event("faenza", title="Ginnastica dolce")
    save_text(event, "zh", "温和体操", "")
    auth.login("faenza@staff.binari.example")
    assert client.post(f"/staff/events/{event.id}/languages/zh/delete").status_code == 303
    chinese = client.application.test_client()
    chinese.set_cookie(COOKIE, "zh")
    assert "Ginnastica dolce" in page(chinese, f"/events/{event.id}")


def test_staff_translate_a_way_to_help(client, seed, auth):
    from portal.volunteer.models import Opportunity, OpportunityText, Shift

    opp = Opportunity.create(site=seed["sites"]["faenza"], title="Distribuzione alimentare", description="Si smista.")
    from portal.clock import utcnow

    shift = Shift.create(
        opportunity=opp,
        starts_at=utcnow() + timedelta(days=2),
        ends_at=utcnow() + timedelta(days=2, hours=2),
        capacity=4,
    )
    auth.login("erlembaldo@staff.binari.example")
    assert client.get(f"/staff/volunteer/opportunities/{opp.id}/languages").status_code == 403
    auth.logout()
    auth.login("faenza@staff.binari.example")
    bad = client.post(f"/staff/volunteer/opportunities/{opp.id}/languages", data={"language": "it", "title": "x"})
    assert bad.status_code == 422 and OpportunityText.select().count() == 0
    done = client.post(
        f"/staff/volunteer/opportunities/{opp.id}/languages",
        data={"language": "es", "title": "Reparto de alimentos", "description": "Se clasifica la comida."},
    )
    assert done.status_code == 303
    auth.logout()
    spanish = client.application.test_client()
    spanish.set_cookie(COOKIE, "es")
    assert "Reparto de alimentos" in page(spanish, "/volunteer")
    assert "Se clasifica la comida." in page(spanish, f"/volunteer/opportunities/{opp.id}")
    assert "Reparto de alimentos" in page(spanish, f"/volunteer/shifts/{shift.id}")
    assert "Distribuzione alimentare" in page(client, f"/volunteer/opportunities/{opp.id}")
    assert Opportunity.get_by_id(opp.id).title == "Distribuzione alimentare"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar, en;q=0.8, it;q=0.5", ["ar", "en", "it"]),
        ("en-GB;q=0.3, zh-CN", ["zh", "en"]),
        ("en;q=0, es", ["es"]),
        ("fr, de", []),
        ("", []),
        ("x" * 300 + ", en", ["en"]),  # too long to be kept: parsed every time, the same answer
    ],
)
def test_browser_languages_are_read_from_accept_language(app, header, expected):
    from portal.i18n import browser_languages

    for _ in range(2):  # the second answer comes from the kept one
        with app.test_request_context("/", headers={"Accept-Language": header}):
            assert browser_languages() == expected


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (None, "Accept-Language, Cookie"),
        ("HX-Request", "HX-Request, Accept-Language, Cookie"),
        ("cookie, HX-Request", "cookie, HX-Request, Accept-Language"),
        ("Accept-Language, Cookie", "Accept-Language, Cookie"),
    ],
)
def test_vary_names_each_input_once(app, before, after):
    from portal.i18n import vary_also

    response = app.response_class("x", headers={"Vary": before} if before else {})
    vary_also(response, "Accept-Language", "Cookie")
    assert response.headers["Vary"] == after
