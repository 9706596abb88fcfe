"""Account forms. Messages are lazy so they follow the reader's language."""

import re

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from .fields import PhoneField
from .formbase import Form
from .i18n import LANGUAGE_NAMES
from .text import strip

PASSWORD_MIN = 8


class NotCommonPassword:
    """Refuse passwords that are among the most used or guessed at once (zxcvbn: its lists of
    common passwords, words, names, keyboard patterns and dates; score below 2, i.e. fewer than
    a million guesses). The person's own name and e-mail count as guessable too."""

    def __init__(self, min_score=2):
        self.min_score = min_score

    def __call__(self, form, field):
        from zxcvbn import zxcvbn  # lazy: loads its frequency lists on first use

        password = field.data or ""
        if not password:
            return
        hints = " ".join(str(getattr(form, name).data or "") for name in ("name", "email") if hasattr(form, name))
        words = [word for word in re.split(r"\W+", hints.lower()) if len(word) > 2]
        if zxcvbn(password[:64], user_inputs=words)["score"] < self.min_score:
            raise ValidationError(
                _l("Questa password è troppo comune o facile da indovinare. Scegline un'altra, per esempio tre parole.")
            )


class ContactFieldsMixin:
    """E-mail or mobile number: at least one, each checked and normalised."""

    @property
    def phone_e164(self):
        """The mobile number in E.164, or None when left empty."""
        return self.phone.e164

    def check_contact_given(self):
        if not (self.email.data or self.phone.data):
            self.email.errors.append(_l("Scrivi un indirizzo e-mail oppure un numero di cellulare."))
            return False
        return True


class RegisterForm(ContactFieldsMixin, Form):
    name = StringField(
        _l("Nome e cognome"),
        filters=[strip],
        validators=[
            DataRequired(_l("Scrivi il tuo nome.")),
            Length(max=120, message=_l("Al massimo %(max)d caratteri.")),
        ],
    )
    email = EmailField(
        _l("E-mail"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=254, message=_l("Al massimo %(max)d caratteri.")),
            Email(message=_l("Questo indirizzo e-mail non sembra valido."), check_deliverability=False),
        ],
    )
    phone = PhoneField(
        _l("Cellulare"),
        validators=[Optional(), Length(max=30, message=_l("Al massimo %(max)d caratteri."))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Scegli una password.")),
            Length(min=PASSWORD_MIN, max=128, message=_l("La password deve avere da %(min)d a %(max)d caratteri.")),
            NotCommonPassword(),
        ],
    )
    password_confirm = PasswordField(
        _l("Ripeti la password"),
        validators=[
            DataRequired(_l("Ripeti la password.")),
            EqualTo("password", message=_l("Le due password non coincidono.")),
        ],
    )

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.check_contact_given() and ok


class AssistedSignupForm(ContactFieldsMixin, Form):
    """Sign-up at the desk: the staff member types, the resident gets a temporary password."""

    name = RegisterForm.name
    email = RegisterForm.email
    phone = RegisterForm.phone

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.check_contact_given() and ok


