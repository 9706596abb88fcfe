"""PDF documents (drawn by WeasyPrint in the PDF renderer process, portal/pdfrenderer.py) and QR codes."""

import atexit
import base64
import io
import logging
import os
import re
import threading
from pathlib import Path
from typing import NamedTuple

import segno
from flask import current_app, make_response, render_template

from . import pdfrenderer
from .pdfrenderer import PDFRenderError, RendererUnavailable, give_memory_back

__all__ = [
    "PDFRenderError", "give_memory_back", "pdf_response", "print_logos", "process_lock", "qr_data_uri", "render_pdf",
]  # fmt: skip

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


def render_pdf(template, stylesheet=pdfrenderer.DEFAULT_STYLESHEET, **context):
    """Render a template to PDF bytes with a print stylesheet of portal/static.

    The HTML is rendered here (Jinja needs the app context). WeasyPrint draws it in the server's PDF
    renderer process (portal/pdfrenderer.py) when PDF_RENDER_IN_CHILD is on (the default): the web
    worker never imports WeasyPrint and stays small (issue 15: at most 120 MB a worker). Off, it draws
    in this process and hands the memory back after.
    """
    html = render_template(template, **context)
    config = current_app.config
    if not config.get("PDF_RENDER_IN_CHILD", True):
        return _draw_here(html, stylesheet)
    return _draw_in_renderer(html, stylesheet, float(config.get("PDF_RENDER_TIMEOUT", 60)))


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


def _draw_here(html, stylesheet):
    """Draw in this process (PDF_RENDER_IN_CHILD off), then hand what the render allocated back."""
    with process_lock("weasyprint"):  # importing and the stylesheet cache are not thread-safe
        sheet = pdfrenderer.stylesheet(stylesheet)
    try:
        return pdfrenderer.draw(html, sheet)
    finally:
        give_memory_back()


# The renderer this process started itself, when the server has none (tests, the development server,
# gunicorn without deploy/gunicorn.conf.py).
_OWN: dict = {}


def _draw_in_renderer(html, stylesheet, timeout):
    """Draw in the server's renderer; where there is none, or it has ended, in one of this process's own."""
    shared = os.environ.get(pdfrenderer.ADDRESS_VARIABLE)
    if shared:
        try:
            return pdfrenderer.render(shared, html, stylesheet, timeout)
        except RendererUnavailable as error:
            logging.getLogger(__name__).error("%s: this process starts a PDF renderer of its own", error)
    renderer = _own_renderer()
    try:
        return pdfrenderer.render(renderer.address, html, stylesheet, timeout)
    except RendererUnavailable:  # it ended since (killed, out of memory): once more with a new one
        return pdfrenderer.render(_own_renderer(replace=renderer).address, html, stylesheet, timeout)


def _own_renderer(replace=None):
    """This process's renderer, started on first use, and again when `replace` is the current one."""
    with process_lock("renderer"):
        renderer = _OWN.get("renderer")
        # A renderer of another process (this one was forked after it started) is not ours to use.
        if renderer is None or renderer is replace or renderer.owner != os.getpid() or not renderer.alive():
            if renderer is not None and renderer.owner == os.getpid():
                renderer.stop()
            renderer = _OWN["renderer"] = pdfrenderer.start(RENDERER_SCRIPT)
            atexit.register(renderer.stop)
        return renderer


# The program a renderer of this process runs (tests start a wrapper of it that draws differently).
RENDERER_SCRIPT = pdfrenderer.SCRIPT


def pdf_response(data, filename, inline=True):
    """A PDF answer with a download name."""
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    disposition = "inline" if inline else "attachment"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response
