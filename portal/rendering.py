"""One helper renders a whole page, or just one block of it for htmx."""

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment():
    """True for an htmx request that targets part of a page.

    Boosted navigation and history restores need the whole page.
    """
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(template, block=None, status=200, **context):
    """Render `template`; for an htmx request render only `block`.

    Always adds ``Vary: HX-Request`` so caches keep the two answers apart.
    """
    if block and wants_fragment():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response
