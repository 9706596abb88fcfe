"""PDF documents with WeasyPrint (imported lazily: it is heavy) and QR codes."""

import base64
import ctypes
import ctypes.util
import gc
import io
import re
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


def render_pdf(template, stylesheet="pdf.css", **context):
    """Render a template to PDF bytes with our print stylesheet."""
    from PIL import ImageFile
    from weasyprint import CSS, HTML  # lazy: importing WeasyPrint costs ~1 s and 40 MB
    from weasyprint.urls import URLFetcher

    # WeasyPrint's import turns on acceptance of truncated images for the whole process:
    # turn it off again, so an upload in this worker is never accepted half-decoded.
    ImageFile.LOAD_TRUNCATED_IMAGES = False

    html = render_template(template, **context)
    # Only local files (our static folder, uploaded images) and data: URIs: a PDF
    # never fetches over the network, and relative paths resolve in static/.
    fetcher = URLFetcher(allowed_protocols=("file", "data"), fail_on_errors=True)
    document = HTML(string=html, base_url=str(STATIC_DIR) + "/", url_fetcher=fetcher)
    try:
        # PDF/UA-1: tagged (structure tree, reading order, alt text), with the document language from <html lang>.
        return document.write_pdf(stylesheets=[CSS(filename=str(STATIC_DIR / stylesheet))], pdf_variant="pdf/ua-1")
    finally:
        del document
        give_memory_back()


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
