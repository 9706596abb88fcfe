"""The PDF renderer: one process per server that holds WeasyPrint and draws every PDF (issue 15).

Importing WeasyPrint costs a process about 25 MB, and drawing allocates tens of MB more that glibc
keeps. In every web worker that broke the limit of 120 MB a worker. So WeasyPrint lives in this one
process instead, started as a program of its own (`python -I portal/pdfrenderer.py`): never forked from
a worker, it shares nothing with one and carries none of its memory. Each document is drawn in a child
forked from the renderer, with WeasyPrint already imported and the print stylesheet already parsed;
the child ends after the document, and what it allocated goes back to the system.

Who starts it:
- gunicorn's master, before the workers (`on_starting` in deploy/gunicorn.conf.py). The workers find
  its socket in the environment variable BINARI_PDF_RENDERER;
- otherwise the first process that needs a PDF starts one of its own (tests, the development server,
  gunicorn without our configuration; portal/pdf.py).
A renderer ends when the process that started it is gone.

One Unix-socket connection per document:
- the client sends the length of the rest (8 bytes, network order), the stylesheet's file name, a
  newline and the HTML (UTF-8);
- the child answers with its pid (4 bytes, network order), so the client can kill it when the document
  takes too long, then b"\\x00" and the PDF, or b"\\x01" and the text of the error.

This file imports only the standard library at module level. Web workers import it as
`portal.pdfrenderer` to talk to the renderer, and gunicorn's master loads it by path without loading
the portal.
"""

import argparse
import ctypes
import ctypes.util
import gc
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
DEFAULT_STYLESHEET = "pdf.css"
# The environment variable that gives workers the socket of the server's renderer.
ADDRESS_VARIABLE = "BINARI_PDF_RENDERER"
# The program a renderer runs: this file (tests start renderers from a wrapper of it).
SCRIPT = Path(__file__).resolve()

DONE, FAILED = b"\x00", b"\x01"
_LENGTH = struct.Struct("!Q")
_PID = struct.Struct("!I")
# How long a child waits for a client's request before giving up on it.
_REQUEST_TIMEOUT = 60


class PDFRenderError(RuntimeError):
    """A PDF could not be drawn: the drawing failed, was killed, gave nothing or ran out of time."""


class RendererUnavailable(PDFRenderError):
    """No renderer answers at the address: it was never started, or it has ended. Nothing was drawn."""


# --- drawing (in the renderer's children; in a worker only with PDF_RENDER_IN_CHILD off) ---------

_WEASYPRINT: dict = {}
_STYLESHEETS: dict = {}

# The C types WeasyPrint names in ffi.new() and ffi.cast() with a fixed spelling (weasyprint/text, pdf).
_C_TYPES = (
    "PangoRectangle *", "unsigned int *", "PangoFcFontMap *", "PangoLogAttr[]", "hb_tag_t[100]", "char[]",
    "char[4]", "FcResult *", "FcChar8 **",
)  # fmt: skip


def load_weasyprint():
    """WeasyPrint's HTML, CSS and URLFetcher, imported once per process (not thread-safe: a worker
    calls it under a lock)."""
    if not _WEASYPRINT:
        from PIL import ImageFile
        from weasyprint import CSS, HTML  # ~1 s and ~25 MB: only where PDFs are drawn
        from weasyprint.text.ffi import ffi
        from weasyprint.urls import URLFetcher

        # WeasyPrint's import turns on acceptance of truncated images for the whole process: off again,
        # so that a worker drawing in-process never accepts an upload half-decoded.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        # cffi parses a type's name with pycparser the first time it meets it (5-7 ms each): parsed
        # here, once, every child inherits them instead of parsing them for each document.
        for name in _C_TYPES:
            try:
                ffi.typeof(name)
            except Exception:  # a later WeasyPrint without this type: its documents are a little slower
                pass
        _WEASYPRINT.update(CSS=CSS, HTML=HTML, URLFetcher=URLFetcher)
    return _WEASYPRINT


def stylesheet(name):
    """A print stylesheet of portal/static by file name, parsed once per version of the file (23 ms a
    parse, against a flyer's 150); ValueError for a name that is not a stylesheet there."""
    path = STATIC_DIR / name
    if Path(name).name != name or not name.endswith(".css") or not path.is_file():
        raise ValueError(f"no print stylesheet called {name!r}")
    key = (str(path), path.stat().st_mtime_ns)
    sheet = _STYLESHEETS.get(key)
    if sheet is None:
        sheet = _STYLESHEETS[key] = load_weasyprint()["CSS"](filename=str(path))
    return sheet


