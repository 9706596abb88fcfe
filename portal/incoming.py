"""The request class: htmx-aware, and without NUL characters in what people send.

A NUL byte is never meaningful in a form field or a query string, SQLite stores
it silently and PostgreSQL refuses it with an error; dropping it on the way in
keeps every form and search on both databases.
"""

from htmx_flask import HtmxAwareRequest
from werkzeug.datastructures import ImmutableMultiDict, MultiDict


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


class PortalRequest(HtmxAwareRequest):
    parameter_storage_class = CleanMultiDict
