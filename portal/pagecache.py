"""A short-lived cache of the public pages as anonymous visitors see them (micro-caching).

Most traffic is anonymous people opening the same few pages: the home page, the agenda, an event,
the library search, co-working, volunteering. Rendering one costs 10–25 ms of CPU, so two cores
serve only a few hundred a second (bench/README.md). A view marked `@public_page` keeps what it
rendered for `PAGE_CACHE_SECONDS` (0 turns caching off, as the test configuration does) in this
process's memory, and serves it again to the next anonymous visitor who would get the same bytes.

What makes two requests "the same" is every input a page can depend on: the path and query, the
htmx headers (a fragment is not the whole page), the browser's languages, the cookies, and the
session's contents. Never cached: a signed-in person's pages, a response with a flashed message,
anything but a 200 HTML page or feed, and (by construction) any request that is not a GET or HEAD.

The one per-visitor part of a public page is its CSRF token (the language and text-size forms, the
htmx header): the cached copy holds a marker in its place, and each visitor gets their own token.

The cost is staleness: an anonymous visitor can see a page up to `PAGE_CACHE_SECONDS` old (a new
event appears, or a free place count changes, a few seconds later). Capacity is never decided by a
page: every booking is checked in the database when it is made. A POST handled by this process
empties its cache at once; other processes' copies simply expire.

Pages with thousands of addresses (an event page: one per event) are seldom asked for twice within
seconds by the same worker, so the memory cache above rarely holds them. A view that can say cheaply
what its page depends on (`@public_page(stamp=...)`: one small query, e.g. the event's stamp and its
taken seats) also keeps its pages in a second tier, `PageStore`: files on this server's disk, shared
by its workers and kept across restarts, each served again only while its stamp still matches (and at
most `PAGE_STORE_SECONDS`, for what the stamp does not cover: a centre's phone number, say).
A stamp is asked of the database at most once per `PAGE_CACHE_SECONDS` per page and worker: the
same bound on staleness as a page kept in memory (see `PageCache.stamp`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache, wraps
from pathlib import Path

from flask import current_app, g, make_response, request, session
from flask_wtf.csrf import generate_csrf
from werkzeug.http import parse_accept_header

from .visitors import signed_in

MARKER = b"\x00binari-csrf\x00"  # never in a rendered page: NUL is dropped from all input
MAX_ENTRIES = 300  # ~300 pages of 20–60 KB: a few MB per worker at most
MAX_STAMPS = 5000  # a few hundred bytes each: about 1.5 MB per worker at most
HTMX_HEADERS = ("HX-Request", "HX-Boosted", "HX-Target", "HX-Trigger", "HX-Current-URL", "HX-History-Restore-Request")
# Where WSGI puts each of them (read there directly: werkzeug's header lookup costs more than the key).
HTMX_ENVIRON_KEYS = tuple("HTTP_" + name.upper().replace("-", "_") for name in HTMX_HEADERS)
# Pages, and the public calendar feeds: calendar apps poll them, and their ETag alone costs a query
# over every event in the window.
CACHED_TYPES = {"text/html", "text/calendar", "application/atom+xml"}
SESSION_KEYS_IGNORED = {"csrf_token", "_permanent", "_fresh", "_id"}


@dataclass
class CachedPage:
    # The page cut where each visitor's CSRF token goes (one piece: a page without a token). Kept cut,
    # so that serving it never searches the page for the marker (about 3 µs of a hit, 3 December).
    pieces: list[bytes]
    headers: list[tuple[str, str]]
    expires: float
    compress_key: str | None = None
    # The page compressed once, in pieces cut at the CSRF token's places (see `_gzip_with_token`).
    gzip_parts: list[bytes] | None = None
    token_length: int = 0
    # An ETag or Last-Modified (a feed): only then can If-None-Match and friends change the answer.
    conditional: bool = False
    # The language its words were chosen in, and how (portal.i18n.select_locale): None if it never asked.
    language: str | None = None
    lang_source: str | None = None

    def __post_init__(self) -> None:
        self.conditional = any(name.lower() in ("etag", "last-modified") for name, _ in self.headers)
        self.length = sum(len(piece) for piece in self.pieces)  # without the tokens


class PageCache:
    """A small LRU of rendered pages with an expiry, shared by the threads of one worker."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_stamps: int = MAX_STAMPS) -> None:
        self.max_entries, self.max_stamps = max_entries, max_stamps
        self.entries: OrderedDict[str, CachedPage] = OrderedDict()
        # (view, its arguments) -> (when it expires, the stamp): see `stamp`.
        self.stamps: OrderedDict[tuple, tuple[float, str | None]] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, now: float) -> CachedPage | None:
        with self.lock:
            page = self.entries.get(key)
            if page is None or page.expires <= now:
                self.misses += 1
                return None
            self.entries.move_to_end(key)
            self.hits += 1
            return page

    def put(self, key: str, page: CachedPage) -> None:
        with self.lock:
            self.entries[key] = page
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)

    def stamp(self, key: tuple, now: float, seconds: float, compute: Callable[[], str | None]) -> str | None:
        """The stamp of the page `key` names, as `compute()` (a query) gave it at most `seconds` ago.

        Why: an event page's hits mostly come from the disk store (thousands of addresses, a memory of
        300 pages), and its stamp query was about a tenth of such a hit (bench/README.md). Kept no
        longer than a page in memory, a stamp delays a change by no more than a kept page already
        can; a write in this process forgets both (`clear`)."""
        with self.lock:
            kept = self.stamps.get(key)
            if kept is not None and kept[0] > now:
                return kept[1]
        version = compute()
        with self.lock:
            self.stamps[key] = (now + seconds, version)
            self.stamps.move_to_end(key)
            while len(self.stamps) > self.max_stamps:
                self.stamps.popitem(last=False)
        return version

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.stamps.clear()