def draw(html, sheet):
    """HTML text and a parsed stylesheet to PDF bytes."""
    weasy = load_weasyprint()
    # Only local files (our static folder, uploaded images) and data: URIs: a PDF never fetches over
    # the network, and relative paths resolve in static/.
    fetcher = weasy["URLFetcher"](allowed_protocols=("file", "data"), fail_on_errors=True)
    document = weasy["HTML"](string=html, base_url=str(STATIC_DIR) + "/", url_fetcher=fetcher)
    # PDF/UA-1: tagged (structure tree, reading order, alt text), with the document language from <html lang>.
    return document.write_pdf(stylesheets=[sheet], pdf_variant="pdf/ua-1", font_config=weasy.get("fonts"))


def share_fonts():
    """Have every document drawn by this process use one font configuration (Pango's font map and its
    caches) instead of a new one each. Only in the renderer: it draws one document at a time, each in
    a child with its own copy, so nothing a document adds stays (our stylesheets have no @font-face).
    Through the renderer a flyer's median went from 118-132 to 116-119 ms (alternating runs); in one
    process, where the caches keep growing from document to document, from 73-143 to 50-65 ms."""
    weasy = load_weasyprint()
    if "fonts" not in weasy:
        from weasyprint.text.fonts import FontConfiguration

        weasy["fonts"] = FontConfiguration()


def give_memory_back():
    """Free what a render left behind and hand it back to the system.

    A render builds tens of MB of short-lived objects (boxes, glyph runs, images). Without this a
    web worker drawing in-process crept up with every document, from 108 MB after one flyer to 130 MB
    after twenty; with it, 112 MB (bench/README.md). Collecting costs a few ms, against a render's hundreds.
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

# Drawn once by the renderer before it serves: fontconfig's set-up, the fonts' files and Pango's caches
# are then ready in every child instead of being built for each document (a flyer's median through the
# renderer went from 112-113 to 99-102 ms; a monthly programme's gain is lost in its noise). Latin,
# Arabic and Chinese text, as the portal's languages print.
_WARM_UP = """<!doctype html><html lang="it"><body><h1>Binari</h1><p><b>Programma</b> <i>del mese</i> —
<span lang="ar" dir="rtl">برنامج الشهر</span> — <span lang="zh-Hans">本月节目</span> — 0123456789</p></body></html>"""


def warm_up():
    """Draw a small document, keep the caches it filled, and give back the rest of its memory."""
    draw(_WARM_UP, stylesheet(DEFAULT_STYLESHEET))
    give_memory_back()


# --- the client (in web workers) ------------------------------------------------------------------


def render(address, html, stylesheet_name, timeout):
    """The PDF of `html`, drawn by the renderer at `address`: its bytes, RendererUnavailable when no
    renderer answers there, PDFRenderError when drawing fails or takes more than `timeout` seconds.

    Under gevent the socket is gevent's (looked up at call time): the worker's other greenlets go on
    serving while this one waits."""
    deadline = time.monotonic() + timeout
    body = stylesheet_name.encode() + b"\n" + html.encode("utf-8")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(timeout)
        try:
            connection.connect(address)
        except OSError as error:
            raise RendererUnavailable(f"no PDF renderer at {address}: {error}") from None
        pid = None
        finished = False
        try:
            try:
                connection.sendall(_LENGTH.pack(len(body)) + body)
                head = _receive(connection, _PID.size, deadline)
                if len(head) < _PID.size:
                    raise PDFRenderError("the PDF renderer ended the connection before drawing")
                (pid,) = _PID.unpack(head)
                answer = _receive(connection, None, deadline)
            except TimeoutError:
                killed = f" (process {pid}, killed)" if pid is not None else ""
                raise PDFRenderError(f"PDF render took more than {timeout:g} s{killed}") from None
            except OSError as error:
                raise PDFRenderError(f"PDF render in process {pid} failed: {error}") from None
            finished = True
        finally:
            if not finished and pid is not None:
                _kill(pid)  # timed out, or this request is being ended: no document drawn for no one
    if answer[:1] == DONE and len(answer) > 1:
        return answer[1:]
    said = answer[1:].decode("utf-8", "replace").strip() if answer[:1] == FAILED else "no PDF written"
    raise PDFRenderError(f"PDF render in process {pid} failed: {said}")


def _receive(connection, size, deadline):
    """`size` bytes from the connection (fewer at its end), or everything until its end (None)."""
    chunks, received = [], 0
    while size is None or received < size:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        connection.settimeout(remaining)
        chunk = connection.recv(1 << 16 if size is None else min(1 << 16, size - received))
        if not chunk:
            break
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)  # the renderer, its parent, reaps it
    except ProcessLookupError:
        pass


# --- starting and stopping a renderer ---------------------------------------------------------------


class Renderer:
    """A renderer process this process started, and the socket that reaches it."""

    def __init__(self, process, directory, address):
        self.process, self.directory, self.address = process, directory, address
        self.owner = os.getpid()

    @property
    def pid(self):
        return self.process.pid

    def alive(self):
        return self.process.poll() is None

    def stop(self, timeout=10):
        """End the renderer and remove its socket."""
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def start(script=None):
    """Start a renderer from this process (it ends when this process does); a Renderer.

    The listening socket is made here, before the program starts, so a client can connect at once:
    the renderer answers after importing WeasyPrint (about a second). The socket is in a folder only
    this user can open (mkdtemp: 0700): its documents may read any file this user can."""
    directory = tempfile.mkdtemp(prefix="binari-pdf-")
    address = os.path.join(directory, "renderer.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(address)
        listener.listen(128)
        command = [sys.executable, "-I", str(script or SCRIPT), "--listen-fd", str(listener.fileno())]
        command += ["--parent", str(os.getpid())]
        process = subprocess.Popen(command, pass_fds=(listener.fileno(),), stdin=subprocess.DEVNULL)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    finally:
        listener.close()
    return Renderer(process, directory, address)


def wanted(environ=os.environ):
    """Whether PDFs are drawn in a renderer (PDF_RENDER_IN_CHILD, on unless set to something else
    than 1, true, yes or on): read the same way as portal/config.py, for gunicorn's master."""
    value = environ.get("PDF_RENDER_IN_CHILD")
    return value is None or value.strip().lower() in {"1", "true", "yes", "on"}


