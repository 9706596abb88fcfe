"""Account forms. Messages are lazy so they follow the reader's language."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from .fields import PhoneField
from .i18n import LANGUAGE_NAMES
from .text import strip

PASSWORD_MIN = 8


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


class RegisterForm(ContactFieldsMixin, FlaskForm):
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


class AssistedSignupForm(ContactFieldsMixin, FlaskForm):
    """Sign-up at the desk: the staff member types, the resident gets a temporary password."""

    name = RegisterForm.name
    email = RegisterForm.email
    phone = RegisterForm.phone

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.check_contact_given() and ok


class LoginForm(FlaskForm):
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


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        filters=[strip],
        validators=[
            DataRequired(_l("Scrivi il tuo indirizzo e-mail.")),
            Email(message=_l("Questo indirizzo e-mail non sembra valido."), check_deliverability=False),
            Length(max=254),
        ],
    )


class NewPasswordForm(FlaskForm):
    password = RegisterForm.password
    password_confirm = RegisterForm.password_confirm


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Password attuale"), validators=[DataRequired(_l("Scrivi la password attuale."))]
    )
    password = PasswordField(
        _l("Nuova password"),
        validators=[
            DataRequired(_l("Scegli una password.")),
            Length(min=PASSWORD_MIN, max=128, message=_l("La password deve avere da %(min)d a %(max)d caratteri.")),
        ],
    )
    password_confirm = PasswordField(
        _l("Ripeti la nuova password"),
        validators=[
            DataRequired(_l("Ripeti la password.")),
            EqualTo("password", message=_l("Le due password non coincidono.")),
        ],
    )


class DetailsForm(ContactFieldsMixin, FlaskForm):
    name = RegisterForm.name
    email = RegisterForm.email
    phone = RegisterForm.phone

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        return self.check_contact_given() and ok


class LanguageForm(FlaskForm):
    lang = RadioField(
        _l("Lingua"),
        choices=list(LANGUAGE_NAMES.items()),  # each language written in itself
        validators=[DataRequired(_l("Scegli una lingua."))],
    )
    next = HiddenField()


class StaffRoleForm(FlaskForm):
    role = RadioField(
        _l("Ruolo"),
        choices=[("resident", _l("Residente")), ("staff", _l("Personale")), ("admin", _l("Amministrazione"))],
        validators=[DataRequired(_l("Scegli un ruolo."))],
    )
    sites = SelectMultipleField(_l("Centri"), coerce=int)


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Scrivi la password per confermare."))])
    confirm = BooleanField(
        _l("Ho capito: il mio account e i miei contatti saranno cancellati."),
        validators=[DataRequired(_l("Spunta la casella per confermare."))],
    )
