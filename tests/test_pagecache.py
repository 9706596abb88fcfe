"""The anonymous public pages' micro-cache (portal/pagecache.py): who gets a cached page, and who never does."""

import gzip
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


def test_a_hit_carries_every_header_the_rendered_page_did(cached_app):
    """Security headers, Cache-Control, Content-Language, Vary, the request id: a kept page served again
    answers with the rendered page's headers (its own request id). Only the Date header Flask-Compress's
    make_conditional adds to a rendered page is not repeated: gunicorn sends its own Date anyway."""
    from portal import create_app

    https_app = create_app({**cached_app.config, "BASE_URL": "https://binari.example.org", "HSTS_MAX_AGE": 3600})
    for app in (cached_app, https_app):
        for path in ("/", "/events?site=visconti", "/library?q=storia"):
            headers = {"Accept-Language": "en", "Accept-Encoding": "gzip"}
            miss, hit = app.test_client().get(path, headers=headers), app.test_client().get(path, headers=headers)
            assert (miss.headers["X-Page-Cache"], hit.headers["X-Page-Cache"]) == ("miss", "hit")
            differ = {"X-Page-Cache", "X-Request-Id", "Content-Length", "Set-Cookie", "Date"}
            rendered = sorted((n, v) for n, v in miss.headers.items() if n not in differ)
            assert sorted((n, v) for n, v in hit.headers.items() if n not in differ) == rendered, path
            request_id = hit.headers["X-Request-Id"]
            assert len(request_id) == 16 and request_id != miss.headers["X-Request-Id"]
            assert "Date" not in hit.headers
            assert hit.headers["Cache-Control"] == "no-cache" and hit.headers["Content-Language"] == "en"
            vary = {part.strip() for part in hit.headers["Vary"].split(",")}
            assert {"Accept-Language", "Cookie", "Accept-Encoding", "HX-Request"} <= vary
            for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy"):
                assert hit.headers[name]
            assert ("Strict-Transport-Security" in hit.headers) is (app is https_app)


def test_a_returning_visitor_gets_the_token_signed_once_and_it_still_submits(cached_app):
    """A kept page's token is signed once per visitor (portal.pagecache.SignedTokens), not on every hit."""
    from flask_wtf import csrf

    visitor, other = cached_app.test_client(), cached_app.test_client()
    page(visitor, "/library")  # the miss: rendered, the visitor's token made and signed
    signed = []
    original = csrf.generate_csrf

    def counting(*args, **kwargs):
        signed.append(1)
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("portal.pagecache.generate_csrf", counting)
        hits = [page(visitor, "/library") for _ in range(3)]
        assert {hit.headers["X-Page-Cache"] for hit in hits} == {"hit"}
        assert len(signed) == 1  # the first hit signs it; the next two reuse it
        tokens = {csrf_token_from(hit.get_data(as_text=True)) for hit in hits}
        assert len(tokens) == 1
        other_token = csrf_token_from(page(other, "/library").get_data(as_text=True))
        assert other_token not in tokens and len(signed) == 2  # another visitor: a token of their own
    answer = visitor.post("/text-size", data={"csrf_token": tokens.pop(), "size": "large", "next": "/"})
    assert answer.status_code == 303
    # With a time limit on tokens, every hit signs afresh (an old signature would expire sooner).
    cached_app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    page(visitor, "/library")  # a miss: the POST above emptied this worker's cache
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("portal.pagecache.generate_csrf", counting)
        assert {page(visitor, "/library").headers["X-Page-Cache"] for _ in range(2)} == {"hit"}
    assert len(signed) == 4


def test_every_input_of_the_page_is_part_of_the_key(cached_app):
    client = cached_app.test_client()
    page(client, "/events")
    assert page(client, "/events").headers["X-Page-Cache"] == "hit"
    assert page(client, "/events?site=visconti").headers["X-Page-Cache"] == "miss"
    arabic = page(client, "/events", **{"Accept-Language": "ar"})
    assert arabic.headers["X-Page-Cache"] == "miss"
    assert '<html lang="ar" dir="rtl"' in arabic.get_data(as_text=True)
    assert page(client, "/events", **{"HX-Request": "true"}).headers["X-Page-Cache"] == "miss"
    assert page(client, "/events", Host="other.example").headers["X-Page-Cache"] == "miss"
    italian = page(client, "/events")
    assert italian.headers["X-Page-Cache"] == "hit" and '<html lang="it"' in italian.get_data(as_text=True)


