"""Form fields every area uses the same way."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import TelField

from .text import strip
from .validation import normalise_phone


class PhoneField(TelField):
    """A mobile number typed any way ("333 123 4567", "+39…"); `e164` gives it normalised.

    An empty field is fine (add ``DataRequired`` to require it); a number that is
    not valid gets a message in the reader's language.
    """

    def __init__(self, label: Any = None, validators: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("filters", [strip])
        render_kw = {"autocomplete": "tel", "inputmode": "tel"}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(label if label is not None else _l("Cellulare"), validators, render_kw=render_kw, **kwargs)

    @property
    def e164(self) -> str | None:
        """The number in E.164 (+393331234567), or None when empty or not valid."""
        return normalise_phone(self.data) if self.data else None

    def post_validate(self, form: Any, validation_stopped: bool) -> None:
        if self.data and not self.e164:
            self.errors.append(_l("Questo numero di cellulare non sembra valido."))