def _cache() -> PageCache:
    return current_app.extensions["binari_page_cache"]


def request_key() -> str | None:
    """The cache key of this request, or None when its page must be rendered for this person alone."""
    # The request and session objects taken once: each lookup through Flask's proxies costs ~0.7 µs,
    # and this runs on every page served from the cache.
    req = request._get_current_object()  # type: ignore[attr-defined]  # a LocalProxy, typed as what it stands for
    if req.method not in ("GET", "HEAD"):
        return None
    visitor = session._get_current_object()  # type: ignore[attr-defined]
    if visitor.get("_flashes") or visitor.get("_user_id") or signed_in():
        return None
    # The host and scheme too, though pages' absolute links come from BASE_URL: a page kept on disk is
    # served for minutes, and whatever a request could change must never reach another visitor.
    environ = req.environ
    cookie_name = current_app.config.get("SESSION_COOKIE_NAME", "session")
    parts = (
        req.scheme,
        environ.get("HTTP_HOST", ""),
        req.path,
        req.query_string,
        environ.get("HTTP_ACCEPT_LANGUAGE", ""),
        tuple(environ.get(key, "") for key in HTMX_ENVIRON_KEYS),
        sorted(item for item in req.cookies.items(multi=True) if item[0] != cookie_name),
        sorted(item for item in visitor.items() if item[0] not in SESSION_KEYS_IGNORED),
    )
    # repr() quotes and escapes each text, so no value can pass for the end of one part and the start
    # of the next (a quoted cookie value can hold any character, written as an octal escape).
    return hashlib.blake2b(repr(parts).encode("utf-8", "replace"), digest_size=16).hexdigest()


Stamp = Callable[..., "str | None"]


def public_page(view=None, *, stamp: Stamp | None = None):
    """Serve this view's page from the micro-cache to anonymous visitors (see the module's note).

    `stamp`, called with the view's arguments before it renders, returns a short text that changes
    whenever the page would (or None: do not keep it on disk); with it the page is also kept in the
    shared `PageStore`. Taken before rendering (or up to `PAGE_CACHE_SECONDS` before, `PageCache.stamp`),
    so a change during the render only makes the kept copy look older than it is (rendered again
    next time), never newer."""
    if view is None:
        return lambda view: public_page(view, stamp=stamp)

    @wraps(view)
    def cached_view(*args, **kwargs):
        seconds = current_app.config.get("PAGE_CACHE_SECONDS", 0)
        key = request_key() if seconds else None
        if key is None:
            return view(*args, **kwargs)
        cache = _cache()
        now = time.monotonic()
        page = cache.get(key, now)
        if page is not None:
            return _serve_kept(page)
        store = _store() if stamp is not None else None
        version = None
        if store is not None:
            stamp_key = (cached_view, args, tuple(sorted(kwargs.items())))
            version = cache.stamp(stamp_key, now, seconds, lambda: stamp(*args, **kwargs))
        if store is not None and version is not None:
            page = store.get(key, version)
            if page is not None:
                cache.put(key, replace(page, expires=now + seconds))
                return _serve_kept(page, "stored")
        response = make_response(view(*args, **kwargs))
        if _storable(response):
            token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
            body = response.get_data()
            if token:
                body = body.replace(token.encode(), MARKER)
            headers = [(n, v) for n, v in response.headers.items() if n.lower() not in ("set-cookie", "content-length")]
            compress_key = g.get("compress_cache_key")
            kept = CachedPage(
                pieces=body.split(MARKER),
                headers=headers,
                expires=now + seconds,
                compress_key=compress_key,
                language=g.get("request_language"),
                lang_source=g.get("lang_source"),
            )
            if token and not compress_key and "ETag" not in response.headers and len(body) >= GZIP_MIN_SIZE:
                kept.gzip_parts, kept.token_length = gzip_parts(kept.pieces, len(token)), len(token)
            cache.put(key, kept)
            if store is not None and version is not None:
                store.put(key, version, kept)
        response.headers["X-Page-Cache"] = "miss"
        return response

    return cached_view


