"""Absolute links: always from the configured BASE_URL, never from the request.

A link that leaves the page (mail, PDF, QR code, ICS, Atom, embed, sitemap) is built with
`external_url(endpoint, **values)`. The request's Host header is never read for it, so a forged
Host can neither poison a mailed link nor a cached document.
"""

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request


def base_url() -> str:
    """The configured public address, without a trailing slash."""
    return str(current_app.config["BASE_URL"]).rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The absolute address of `endpoint` under BASE_URL (same arguments as `url_for`)."""
    app = current_app
    if endpoint.startswith("."):
        blueprint = request.blueprint if has_request_context() else None
        endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
    anchor = values.pop("_anchor", None)
    values.pop("_external", None)
    values.pop("_scheme", None)
    app.inject_url_defaults(endpoint, values)
    parts = urlsplit(base_url())
    adapter = app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    url = adapter.build(endpoint, values, force_external=True)
    return f"{url}#{anchor}" if anchor else url


def absolute(path: str) -> str:
    """BASE_URL joined with a path that starts with '/' (e.g. a static file or an already built path)."""
    return base_url() + path
