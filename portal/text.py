"""Small text helpers shared by forms, feeds and mail."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping

# C0 and C1 control characters other than tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Characters XML 1.0 does not allow at all (not even escaped): C0 controls but tab/LF/CR, surrogates, U+FFFE/F.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
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


def xml_safe(text: str) -> str:
    """Text that an XML document can hold: the characters XML 1.0 forbids are dropped."""
    return _XML_INVALID.sub("", text)


_LINK = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_TOKEN = re.compile(r"\b(?=[A-Za-z0-9_.-]*\d)(?=[A-Za-z0-9_.-]*[A-Za-z])[A-Za-z0-9_.-]{24,}\b")


def mask_links(text: str | None) -> str:
    """Text with every web link and every long code (tokens) replaced by a placeholder.

    Staff read the outbox to answer "did my mail go out?"; a working link in a guest's
    mail (confirm, cancel, reset) would let them act as that person.
    """
    from flask_babel import gettext as _

    text = _LINK.sub(lambda _m: _("[link nascosto]"), text or "")
    return _TOKEN.sub(lambda _m: _("[codice nascosto]"), text)


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


def did_you_mean(q: str, known: Mapping[str, str], cutoff: float = 0.75) -> str | None:
    """The query with each unknown word replaced by the closest known word, or None when nothing
    changes ("did you mean"). `known` maps folded words (see `fold`) to how they are shown
    ("calvino" -> "Calvino"); words of one or two letters, and those inside a known word (typed
    while searching by prefix), are left alone. difflib: no dependency, fine for some thousand words."""
    typed = (q or "").split()
    if not typed or not known:
        return None
    fixed, changed = [], False
    for word in typed:
        folded = re.sub(r"\W+", "", fold(word))
        if len(folded) < 3 or folded in known or any(folded in k for k in known):
            fixed.append(word)
            continue
        near = [k for k in known if abs(len(k) - len(folded)) <= 2]  # difflib on the plausible ones only
        close = difflib.get_close_matches(folded, near, n=1, cutoff=cutoff)
        fixed.append(known[close[0]] if close else word)
        changed = changed or bool(close)
    return " ".join(fixed) if changed else None