def test_no_cookie_can_pass_for_another_request_s_inputs(cached_app):
    """The key's parts cannot run into each other: a cookie whose quoted value holds the old separator
    (an octal escape, which werkzeug decodes; gunicorn refuses only raw control characters) and another
    cookie's text must not get its page served to someone who sent those two cookies."""
    # Clients without a cookie jar send the Cookie header as written here.
    forger, chooser = cached_app.test_client(use_cookies=False), cached_app.test_client(use_cookies=False)
    forged = page(forger, "/events", **{"Accept-Language": "ar", "Cookie": 'a="\\037c:lang=en"'})
    assert '<html lang="ar"' in forged.get_data(as_text=True)
    english = page(chooser, "/events", **{"Accept-Language": "ar", "Cookie": "a=; lang=en"})
    assert english.headers["X-Page-Cache"] == "miss"
    assert '<html lang="en"' in english.get_data(as_text=True)


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


def test_a_member_back_with_only_the_remember_cookie_is_never_served_a_kept_page(cached_app, make_user):
    """portal.visitors.signed_in skips Flask-Login only when it could find nobody: the remember-me
    cookie alone (a new browser session) still signs the member in, so the page is theirs."""
    make_user("Remembered Person", email="remembered@example.org")
    page(cached_app.test_client())  # the anonymous copy is kept
    member = cached_app.test_client()
    login_page = member.get("/login").get_data(as_text=True)
    member.post(
        "/login",
        data={
            "identifier": "remembered@example.org",
            "password": "password123",
            "remember": "y",
            "csrf_token": csrf_token_from(login_page),
        },
    )
    assert member.get_cookie("remember_token") is not None
    member.delete_cookie("session")  # the browser was closed: only the remember-me cookie is left
    home = member.get("/")
    assert home.status_code == 200 and "X-Page-Cache" not in home.headers
    assert home.headers["Cache-Control"] == "private, no-cache"


def test_a_kept_page_honours_q_values_in_accept_encoding(cached_app):
    page(cached_app.test_client())
    for header, gzipped in (("gzip;q=0, identity", False), ("*", True), ("deflate, GZIP;q=0.5", True), ("", False)):
        hit = cached_app.test_client().get("/", headers={"Accept-Encoding": header})
        assert hit.headers["X-Page-Cache"] == "hit"
        assert (hit.headers.get("Content-Encoding") == "gzip") is gzipped, header


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


@pytest.fixture
def stored_app(app, seed, tmp_path):
    """The page cache with its disk tier on, as in production."""
    from portal.pagecache import PageStore, release_digest

    app.config["PAGE_STORE_SECONDS"] = 600
    store = PageStore(tmp_path / "pages", 600, release_digest(app))
    app.extensions["binari_page_store"] = store
    return app


def another_worker(app):
    """What another worker of the same server sees: its own (empty) memory, the shared disk."""
    app.extensions["binari_page_cache"].clear()


def test_an_event_page_is_kept_on_disk_for_every_worker_until_the_event_changes(stored_app):
    """A kept event page serves other workers (and survives a restart) while its stamp holds:
    a seat taken, an edit, a translation each make it render again."""
    from test_events import make_event

    from portal.events.models import Event
    from portal.events.services import sign_up
    from portal.events.texts import save_text

    event = make_event(title="Laboratorio di ceramica", capacity=5)
    path = f"/events/{event.id}"
    client = stored_app.test_client()
    assert page(client, path).headers["X-Page-Cache"] == "miss"
    another_worker(stored_app)
    kept = page(client, path, **{"Accept-Encoding": "gzip"})
    assert kept.headers["X-Page-Cache"] == "stored" and kept.headers["Content-Encoding"] == "gzip"
    assert page(client, path).headers["X-Page-Cache"] == "hit"  # and now in this worker's memory too

    sign_up(event, name="Ada Rossi", phone="+393331234567")
    another_worker(stored_app)
    after = page(client, path)
    assert after.headers["X-Page-Cache"] == "miss"  # a seat was taken: the count on the page changed
    assert "4 posti liberi su 5" in after.get_data(as_text=True)
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "stored"

    save_text(Event.get_by_id(event.id), "en", "Ceramics workshop", "Clay for everyone.")
    another_worker(stored_app)
    english = page(client, path, **{"Accept-Language": "en"})
    assert english.headers["X-Page-Cache"] == "miss" and "Ceramics workshop" in english.get_data(as_text=True)
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "miss"  # the Italian page's stamp moved too


