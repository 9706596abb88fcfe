"""The anonymous public pages' micro-cache (portal/pagecache.py): who gets a cached page, and who never does."""

import re

import pytest

from tests.conftest import csrf_token_from


@pytest.fixture
def app_settings():
    return {"PAGE_CACHE_SECONDS": 10, "WTF_CSRF_ENABLED": True}


@pytest.fixture
def cached_app(app, seed):
    return app


def page(client, path="/", **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    return response


def test_second_anonymous_visitor_gets_the_cached_page_with_a_token_of_their_own(cached_app):
    first, second = cached_app.test_client(), cached_app.test_client()
    one = page(first)
    two = page(second)
    assert one.headers["X-Page-Cache"] == "miss"
    assert two.headers["X-Page-Cache"] == "hit"
    for name in ("Content-Language", "Vary", "Content-Type", "Content-Security-Policy"):
        assert two.headers[name] == one.headers[name], name
    token_one, token_two = csrf_token_from(one.get_data(as_text=True)), csrf_token_from(two.get_data(as_text=True))
    assert token_one != token_two
    assert b"binari-csrf" not in two.data
    # Apart from the token, the same page.
    strip = re.compile(rb'value="[^"]+" name="csrf_token"|name="csrf_token" value="[^"]+"|"X-CSRFToken": "[^"]+"')
    assert strip.sub(b"", one.data) == strip.sub(b"", two.data)
    # The second visitor's own token works: the text-size form answers 303, not a CSRF refusal.
    answer = second.post("/text-size", data={"csrf_token": token_two, "size": "large", "next": "/"})
    assert answer.status_code == 303


def test_every_input_of_the_page_is_part_of_the_key(cached_app):
    client = cached_app.test_client()
    page(client, "/events")
    assert page(client, "/events").headers["X-Page-Cache"] == "hit"
    assert page(client, "/events?site=visconti").headers["X-Page-Cache"] == "miss"
    arabic = page(client, "/events", **{"Accept-Language": "ar"})
    assert arabic.headers["X-Page-Cache"] == "miss"
    assert '<html lang="ar" dir="rtl"' in arabic.get_data(as_text=True)
    assert page(client, "/events", **{"HX-Request": "true"}).headers["X-Page-Cache"] == "miss"
    italian = page(client, "/events")
    assert italian.headers["X-Page-Cache"] == "hit" and '<html lang="it"' in italian.get_data(as_text=True)


def test_signed_in_people_and_flashed_messages_are_never_cached(cached_app, make_user):
    make_user("Cached Person", email="cached@example.org")
    anonymous = cached_app.test_client()
    page(anonymous)
    member = cached_app.test_client()
    login_page = member.get("/login").get_data(as_text=True)
    answer = member.post(
        "/login",
        data={"identifier": "cached@example.org", "password": "password123", "csrf_token": csrf_token_from(login_page)},
    )
    assert answer.status_code in (302, 303)
    home = member.get("/")
    assert "X-Page-Cache" not in home.headers
    assert "Cached Person" in home.get_data(as_text=True) or "/account" in home.get_data(as_text=True)


def test_a_write_in_this_process_empties_the_cache_and_entries_expire(cached_app, monkeypatch):
    import portal.pagecache as pagecache

    client = cached_app.test_client()
    page(client, "/library")
    assert page(client, "/library").headers["X-Page-Cache"] == "hit"
    token = csrf_token_from(page(client, "/library").get_data(as_text=True))
    client.post("/text-size", data={"csrf_token": token, "size": "normal", "next": "/"})
    assert page(client, "/library").headers["X-Page-Cache"] == "miss"
    assert page(client, "/library").headers["X-Page-Cache"] == "hit"
    real = pagecache.time.monotonic
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: real() + 11)
    assert page(client, "/library").headers["X-Page-Cache"] == "miss"


def test_not_found_and_errors_are_not_cached(cached_app):
    client = cached_app.test_client()
    assert client.get("/events/999999").status_code == 404
    assert client.get("/events/999999").status_code == 404
    assert len(cached_app.extensions["binari_page_cache"].entries) == 0


def test_on_in_production_only(monkeypatch, tmp_path):
    from portal.config import from_environment

    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.setenv("BASE_URL", "https://binari.example.org")
    monkeypatch.delenv("PAGE_CACHE_SECONDS", raising=False)
    monkeypatch.setenv("BINARI_ENV", "production")
    assert from_environment()["PAGE_CACHE_SECONDS"] == 10
    monkeypatch.setenv("BINARI_ENV", "development")
    assert from_environment()["PAGE_CACHE_SECONDS"] == 0
    monkeypatch.setenv("PAGE_CACHE_SECONDS", "0")
    monkeypatch.setenv("BINARI_ENV", "production")
    assert from_environment()["PAGE_CACHE_SECONDS"] == 0


