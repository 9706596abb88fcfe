"""The one guest contact form: a name and one way to reach someone who has no account.

Events' guest registration and the help desks' guest booking ask the same three things with the
same fields, messages and rule ("an e-mail or a mobile number"). `GuestContactForm` is that form;
a form whose fields must keep other names (the desks' `guest_name`, `guest_email`, `guest_phone`,
beside the booking's own fields) subclasses `ContactRule` and builds them with the same factories.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from .fields import PhoneField
from .formbase import Form
from .text import strip

MAX = _l("Al massimo %(max)d caratteri.")


def name_field() -> Any:
    return StringField(
        _l("Nome e cognome"),
        filters=[strip],
        validators=[DataRequired(_l("Scrivi il tuo nome.")), Length(max=120, message=MAX)],
    )


def email_field() -> Any:
    return EmailField(
        _l("E-mail"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=254, message=MAX),
            Email(message=_l("Questo indirizzo e-mail non sembra valido."), check_deliverability=False),
        ],
    )


def phone_field() -> Any:
    return PhoneField(_l("Cellulare"), validators=[Optional(), Length(max=30, message=MAX)])


class ContactRule(Form):
    """An e-mail address or a mobile number, at least one: the message goes under the first of
    `contact_fields` (the one the form shows first) and is said beside any other mistake, so the
    person fixes everything at once."""

    contact_fields: tuple[str, str] = ("email", "phone")

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        first, second = (self[name] for name in self.contact_fields)
        if not (first.data or second.data):
            if self.contact_fields[0].endswith("phone"):
                first.errors.append(_l("Scrivi un numero di cellulare oppure un indirizzo e-mail."))
            else:
                first.errors.append(_l("Scrivi un indirizzo e-mail oppure un numero di cellulare."))
            return False
        return ok


class GuestContactForm(ContactRule):
    """A name and one way to reach the person."""

    name = name_field()
    email = email_field()
    phone = phone_field()