def test_a_kept_page_from_disk_answers_in_the_language_it_was_rendered_in(stored_app):
    """A page kept on disk brings the language its words were chosen in: another worker serves it with
    the rendered page's Content-Language and Vary, without choosing the language again."""
    from test_events import make_event

    from portal import i18n

    path = f"/events/{make_event(title='Laboratorio di ceramica').id}"
    headers = {"Accept-Language": "ar", "Accept-Encoding": "gzip"}
    rendered = page(stored_app.test_client(), path, **headers)
    assert rendered.headers["X-Page-Cache"] == "miss" and rendered.headers["Content-Language"] == "ar"
    another_worker(stored_app)
    chosen = []
    original = i18n.select_locale
    i18n.select_locale = lambda: chosen.append(1) or original()
    try:
        kept = page(stored_app.test_client(), path, **headers)
    finally:
        i18n.select_locale = original
    assert kept.headers["X-Page-Cache"] == "stored" and not chosen
    differ = {"X-Page-Cache", "X-Request-Id", "Content-Length", "Set-Cookie", "Date"}
    assert sorted((n, v) for n, v in kept.headers.items() if n not in differ) == sorted(
        (n, v) for n, v in rendered.headers.items() if n not in differ
    )
    assert '<html lang="ar" dir="rtl"' in gzip.decompress(kept.data).decode()


@pytest.mark.clock("2026-11-17 17:58")
def test_a_kept_event_page_follows_the_clock_and_its_time_limit(stored_app, frozen_clock):
    """Registration closes when the event starts: the page renders again then. Whatever the
    stamp does not cover (a centre's phone) is at most PAGE_STORE_SECONDS old."""
    from datetime import timedelta

    from test_events import make_event

    event = make_event(title="Cinema all'aperto", days=0, capacity=5)  # today at 18:00; the clock says 17:58
    path = f"/events/{event.id}"
    client = stored_app.test_client()
    page(client, path)
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "stored"
    frozen_clock.shift(timedelta(minutes=3))  # 18:01: started, registration closed
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "miss"

    later = make_event(title="Coro di quartiere", days=5)
    path = f"/events/{later.id}"
    page(client, path)
    frozen_clock.shift(timedelta(seconds=599))
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "stored"
    frozen_clock.shift(timedelta(seconds=2))
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "miss"


def test_a_stamp_is_asked_once_per_page_cache_period_and_a_write_here_forgets_it(stored_app, monkeypatch):
    """A worker asks the database for a page's stamp at most once per PAGE_CACHE_SECONDS (10 here):
    a change made elsewhere shows within that time, as it does for a page kept in memory."""
    from conftest import count_queries
    from test_events import make_event

    import portal.pagecache as pagecache
    from portal.events.services import sign_up

    event = make_event(title="Laboratorio di ceramica", capacity=5)
    path = f"/events/{event.id}"
    client = stored_app.test_client()
    memory = stored_app.extensions["binari_page_cache"]
    assert page(client, path).headers["X-Page-Cache"] == "miss"
    memory.entries.clear()  # the page left this worker's memory (300 pages); its stamp did not
    with count_queries() as counter:
        kept = page(client, path)
    assert kept.headers["X-Page-Cache"] == "stored" and counter["n"] == 0

    sign_up(event, name="Ada Rossi", phone="+393331234567")  # by another worker: nothing forgotten here
    memory.entries.clear()
    assert "5 posti liberi su 5" in page(client, path).get_data(as_text=True)  # within the 10 s
    real = pagecache.time.monotonic
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: real() + 11)
    memory.entries.clear()
    with count_queries() as counter:
        after = page(client, path)
    assert after.headers["X-Page-Cache"] == "miss" and counter["n"] > 0
    assert "4 posti liberi su 5" in after.get_data(as_text=True)

    # A write handled by this worker forgets the stamps along with the pages.
    memory.entries.clear()
    assert page(client, path).headers["X-Page-Cache"] == "stored"
    other = stored_app.test_client()  # another visitor's write: this visitor's key stays the same
    token = csrf_token_from(page(other, "/library").get_data(as_text=True))
    other.post("/text-size", data={"csrf_token": token, "size": "normal", "next": "/"})
    assert not memory.stamps and not memory.entries
    with count_queries() as counter:
        assert page(client, path).headers["X-Page-Cache"] == "stored"
    assert counter["n"] == 1  # the stamp, asked again


