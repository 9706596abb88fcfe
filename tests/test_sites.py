"""Home, centre pages, health check, error pages."""

import pytest


def test_home_lists_three_centres(client, seed):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for name in ("Viale Faenza", "Via S. Erlembaldo", "Via A. Visconti"):
        assert name in html
    assert 'lang="it"' in html
    assert 'data-hx-boost="true"' in html
    assert "HX-Request" in response.headers.get("Vary", "")


def test_site_pages(client, seed):
    for slug in ("faenza", "erlembaldo", "visconti"):
        response = client.get(f"/sites/{slug}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "openstreetmap.org" in html
        assert "Come arrivare" in html
        own = html.replace('<script src="/static/vendor/htmx.min.js', "").replace('<script src="/static/a11y.js', "")
        assert "<script" not in own


def test_unknown_site_is_friendly_404(client, seed):
    response = client.get("/sites/nowhere")
    assert response.status_code == 404
    assert "Pagina non trovata" in response.get_data(as_text=True)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_pages_and_static_files_are_compressed(client, seed):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    css = client.get("/static/style.css", headers={"Accept-Encoding": "br, gzip"})
    assert css.headers["Content-Encoding"] == "br"
    assert "max-age=31536000" in css.headers["Cache-Control"]


@pytest.mark.parametrize(
    "instant, expected",
    [
        ("2026-11-18T10:00:00+01:00", "Aperto ora · chiude alle 13:00"),  # a Wednesday morning
        ("2026-11-18T13:30:00+01:00", "Chiuso ora · apre alle 14:00"),  # the lunch break
        ("2026-11-21T20:00:00+01:00", "Chiuso ora · apre lunedì 23 novembre 2026 alle 09:00"),  # Saturday night
        ("2026-12-07T10:00:00+01:00", "Chiuso ora · apre mercoledì 9 dicembre 2026 alle 09:00"),  # 7 and 8: holidays
    ],
)
def test_centre_page_says_if_it_is_open_now(client, seed, instant, expected):
    """From the opening hours and the closures, in Milan time; with directions and the next events."""
    import re

    import time_machine

    with time_machine.travel(instant, tick=False):
        html = client.get("/sites/visconti").get_data(as_text=True)
    status = re.search(r'<p class="open-now[^"]*">(.*?)</p>', html, re.S).group(1)
    assert " ".join(re.sub(r"<[^>]+>", "", status).split()) == expected
    assert "https://www.openstreetmap.org/directions?to=" in html


def test_centre_page_lists_its_next_events(client, seed):
    from datetime import date, datetime, time, timedelta

    from portal.clock import to_utc
    from portal.events.models import Event

    start = to_utc(datetime.combine(date.today() + timedelta(days=2), time(18)))
    for slug, title in (("visconti", "Cineforum in cortile"), ("faenza", "Ginnastica dolce")):
        Event.create(
            site=seed["sites"][slug],
            title=title,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            status="published",
        )
    html = client.get("/sites/visconti").get_data(as_text=True)
    assert "Prossimi appuntamenti in questo centro" in html
    assert "Cineforum in cortile" in html and "Ginnastica dolce" not in html
    assert "/events?site=visconti" in html