class PageStore:
    """Kept pages as files on this server's disk (`<instance>/cache/pages`), shared by its workers.

    Each file holds one page, the stamp it was rendered under, a release digest (templates, code,
    translations, settings: an upgrade never serves a page of the old one) and the wall-clock time it
    stops being served. Written to a temporary name and renamed, so a reader sees a whole file or none.
    Files are this server's own (instance directory, like the secret key), so reading them back with
    pickle trusts nothing from outside. Old files are removed by the writers, now and then."""

    PRUNE_EVERY = 500  # writes by one worker between two sweeps
    MAX_FILES = 10_000  # about 20 KB each: 200 MB of disk at most (plus what is written between sweeps)

    def __init__(self, root: Path, seconds: int, release: str, max_files: int = MAX_FILES) -> None:
        self.root, self.seconds, self.release, self.max_files = root, seconds, release, max_files
        self.writes = 0
        self.lock = threading.Lock()

    def _file(self, key: str) -> str:
        # Text, not a Path: pathlib's joining cost a kept event page's read about 30 µs of its 350 (an
        # event page is mostly served from here: there are thousands of them).
        return f"{self.root}/{key[:2]}/{key}.page"

    def get(self, key: str, version: str) -> CachedPage | None:
        try:
            record = pickle.loads(_read(self._file(key)))
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None  # missing, or unreadable: render it again
        if not isinstance(record, dict) or record.get("release") != self.release or record.get("stamp") != version:
            return None
        if record.get("until", 0) <= time.time():
            return None
        return CachedPage(
            pieces=record["pieces"],
            headers=record["headers"],
            expires=0,
            gzip_parts=record["gzip_parts"],
            token_length=record["token_length"],
            language=record.get("language"),
            lang_source=record.get("lang_source"),
        )

    def put(self, key: str, version: str, page: CachedPage) -> None:
        now = time.time()
        record = {
            "release": self.release,
            "stamp": version,
            "until": now + self.seconds,
            "pieces": page.pieces,
            "headers": page.headers,
            "gzip_parts": page.gzip_parts,
            "token_length": page.token_length,
            "language": page.language,
            "lang_source": page.lang_source,
        }
        path = Path(self._file(key))
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary.write_bytes(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, path)
            os.utime(path, (now, now))  # the sweep compares modification times with this same clock
        except OSError as error:  # a full or read-only disk costs speed, not the page
            current_app.logger.warning("page store: cannot keep %s: %s", path.name, error)
            temporary.unlink(missing_ok=True)
            return
        with self.lock:
            self.writes += 1
            sweep = self.writes % self.PRUNE_EVERY == 0
        if sweep:
            self.prune()

    def prune(self) -> int:
        """Remove the files no longer served (older than `seconds`, and stray temporary files), then the
        oldest while more than `max_files` are left: the key holds what a visitor sends (languages,
        cookies, query), so someone sending endless variants must not fill the disk."""
        oldest, removed, kept = time.time() - self.seconds, 0, []
        for path in self.root.glob("*/*"):
            try:
                modified = path.stat().st_mtime
                if modified < oldest:
                    path.unlink()
                    removed += 1
                else:
                    kept.append((modified, path))
            except OSError:
                continue  # another worker removed or replaced it first
        if len(kept) > self.max_files:
            kept.sort()
            for _, path in kept[: len(kept) - self.max_files * 9 // 10]:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


READ_SIZE = 65536  # a kept page's file is 5-20 KB


def _read(path: str) -> bytes:
    """The whole file: with os.read, half the time of open().read() for a kept page (3.5 against 7 µs)."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        chunks = [os.read(descriptor, READ_SIZE)]
        while len(chunks[-1]) == READ_SIZE:  # a regular file reads short only at its end
            chunks.append(os.read(descriptor, READ_SIZE))
    finally:
        os.close(descriptor)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def release_digest(app) -> str:
    """A digest of what a page is made from besides the data: the portal's code, templates, stylesheets
    and compiled translations (names, sizes, modification times), and the plain settings. The same in
    every worker of a release; different after an upgrade or a settings change."""
    digest = hashlib.blake2b(digest_size=12)
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            info = path.stat()
            digest.update(f"{path.relative_to(root)}:{info.st_size}:{info.st_mtime_ns};".encode())
    for name in sorted(app.config):
        value = app.config[name]
        if isinstance(value, (str, int, float, bool, type(None))) and "SECRET" not in name and "PASSWORD" not in name:
            digest.update(f"{name}={value!r};".encode())
    return digest.hexdigest()


def _store() -> PageStore | None:
    return current_app.extensions.get("binari_page_store")


class SignedTokens:
    """The signed form of each visitor's CSRF token, as Flask-WTF made it, by their raw token.

    Tokens live as long as the session (WTF_CSRF_TIME_LIMIT is None), so a token signed earlier
    validates as well as a fresh one; signing it again for every kept page served (a serializer, JSON,
    HMAC, base64) cost about 45 µs of a hit's 580 in one process. One per worker and app, the most
    recent visitors."""

    def __init__(self, size: int = 4096) -> None:
        self.size, self.entries, self.lock = size, OrderedDict[str, str](), threading.Lock()

    def token(self) -> str:
        """This visitor's signed CSRF token: Flask-WTF's generate_csrf, signed once per raw token."""
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        if current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
            return generate_csrf()  # with a time limit, an old signature would run out sooner than a new one
        raw = session.get(field)
        if isinstance(raw, str) and field not in g:
            with self.lock:
                signed = self.entries.get(raw)
            if signed is not None:
                setattr(g, field, signed)  # where generate_csrf looks first, should this request ask again
                return signed
        signed = generate_csrf()
        raw = session.get(field)  # a new visitor's is made by generate_csrf
        if isinstance(raw, str):
            with self.lock:
                self.entries[raw] = signed
                while len(self.entries) > self.size:
                    self.entries.popitem(last=False)
        return signed


def _serve_kept(page: CachedPage, how: str = "hit"):
    """A kept page as this visitor gets it: their own CSRF token, compressed when they accept gzip."""
    token = current_app.extensions["binari_signed_tokens"].token().encode() if len(page.pieces) > 1 else b""
    if page.gzip_parts is not None and len(token) == page.token_length and accepts_gzip():
        body = _gzip_with_token(page, token)
        encoding = "gzip"
    else:
        body = token.join(page.pieces)
        encoding = None
    # Every header in one list: werkzeug's header assignment searches the headers first (Content-Length
    # is set by the response itself, from the body).
    headers = [*page.headers, ("X-Page-Cache", how)]
    if encoding:  # Flask-Compress leaves an encoded response alone (it still adds Vary)
        headers.append(("Content-Encoding", encoding))
    response = current_app.response_class(body, headers=headers)
    if page.language is not None:
        # The kept words were chosen by language: Content-Language and Vary say so again
        # (portal.i18n.language_headers). Everything select_locale reads is part of the key, so the
        # page's own choice is this visitor's too: it is recorded as the locale selector would.
        g.request_language, g.lang_source = page.language, page.lang_source
    if page.compress_key:  # a feed's compressed bytes are kept by Flask-Compress (portal/compressed.py)
        g.compress_cache_key = page.compress_key
    if page.conditional:  # a feed's ETag still answers If-None-Match with 304
        return response.make_conditional(request)
    # A page has no validator, so make_conditional would only add a Date header, which gunicorn sends
    # anyway (twice, then) and which cost ~20 µs per hit.
    return response


def accepts_gzip() -> bool:
    """Whether this request's Accept-Encoding allows gzip (werkzeug's reading of it, q=0 and * included)."""
    header = request.environ.get("HTTP_ACCEPT_ENCODING", "")
    return _accepts_gzip(header) if len(header) <= 200 else bool(parse_accept_header(header)["gzip"])


@lru_cache(maxsize=64)
def _accepts_gzip(header: str) -> bool:
    """The answer for one Accept-Encoding value: clients send a few, and parsing one costs ~8 µs per hit."""
    return bool(parse_accept_header(header)["gzip"])


# Compressing a kept page again for every visitor added 0.2-0.5 ms to a hit that otherwise costs 0.4-0.8 ms.
# Kept pages are compressed once, in pieces cut where the CSRF token goes: each piece is a run of raw
# DEFLATE blocks ended by a sync flush (byte-aligned, not final), so pieces can be laid end to end
# with the visitor's token, compressed on its own, between them; an empty final block and the gzip
# trailer (CRC-32 and length of the whole page) close the member (RFC 1951 3.2.3, RFC 1952; pigz
# works the same way). Each piece is compressed with what comes before it as its dictionary, so it
# may refer back to earlier text, as one stream would; the token's places in that dictionary are
# NUL bytes of the token's length. A page never holds a NUL (portal.incoming drops them), so no
# match can reach into a token, and what the decoder has at those distances is the same text.
# A token of another length (never, in practice) is served through Flask-Compress instead.
# Served as gzip even to a browser that also accepts Brotli: a little larger, no work per request.
GZIP_MIN_SIZE = 500  # as COMPRESS_MIN_SIZE: below it, compressing is not worth a header
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, no time, unknown OS
GZIP_LAST_BLOCK = b"\x03\x00"  # an empty final block with fixed codes
WINDOW = 32768  # how far back DEFLATE refers


def deflate_part(data: bytes, level: int = 6, history: bytes = b"") -> bytes:
    """`data` as raw DEFLATE blocks, flushed to a byte boundary and not final; `history` is the text
    the decoder will already have produced before it (the dictionary)."""
    if history:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=history[-WINDOW:])
    else:
        compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def gzip_parts(pieces: list[bytes], token_length: int) -> list[bytes]:
    """The pieces of a page (cut at its MARKERs), each compressed against the text before it."""
    parts, history = [], b""
    for index, piece in enumerate(pieces):
        if index:
            history += b"\x00" * token_length
        parts.append(deflate_part(piece, history=history))
        history = (history + piece)[-WINDOW:]
    return parts


def _gzip_with_token(page: CachedPage, token: bytes) -> bytes:
    assert page.gzip_parts is not None
    pieces = page.pieces
    crc = 0
    for index, piece in enumerate(pieces):
        if index:
            crc = zlib.crc32(token, crc)
        crc = zlib.crc32(piece, crc)
    size = page.length + (len(pieces) - 1) * len(token)
    body = deflated_token(token).join(page.gzip_parts) if len(pieces) > 1 else page.gzip_parts[0]
    return GZIP_HEADER + body + GZIP_LAST_BLOCK + struct.pack("<II", crc, size & 0xFFFFFFFF)


@lru_cache(maxsize=4096)
def deflated_token(token: bytes) -> bytes:
    """A visitor's token as its own DEFLATE piece: the same bytes on each of their hits (~10 µs each),
    so it is compressed once per token (the recent visitors of this worker, as SignedTokens keeps)."""
    return deflate_part(token, 1)


def _storable(response) -> bool:
    if response.status_code != 200 or response.mimetype not in CACHED_TYPES or response.direct_passthrough:
        return False
    if session.get("_flashes") or "Set-Cookie" in response.headers:
        return False  # a view that set a cookie of its own spoke to this visitor alone
    cache_control = response.headers.get("Cache-Control", "")
    return "private" not in cache_control and "no-store" not in cache_control


def init_app(app) -> None:
    """One cache per worker process; a POST (or any write method) handled here empties it."""
    app.config.setdefault("PAGE_CACHE_SECONDS", 0)
    app.config.setdefault("PAGE_STORE_SECONDS", 0)
    app.extensions["binari_page_cache"] = PageCache()
    app.extensions["binari_signed_tokens"] = SignedTokens()  # a feed has no token: it gets no session
    if app.config["PAGE_CACHE_SECONDS"] and app.config["PAGE_STORE_SECONDS"]:
        # Beside the printouts' cache (portal/events/printouts.py): this server's own disk.
        root = Path(app.config["UPLOAD_DIR"]).parent / "cache" / "pages"
        app.extensions["binari_page_store"] = PageStore(root, app.config["PAGE_STORE_SECONDS"], release_digest(app))

    @app.after_request
    def forget_pages_after_a_write(response):
        if request.method not in ("GET", "HEAD", "OPTIONS") and app.config.get("PAGE_CACHE_SECONDS"):
            app.extensions["binari_page_cache"].clear()
        return response