def test_the_calendar_feed_is_compressed_once_per_version(app, seed):
    """Flask-Compress keeps the feed's compressed bytes by its ETag; pages are never kept."""
    from test_events import make_event

    from portal import compress

    make_event(title="Concerto nel cortile")
    client = app.test_client()
    first = client.get("/events.ics", headers={"Accept-Encoding": "gzip"})
    second = client.get("/events.ics", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip" and first.data == second.data
    kept = compress.cache.entries
    assert len(kept) == 1 and next(iter(kept)).startswith("gzip;events.ics:")
    client.get("/", headers={"Accept-Encoding": "gzip"})
    assert len(kept) == 1  # an HTML page has no key: compressed each time, never stored
    make_event(title="Un altro concerto")
    cached_app_pages = app.extensions["binari_page_cache"]
    cached_app_pages.clear()  # the feed's 10 s in the page cache are over
    third = client.get("/events.ics", headers={"Accept-Encoding": "gzip"})
    assert third.data != first.data and len(kept) == 2


def test_the_calendar_feeds_are_kept_too_and_still_answer_if_none_match(cached_app):
    """Calendar apps poll the feeds: a kept feed is served without its query, sets no cookie,
    reuses the compressed bytes, and answers a matching If-None-Match with 304."""
    from test_events import make_event

    from portal import compress

    make_event(title="Concerto nel cortile")
    client = cached_app.test_client()  # a calendar app: no cookies
    first = client.get("/events.ics", headers={"Accept-Encoding": "gzip"})
    second = client.get("/events.ics", headers={"Accept-Encoding": "gzip"})
    assert (first.headers["X-Page-Cache"], second.headers["X-Page-Cache"]) == ("miss", "hit")
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert second.headers["Content-Type"].startswith("text/calendar") and second.headers["Content-Encoding"] == "gzip"
    assert "Set-Cookie" not in second.headers and b"binari-csrf" not in second.data
    assert second.headers["Content-Language"] == "it" and "Accept-Language" in second.headers["Vary"]
    assert [key.startswith("gzip;events.ics:") for key in compress.cache.entries] == [True]
    etag = first.headers["ETag"].strip('"')
    assert etag.endswith(":gzip")  # Flask-Compress marks the compressed variant's ETag
    for sent in (etag, etag.removesuffix(":gzip")):  # what a client of either variant sends back
        again = client.get("/events.ics", headers={"Accept-Encoding": "gzip", "If-None-Match": f'"{sent}"'})
        assert again.status_code == 304 and again.data == b""
    atom = [client.get("/events.atom").headers["X-Page-Cache"] for _ in range(2)]
    assert atom == ["miss", "hit"]


def test_kept_pages_are_compressed_once_and_each_visitor_still_gets_their_own_token(cached_app):
    """A kept page is gzip-compressed once, in pieces around the token's places; every visitor gets
    a valid gzip stream of the page with their own token, which the forms accept."""
    import gzip
    import zlib

    first, second = cached_app.test_client(), cached_app.test_client()
    one = first.get("/", headers={"Accept-Encoding": "gzip"})
    two = second.get("/", headers={"Accept-Encoding": "br, gzip, deflate"})
    assert two.headers["X-Page-Cache"] == "hit" and two.headers["Content-Encoding"] == "gzip"
    assert int(two.headers["Content-Length"]) == len(two.data) and "Accept-Encoding" in two.headers["Vary"]
    page_one = gzip.decompress(one.data) if one.headers.get("Content-Encoding") == "gzip" else one.data
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # as a browser inflates: checks CRC and length
    page_two = inflater.decompress(two.data)
    assert inflater.eof and not inflater.unused_data
    token_two = csrf_token_from(page_two.decode())
    assert token_two != csrf_token_from(page_one.decode()) and b"binari-csrf" not in page_two
    assert page_two.count(token_two.encode()) == page_one.count(csrf_token_from(page_one.decode()).encode()) >= 2
    answer = second.post("/text-size", data={"csrf_token": token_two, "size": "large", "next": "/"})
    assert answer.status_code == 303
    # Without gzip in Accept-Encoding, the same page plain.
    plain = cached_app.test_client().get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.data.startswith(b"<!doctype html>")


def test_static_files_are_compressed_for_gzip_only_clients_and_do_not_vary_by_cookie(app):
    """Flask streams static files, which Flask-Compress compressed only with Brotli or zstd: a
    gzip-only client got htmx whole. Each encoding is now computed once, and no cookie rides along."""
    import gzip
    from pathlib import Path

    from portal import compress

    css = (Path(app.root_path) / "static" / "style.css").read_bytes()
    client = app.test_client()
    client.get("/")  # a session cookie exists now
    for encoding in ("gzip", "br"):
        response = client.get("/static/style.css", headers={"Accept-Encoding": encoding})
        assert response.status_code == 200 and response.headers["Content-Encoding"] == encoding
        assert int(response.headers["Content-Length"]) == len(response.data) < len(css) / 2
        assert "Cookie" not in response.headers["Vary"] and "Set-Cookie" not in response.headers
    assert gzip.decompress(client.get("/static/style.css", headers={"Accept-Encoding": "gzip"}).data) == css
    assert sum(key.startswith("gzip;static:/static/style.css") for key in compress.cache.entries) == 1
    plain = client.get("/static/style.css", headers={"Accept-Encoding": "identity"})
    assert plain.data == css and "Content-Encoding" not in plain.headers
    etag = plain.headers["ETag"]
    assert client.get("/static/style.css", headers={"If-None-Match": etag}).status_code == 304
