"""PDF documents with WeasyPrint (imported lazily: it is heavy) and QR codes."""

import base64
import ctypes
import ctypes.util
import gc
import importlib
import io
import logging
import os
import re
import select
import signal
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import NamedTuple

import segno
from flask import current_app, make_response, render_template

STATIC_DIR = Path(__file__).resolve().parent / "static"
BINARI_MARK = STATIC_DIR / "brand" / "binari-mark.svg"


def qr_data_uri(text, scale=4):
    """A QR code as an SVG data URI, ready for <img src> in a PDF or a page."""
    out = io.BytesIO()
    # A standalone SVG (with its namespace): browsers draw nothing for <img> of an SVG without it.
    segno.make(text, error="m").save(out, kind="svg", scale=scale, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


class PrintLogo(NamedTuple):
    src: str  # a file: URL WeasyPrint may fetch
    alt: str  # the logo's text alternative (a tagged PDF needs one on every figure)


def print_logos():
    """The configured logos (`file` or `file=Alt text`) as PrintLogo; missing files are left out, logged.

    Without a text after "=", the alternative is the bundled mark's name or the file's name in words
    ("comune-di-milano.png" -> "comune di milano")."""
    logos = []
    for entry in current_app.config.get("PRINT_LOGOS", []):
        name, _, alt = entry.partition("=")
        path = Path(name) if Path(name).is_absolute() else STATIC_DIR / name
        if path.is_file():
            default = "Binari" if path.resolve() == BINARI_MARK else re.sub(r"[-_.]+", " ", path.stem).strip()
            logos.append(PrintLogo(path.resolve().as_uri(), alt.strip() or default))
        else:
            current_app.logger.warning("print logo not found: %s", path)
    return logos


class PDFRenderError(RuntimeError):
    """A PDF could not be drawn: the child process failed, was killed, gave nothing or ran out of time."""


def render_pdf(template, stylesheet="pdf.css", **context):
    """Render a template to PDF bytes with our print stylesheet.

    The HTML is rendered here (Jinja needs the app context); WeasyPrint draws it in a forked child
    process when PDF_RENDER_IN_CHILD is on (the default), in this process otherwise. A render
    allocates tens of MB that glibc keeps after it is freed: in a child they go back to the system
    when it exits, and the web worker stays small (issue 15: at most 120 MB a worker).
    """
    weasy = _weasyprint()  # before the fork: the children inherit the imported modules, never pay ~1 s
    sheet = _stylesheet(weasy, stylesheet)  # parsed here too, once, and handed to the child parsed
    html = render_template(template, **context)
    config = current_app.config
    if not config.get("PDF_RENDER_IN_CHILD", True):
        try:
            return _draw(weasy, html, sheet)
        finally:
            give_memory_back()
    return _draw_in_child(weasy, html, sheet, float(config.get("PDF_RENDER_TIMEOUT", 60)))


_WEASYPRINT: dict = {}
_LOCKS: dict = {}


def process_lock(name):
    """The process-wide lock called `name`, made on first use: under gevent that is after monkey
    patching, so the lock is a cooperative one even when its user was imported before the patching
    (gunicorn --preload). The PDF code and the printout cache's build lock use it."""
    lock = _LOCKS.get(name)
    if lock is None:
        # setdefault is atomic: two threads racing here both get the one lock that was stored.
        lock = _LOCKS.setdefault(name, threading.Lock())
    return lock


def _weasyprint():
    """WeasyPrint's HTML, CSS and URLFetcher, imported once per process."""
    with process_lock("import"):
        if not _WEASYPRINT:
            from PIL import ImageFile
            from weasyprint import CSS, HTML  # lazy: importing WeasyPrint costs ~1 s and 40 MB
            from weasyprint.urls import URLFetcher

            # WeasyPrint's import turns on acceptance of truncated images for the whole process:
            # turn it off again, so an upload in this worker is never accepted half-decoded.
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            _parse_c_types()
            _WEASYPRINT.update(CSS=CSS, HTML=HTML, URLFetcher=URLFetcher)
    return _WEASYPRINT


# The C types WeasyPrint 70 names in ffi.new() and ffi.cast() with a fixed spelling (weasyprint/text, pdf).
_C_TYPES = (
    "PangoRectangle *", "unsigned int *", "PangoFcFontMap *", "PangoLogAttr[]", "hb_tag_t[100]", "char[]",
    "char[4]", "FcResult *", "FcChar8 **",
)  # fmt: skip


def _parse_c_types():
    """Have cffi parse the C types a render names, once, in the worker.

    cffi parses a type's name with pycparser the first time it meets it (5-7 ms each, the parser
    reading every declared typedef again): a child that starts without them parses them for every
    document, 15 ms or more of a flyer. Parsed here, a few kB, every child inherits them."""
    from weasyprint.text.ffi import ffi

    for name in _C_TYPES:
        try:
            ffi.typeof(name)
        except Exception:  # a later WeasyPrint without this type: its children are only a little slower
            logging.getLogger(__name__).debug("cffi does not know the C type %r", name)


def _draw(weasy, html, sheet):
    """WeasyPrint's part: HTML text and a parsed stylesheet to PDF bytes (no app context, no lock: it
    also runs in a child, where a lock another thread held at the fork would never be released)."""
    # Only local files (our static folder, uploaded images) and data: URIs: a PDF
    # never fetches over the network, and relative paths resolve in static/.
    fetcher = weasy["URLFetcher"](allowed_protocols=("file", "data"), fail_on_errors=True)
    document = weasy["HTML"](string=html, base_url=str(STATIC_DIR) + "/", url_fetcher=fetcher)
    stylesheets = [sheet]
    # PDF/UA-1: tagged (structure tree, reading order, alt text), with the document language from <html lang>.
    return document.write_pdf(stylesheets=stylesheets, pdf_variant="pdf/ua-1")


def _stylesheet(weasy, name):
    """A print stylesheet, parsed once per process and version of the file (23 ms a parse, against a
    flyer's 150). WeasyPrint only reads a parsed stylesheet while drawing: documents can share it."""
    path = STATIC_DIR / name
    key = (str(path), path.stat().st_mtime_ns)
    with process_lock("stylesheets"):
        sheet = _STYLESHEETS.get(key)
        if sheet is None:
            sheet = _STYLESHEETS[key] = weasy["CSS"](filename=str(path))
    return sheet


_STYLESHEETS: dict = {}


# What the child writes before its bytes: a PDF, or the text of the error that stopped it.
_DONE, _FAILED = b"\x00", b"\x01"


def _draw_in_child(weasy, html, sheet, timeout):
    """Draw the PDF in a forked child process; its bytes, or PDFRenderError (failure or `timeout` s)."""
    # Pipe, fork and closing our copy of the write end under one lock: a child forked meanwhile by
    # another thread would inherit this pipe's write end, and we would see no end of file until
    # that other child exits too.
    with process_lock("fork"):
        read_fd, write_fd = os.pipe()
        try:
            # Looked up now, not at import: under gevent this is gevent's fork, which watches the
            # child so that os.waitpid below waits cooperatively.
            pid = os.fork()
        except BaseException:
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:
            _child(write_fd, weasy, html, sheet)  # never returns
        os.close(write_fd)
    reaped = False
    try:
        try:
            data = _read_until_eof(read_fd, time.monotonic() + timeout)
        except TimeoutError:
            _kill_and_reap(pid)
            reaped = True
            raise PDFRenderError(f"PDF render in child process {pid} took more than {timeout:g} s: killed") from None
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:  # an exception while waiting (the request is being ended): leave no child behind
            _kill_and_reap(pid)
    if code == 0 and data[:1] == _DONE and len(data) > 1:
        return data[1:]
    how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
    said = data[1:].decode("utf-8", "replace").strip() if data[:1] == _FAILED else "no PDF written"
    raise PDFRenderError(f"PDF render in child process {pid} failed ({how}): {said}")


def _read_until_eof(fd, deadline):
    """Everything written to the pipe `fd` until its end; TimeoutError past `deadline` (monotonic)."""
    os.set_blocking(fd, False)
    # select.poll is gevent's under monkey patching: the worker's other greenlets keep serving
    # while this one waits. With threads it is the real poll, which releases the GIL.
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        if not poller.poll(max(1, int(remaining * 1000))):
            continue
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:  # woken with nothing to read after all
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill_and_reap(pid):
    """Kill the child and wait for it, so that no zombie is left."""
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:  # already reaped
        pass


def _child(write_fd, weasy, html, sheet):
    """The forked child: draw, write the outcome to the pipe and end at once with os._exit.

    It never returns into the request: no Flask teardown, atexit handler or finaliser runs here, so
    the parent's database connection, sockets and buffered output are never touched."""
    status = 1
    try:
        # The parent's handlers (gunicorn's graceful stop, reload) make no sense in the child: a
        # signal meant for the service ends the child, and the parent reports the render as failed.
        for name in ("SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGWINCH"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        _let_go_of_inherited_fds(write_fd)
        outcome = []
        done = _original("_thread", "allocate_lock")()
        done.acquire()

        def work():
            try:
                outcome.append(_DONE + _draw(weasy, html, sheet))
            except BaseException:
                outcome.append(_FAILED + traceback.format_exc().encode("utf-8", "replace"))
            finally:
                done.release()

        # The drawing runs in a fresh native thread. Under gevent, this thread is a greenlet of the
        # parent's hub, with the other requests' greenlets copied beside it: anything that waited
        # (a contended lock, a patched sleep) would switch to them, and they would go on serving their
        # requests from the child. A new native thread has a hub of its own with nothing else on it.
        _original("_thread", "start_new_thread")(work, ())
        done.acquire()  # a native lock: blocks this thread without running any greenlet
        _write_all(write_fd, outcome[0])
        status = 0 if outcome[0][:1] == _DONE else 1
    except BaseException:
        try:
            _write_all(write_fd, _FAILED + traceback.format_exc().encode("utf-8", "replace"))
        except BaseException:  # nothing more can be said: the parent sees the exit status
            pass
    finally:
        os._exit(status)


def _original(module, name):
    """`module.name` as the standard library has it, never gevent's monkey-patched replacement."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None:
        return monkey.get_original(module, name)
    return getattr(importlib.import_module(module), name)


def _let_go_of_inherited_fds(keep):
    """Point every inherited descriptor except stdin, stdout, stderr and `keep` at /dev/null.

    The child got copies of the worker's sockets (clients, the listening socket, the database), the
    build lock's file and other renders' pipes: kept open, they would hold a client connection the
    worker closed, keep the build lock taken, or delay another render's end of file. dup2 rather
    than close: no number is reused while a Python object of the parent's still thinks it owns it."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:  # no /proc: keep them; the child lives a few hundred ms
        return
    null = os.open(os.devnull, os.O_RDWR)
    for name in names:
        fd = int(name)
        if fd > 2 and fd not in (keep, null):
            try:
                os.dup2(null, fd, inheritable=False)
            except OSError:  # listdir's own descriptor, already closed
                pass
    os.close(null)


def _write_all(fd, data):
    """Write all of `data` to `fd` (a pipe takes 64 kB at a time)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def give_memory_back():
    """Free what a render left behind and hand it back to the system.

    A render builds tens of MB of short-lived objects (boxes, glyph runs, images). Without this a
    web worker's memory crept up with every document, from 108 MB after one flyer to 130 MB after
    twenty; with it, 112 MB (bench/README.md). Collecting costs a few ms, against a render's hundreds.
    """
    gc.collect()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)  # glibc keeps freed memory in its arenas unless asked to return it


def _glibc():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:  # not glibc (musl, macOS): nothing to trim
        return None


_LIBC = _glibc()


def pdf_response(data, filename, inline=True):
    """A PDF answer with a download name."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
