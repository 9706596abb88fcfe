"""The one base form: every form of every area cleans its text the same way.

Every single-line text field (StringField and its kinds: e-mail, phone, search,
hidden…) loses line breaks and control characters (`portal.text.single_line`);
every multi-line field (TextAreaField) keeps newlines and tabs but loses the
other control characters (`portal.text.without_controls`). Passwords are left
exactly as typed. The filters run after the field's own ones (e.g. `strip`), so
a title sent as "Corso\\r\\nBcc: x" is stored as "Corso Bcc: x" and can never
break an e-mail header, an .ics line or the Atom feed.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField

from .text import single_line, without_controls


def one_line(value: object) -> object:
    """Filter: a single line of text without control characters (non-text left alone)."""
    return single_line(value) if isinstance(value, str) else value


def multi_line(value: object) -> object:
    """Filter: text without control characters other than newline, CR and tab."""
    return without_controls(value) if isinstance(value, str) else value


def text_filter_for(field_class: type) -> object | None:
    """The cleaning filter a field class gets, or None."""
    if issubclass(field_class, TextAreaField):
        return multi_line
    if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
        return one_line
    return None


class Form(FlaskForm):
    """FlaskForm whose text fields never carry control characters (see the module doc)."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            extra = text_filter_for(unbound_field.field_class)
            if extra is not None:
                filters = tuple(unbound_field.kwargs.get("filters") or ()) + (extra,)
                return unbound_field.bind(form=form, filters=filters, **options)
            return unbound_field.bind(form=form, **options)
