"""Small text helpers shared by forms, feeds and mail."""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 control characters other than tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029\x0b\x0c\x85]+")


def strip(value: object) -> object:
    """Form filter: trim text; a field missing from the form is "", never None."""
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else value


def single_line(value: str | None) -> str:
    """One line of text: line breaks become spaces, control characters go."""
    value = _LINE_BREAKS.sub(" ", value or "")
    return _CONTROL.sub("", value).strip()


def without_controls(value: str | None) -> str:
    """Multi-line text without control characters (keeps newlines and tabs)."""
    return _CONTROL.sub("", value or "")


def slugify(text: str | None, fallback: str = "voce", length: int = 60) -> str:
    """An ASCII slug for addresses and file names ("Cineforum: Io capitano" → "cineforum-io-capitano")."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:length] or fallback


def fold(text: str | None) -> str:
    """Lower case without accents ("Caffè" -> "caffe"): what searches compare."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.casefold()).strip()


# The accented letters of the neighbourhoods' Latin-script languages (Italian, Spanish, French,
# Portuguese, Romanian, Albanian) for PostgreSQL's TRANSLATE (built in, unlike unaccent). SQLite calls
# `fold` itself (registered as binari_fold in portal.db).
# Upper-case ones too: under the C locale PostgreSQL's LOWER() leaves them as they are.
_ACCENTED = "àáâäãåăèéêëìíîïòóôöõùúûüñçșşțţ" + "ÀÁÂÄÃÅĂÈÉÊËÌÍÎÏÒÓÔÖÕÙÚÛÜÑÇȘŞȚŢ"
_PLAIN = "aaaaaaaeeeeiiiiooooouuuuncsstt" * 2


def sql_fold(column):
    """A peewee expression: the column lower-cased and without accents, on SQLite and PostgreSQL."""
    from peewee import fn

    from .db import is_sqlite

    if is_sqlite():
        return fn.binari_fold(column)
    return fn.TRANSLATE(fn.LOWER(column), _ACCENTED, _PLAIN)