# --- the renderer program -------------------------------------------------------------------------


def serve(listener, parent):
    """Draw each document asked for on `listener` in a child of its own, until process `parent` is gone."""
    # Children are reaped by the kernel; SIGINT (Ctrl-C in a terminal) is for the parent, which ends
    # this process when it ends itself.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    share_fonts()
    warm_up()
    listener.setblocking(False)
    while os.getppid() == parent:
        ready, _, _ = select.select([listener], [], [], 1.0)
        if not ready:
            continue
        try:
            connection, _ = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            continue
        try:
            _fork_for(connection, listener)
        finally:
            connection.close()
    # The parent ended without stopping us (killed, or it never called Renderer.stop): remove the
    # socket and its folder, which nobody else will.
    address = listener.getsockname()
    shutil.rmtree(os.path.dirname(address), ignore_errors=True)


def _fork_for(connection, listener):
    """Fork the child that draws the document asked for on `connection`."""
    if not _same_user(connection):
        return
    try:
        stylesheet(DEFAULT_STYLESHEET)  # parsed again here after a release changed it, not in each child
    except Exception:  # the child reports it
        pass
    try:
        pid = os.fork()
    except OSError:  # no memory for a child: the client sees the connection end before a pid
        traceback.print_exc()
        return
    if pid == 0:
        listener.close()
        _draw_one(connection)  # never returns


def _same_user(connection):
    """The peer is a process of this user (the socket's folder already ensures it; this says so twice)."""
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid == os.getuid()


def _draw_one(connection):
    """The child: read one request, draw it, answer, and end at once with os._exit."""
    status = 1
    try:
        for name in ("SIGCHLD", "SIGINT", "SIGTERM"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        connection.setblocking(True)
        connection.settimeout(_REQUEST_TIMEOUT)
        connection.sendall(_PID.pack(os.getpid()))
        head = _exactly(connection, _LENGTH.size)
        body = _exactly(connection, _LENGTH.unpack(head)[0]) if head is not None else None
        if body is None:  # the client gave up before sending it all: nothing to draw for anyone
            os._exit(1)
        name, _, html = body.partition(b"\n")
        # No cyclic garbage collection in a child: it ends after one document and the system takes its
        # memory back whole. The collector's passes over the layout's boxes cost a monthly programme
        # 7-10 % (1,391-1,473 ms against 1,289-1,295, a 50-page document 10 %), while the child's peak
        # stayed within 2 MB of what it was with them (80 against 79 MB; 169 against 167).
        gc.disable()
        try:
            answer = DONE + draw(html.decode("utf-8"), stylesheet(name.decode("utf-8", "replace")))
            status = 0
        except BaseException:
            answer = FAILED + traceback.format_exc().encode("utf-8", "replace")
        connection.sendall(answer)
    except BaseException:
        pass  # the client is gone or timed out: nobody to tell
    finally:
        os._exit(status)


def _exactly(connection, size):
    """`size` bytes from the connection, or None if it ends first."""
    chunks, received = [], 0
    while received < size:
        chunk = connection.recv(min(1 << 20, size - received))
        if not chunk:
            return None
        chunks.append(chunk)
        received += len(chunk)
    return b"".join(chunks)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Binari's PDF renderer (started by the portal).")
    parser.add_argument("--listen-fd", type=int, required=True, help="a listening Unix socket, inherited")
    parser.add_argument("--parent", type=int, required=True, help="end when this process is gone")
    arguments = parser.parse_args(argv)
    listener = socket.socket(fileno=arguments.listen_fd)
    serve(listener, arguments.parent)


if __name__ == "__main__":
    main()
