"""The request class: htmx-aware, and without NUL characters in what people send.

A NUL byte is never meaningful in a form field or a query string, SQLite stores
it silently and PostgreSQL refuses it with an error; dropping it on the way in
keeps every form and search on both databases.
"""

from functools import lru_cache

from htmx_flask import HtmxAwareRequest
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.http import parse_cookie
from werkzeug.utils import cached_property

# A visitor sends the same Cookie header on every request until a cookie changes; parsing it cost
# about 8 µs (3 % of an event page served from the page cache, py-spy on 3 December). The parsed
# cookies of the recent headers are kept: immutable, so requests can share them. A longer header
# (never one of ours: a session, a language, a text size) is parsed every time, not kept.
MAX_REMEMBERED_COOKIE_HEADER = 1000


def _clean(value):
    return value.replace("\x00", "") if isinstance(value, str) else value


class CleanMultiDict(ImmutableMultiDict):
    """Form and query parameters with NUL characters removed from keys and values."""

    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
            return
        if isinstance(mapping, MultiDict):
            items = mapping.items(multi=True)
        elif isinstance(mapping, dict):
            items = mapping.items()
        else:
            items = mapping
        super().__init__([(_clean(key), _clean(value)) for key, value in items])


@lru_cache(maxsize=1024)
def _remembered_cookies(header, storage_class):
    return parse_cookie(header, cls=storage_class)


class PortalRequest(HtmxAwareRequest):
    parameter_storage_class = CleanMultiDict

    @cached_property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The request's cookies, as werkzeug parses them, parsed once per header text and worker."""
        # WSGI gives a request's Cookie headers as one value, as werkzeug's own `cookies` reads them.
        header = ";".join(self.headers.getlist("Cookie"))
        if len(header) > MAX_REMEMBERED_COOKIE_HEADER:
            return parse_cookie(header, cls=self.dict_storage_class)  # type: ignore[return-value]  # as werkzeug's
        return _remembered_cookies(header, self.dict_storage_class)