def test_the_stamps_kept_in_memory_are_bounded():
    from portal.pagecache import PageCache

    cache = PageCache(max_stamps=3)
    asked = []
    for number in range(5):
        version = cache.stamp(("event", number), 0.0, 10, lambda number=number: asked.append(number) or f"v{number}")
        assert version == f"v{number}"
    assert list(cache.stamps) == [("event", 2), ("event", 3), ("event", 4)]
    assert cache.stamp(("event", 4), 9.9, 10, lambda: "changed") == "v4"  # still within its time
    assert cache.stamp(("event", 4), 10.0, 10, lambda: "changed") == "changed"
    assert cache.stamp(("event", 0), 0.0, 10, lambda: None) is None  # "not kept": remembered as such
    assert asked == [0, 1, 2, 3, 4]


def test_drafts_other_releases_and_damaged_files_are_never_served_from_disk(stored_app):
    from test_events import make_event

    from portal.pagecache import PageStore

    draft = make_event(title="Bozza", status="draft")
    client = stored_app.test_client()
    assert client.get(f"/events/{draft.id}").status_code == 404
    store = stored_app.extensions["binari_page_store"]
    assert not list(store.root.glob("*/*.page"))

    event = make_event(title="Torneo di scacchi")
    path = f"/events/{event.id}"
    page(client, path)
    files = list(store.root.glob("*/*.page"))
    assert len(files) == 1
    # An upgrade (new templates or code) has another release digest: the old page is not served.
    stored_app.extensions["binari_page_store"] = PageStore(store.root, 600, "another-release")
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "miss"
    files[0].write_bytes(b"not a kept page")
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "miss"  # rendered again, and kept again
    another_worker(stored_app)
    assert page(client, path).headers["X-Page-Cache"] == "stored"


def test_expired_files_are_swept_away(stored_app, frozen_clock, tmp_path):
    import os
    import time as wall

    from test_events import make_event

    store = stored_app.extensions["binari_page_store"]
    client = stored_app.test_client()
    for title in ("Uno", "Due"):
        page(client, f"/events/{make_event(title=title).id}")
    files = sorted(store.root.glob("*/*.page"))
    assert len(files) == 2
    old = wall.time() - 601
    os.utime(files[0], (old, old))
    (store.root / "ab").mkdir(exist_ok=True)
    stray = store.root / "ab" / "abc.page.123.456.tmp"
    stray.write_bytes(b"half")
    os.utime(stray, (old, old))
    assert store.prune() == 2
    assert sorted(store.root.glob("*/*")) == [files[1]]


def test_the_disk_never_holds_more_than_its_limit(stored_app):
    """The key holds what a visitor sends: endless variants (here, languages) cost renders, not the disk."""
    from test_events import make_event

    store = stored_app.extensions["binari_page_store"]
    store.max_files = 10
    client = stored_app.test_client()
    path = f"/events/{make_event(title='Tanti visitori').id}"
    for number in range(30):
        page(client, path, **{"Accept-Language": f"it;q=0.{number + 10}"})
    assert len(list(store.root.glob("*/*.page"))) == 30
    store.prune()
    assert len(list(store.root.glob("*/*.page"))) == 9  # the newest nine tenths of the limit
