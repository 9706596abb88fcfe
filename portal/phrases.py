"""Sentences kept untranslated: a msgid and its parameters, translated in the reader's language
when shown.

The phone list shows reasons written by a job or an area ("Promemoria: domani «%(title)s» …") to
staff who read Italian, English, Arabic…; a reason stored as finished Italian text would stay
Italian for everyone. `phrase(msgid, **params)` instead is a lazy string (str() translates it in the
current language, Jinja shows it) that can be stored as JSON (`dumps`) and read back (`loads`).
Parameters are plain text (already formatted: names, titles, dates as "17/11") or phrases themselves.
`phrase` is an extraction keyword (`portal.i18n_tools`), so its msgids land in the catalogues.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel.speaklater import LazyString
from markupsafe import escape


def _translate(msgid: str, params: Mapping[str, Any]) -> str:
    return gettext(msgid, **{k: str(v) for k, v in params.items()}) if params else gettext(msgid)


class Phrase(LazyString):
    """A msgid (Italian source) and its parameters; every use as text translates it."""

    def __init__(self, msgid: str, params: Mapping[str, Any]) -> None:
        super().__init__(_translate, msgid, params)
        self.msgid = msgid
        self.params = dict(params)

    def __html__(self) -> str:
        # LazyString passes its text to Jinja as safe markup; a phrase's parameters are people's
        # words (titles, names), so it is escaped like any other text.
        return str(escape(str(self)))

    def source(self) -> str:
        """The Italian text (the msgid filled in), without a catalogue: for columns kept as plain text."""
        values = {k: v.source() if isinstance(v, Phrase) else str(v) for k, v in self.params.items()}
        return self.msgid % values if values else self.msgid

    def data(self) -> dict[str, Any]:
        return {
            "m": self.msgid,
            "p": {k: v.data() if isinstance(v, Phrase) else str(v) for k, v in self.params.items()},
        }

    def dumps(self) -> str:
        return json.dumps(self.data(), ensure_ascii=False, separators=(",", ":"))


def phrase(msgid: str, **params: Any) -> Phrase:
    """A sentence translated when shown (see the module's note)."""
    return Phrase(msgid, params)


def _from_data(data: Any) -> Phrase | None:
    if not isinstance(data, dict) or not isinstance(data.get("m"), str) or not isinstance(data.get("p", {}), dict):
        return None
    params: dict[str, Any] = {}
    for key, value in data.get("p", {}).items():
        params[key] = _from_data(value) if isinstance(value, dict) else str(value)
        if params[key] is None:
            return None
    return Phrase(data["m"], params)


def loads(stored: str) -> Phrase | None:
    """A phrase stored with `dumps`, or None (empty, or not a phrase)."""
    if not stored:
        return None
    try:
        return _from_data(json.loads(stored))
    except ValueError:
        return None


def shown(stored_phrase: str, text: str) -> Phrase | str:
    """What to show for a row that has a stored phrase (translated when shown) and, for rows written
    before phrases, only its finished text (shown as it was written)."""
    return loads(stored_phrase) or text


def stored(reason: Any) -> tuple[str, str]:
    """(text, phrase JSON) to store for a reason: a phrase keeps both, any other text only itself."""
    if isinstance(reason, Phrase):
        return reason.source(), reason.dumps()
    return str(reason), ""