class LoginForm(Form):
    identifier = StringField(
        _l("E-mail, cellulare o codice tessera"),
        filters=[strip],
        validators=[
            DataRequired(_l("Scrivi la tua e-mail, il tuo cellulare o il codice della tessera.")),
            Length(max=254, message=_l("Al massimo %(max)d caratteri.")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Scrivi la password.")), Length(max=128)])
    remember = BooleanField(_l("Ricordami su questo dispositivo"))
    next = HiddenField()


class ForgotPasswordForm(Form):
    email = EmailField(
        _l("E-mail"),
        filters=[strip],
        validators=[
            DataRequired(_l("Scrivi il tuo indirizzo e-mail.")),
            Email(message=_l("Questo indirizzo e-mail non sembra valido."), check_deliverability=False),
            Length(max=254),
        ],
    )


class NewPasswordForm(Form):
    password = RegisterForm.password
    password_confirm = RegisterForm.password_confirm


class ChangePasswordForm(Form):
    current_password = PasswordField(
        _l("Password attuale"), validators=[DataRequired(_l("Scrivi la password attuale."))]
    )
    password = PasswordField(
        _l("Nuova password"),
        validators=[
            DataRequired(_l("Scegli una password.")),
            Length(min=PASSWORD_MIN, max=128, message=_l("La password deve avere da %(min)d a %(max)d caratteri.")),
            NotCommonPassword(),
        ],
    )
    password_confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[
            DataRequired(_l("Ripeti la password.")),
            EqualTo("password", message=_l("Le due password non coincidono.")),
        ],
    )


class DetailsForm(ContactFieldsMixin, Form):
    name = RegisterForm.name
    email = RegisterForm.email
    phone = RegisterForm.phone
    # Asked only when the e-mail address changes (the view checks it). Its own id: the password form
    # on the same page has a `current_password` too, and each label must point at its own field.
    current_password = PasswordField(
        _l("Password attuale"), validators=[Optional(), Length(max=128)], id="details-current_password"
    )

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.check_contact_given() and ok


class ConfirmForm(Form):
    """A button and its CSRF token (confirming a sign-up, sending a reset link)."""


class LanguageForm(Form):
    lang = RadioField(
        _l("Lingua"),
        choices=list(LANGUAGE_NAMES.items()),  # each language written in itself
        validators=[DataRequired(_l("Scegli una lingua."))],
    )
    next = HiddenField()


class AuditFilterForm(Form):
    """Filters of the audit log page (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    start = DateField(_l("Dal"), validators=[Optional()])
    end = DateField(_l("Al"), validators=[Optional()])
    person = StringField(
        _l("Persona (nome o codice tessera)"), filters=[strip], validators=[Optional(), Length(max=120)]
    )
    action = SelectField(_l("Azione"), validators=[Optional()])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for field in (self.start, self.end):
            if field.data and not 2000 <= field.data.year <= 2200:
                field.errors.append(_l("Scegli una data tra il 2000 e il 2200."))
                ok = False
        return ok


class StaffRoleForm(Form):
    role = RadioField(
        _l("Ruolo"),
        choices=[("resident", _l("Residente")), ("staff", _l("Personale")), ("admin", _l("Amministrazione"))],
        validators=[DataRequired(_l("Scegli un ruolo."))],
    )
    sites = SelectMultipleField(_l("Centri"), coerce=int)


class DeleteAccountForm(Form):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Scrivi la password per confermare."))])
    confirm = BooleanField(
        _l("Ho capito: il mio account e i miei contatti saranno cancellati."),
        validators=[DataRequired(_l("Spunta la casella per confermare."))],
    )


TEXT_MAX = _l("Al massimo %(max)d caratteri.")


class SiteTextsForm(Form):
    """A centre's summary and directions, and its services', in another interface language. An
    empty field keeps the Italian; the service fields are added by `site_texts_form`."""

    language = HiddenField()
    summary = TextAreaField(
        _l("Presentazione del centro"), filters=[strip], validators=[Length(max=2000, message=TEXT_MAX)]
    )
    how_to_get_there = TextAreaField(
        _l("Come arrivare"), filters=[strip], validators=[Length(max=2000, message=TEXT_MAX)]
    )


def site_texts_form(services):
    """The form class for a centre with these services: name, description and schedule of each."""

    class Bound(SiteTextsForm):
        pass

    for service in services:
        setattr(
            Bound,
            f"s{service.id}_name",
            StringField(_l("Nome"), filters=[strip], validators=[Length(max=120, message=TEXT_MAX)]),
        )
        setattr(
            Bound,
            f"s{service.id}_description",
            TextAreaField(_l("Descrizione"), filters=[strip], validators=[Length(max=2000, message=TEXT_MAX)]),
        )
        setattr(
            Bound,
            f"s{service.id}_schedule",
            StringField(_l("Orari"), filters=[strip], validators=[Length(max=200, message=TEXT_MAX)]),
        )
    return Bound
