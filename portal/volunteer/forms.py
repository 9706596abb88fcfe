"""Volunteer forms. Messages are lazy so they follow the reader's language."""

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, ValidationError

from portal.clock import today_local
from portal.fields import PhoneField
from portal.formbase import Form
from portal.text import strip

from .choices import ACTIVITIES, AVAILABILITY, LANGUAGES, REPEAT, SKILLS

MAX_REPEAT_WEEKS = 53


def _max(n):
    return Length(max=n, message=_l("Al massimo %(max)d caratteri."))


class SignupForm(Form):
    """Sign up for a shift: guests give a name and a phone or an e-mail; accounts only the party size."""

    name = StringField(
        _l("Nome e cognome"), filters=[strip], validators=[DataRequired(_l("Scrivi il tuo nome.")), _max(120)]
    )
    email = EmailField(
        _l("E-mail"),
        filters=[strip],
        validators=[
            Optional(),
            _max(254),
            Email(message=_l("Questo indirizzo e-mail non sembra valido."), check_deliverability=False),
        ],
    )
    phone = PhoneField(_l("Cellulare"), validators=[Optional(), _max(30)])
    party = SelectField(_l("Quante persone siete?"), coerce=int, default=1)
    companions = StringField(
        _l("Nomi di chi viene con te (facoltativo)"), filters=[strip], validators=[Optional(), _max(200)]
    )
    waitlist = HiddenField(default="")

    def set_party_choices(self, max_party):
        self.party.choices = [(1, _l("Solo io"))] + [(n + 1, _l("Io + %(n)d", n=n)) for n in range(1, max_party + 1)]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if "email" in self._fields and not (self.email.data or self.phone.data):
            self.phone.errors.append(_l("Scrivi un numero di cellulare oppure un indirizzo e-mail."))
            ok = False
        return ok


class OpportunityForm(Form):
    site = SelectField(
        _l("Centro"),
        coerce=int,
        validators=[DataRequired(_l("Scegli il centro."))],
        render_kw={"required": False},  # a select with a chosen centre needs no "required" (HTML rule)
    )
    title = StringField(_l("Titolo"), filters=[strip], validators=[DataRequired(_l("Scrivi un titolo.")), _max(140)])
    activity = SelectField(_l("Attività"), choices=ACTIVITIES, default="other")
    description = TextAreaField(_l("Descrizione"), filters=[strip], validators=[Optional(), _max(4000)])
    requirements = TextAreaField(_l("Requisiti e cosa portare"), filters=[strip], validators=[Optional(), _max(1000)])
    skills = SelectMultipleField(_l("Competenze richieste"), choices=SKILLS, validate_choice=True)
    languages = SelectMultipleField(_l("Lingue utili"), choices=LANGUAGES, validate_choice=True)
    coordinator = SelectField(_l("Coordinatrice/coordinatore"), coerce=int)
    cancel_cutoff_hours = IntegerField(
        _l("Si può disdire fino a quante ore prima?"),
        default=12,
        validators=[Optional(), NumberRange(min=0, max=168, message=_l("Da %(min)s a %(max)s ore."))],
    )
    max_party = IntegerField(
        _l("Quanti accompagnatori può portare ciascuno?"),
        default=3,
        validators=[Optional(), NumberRange(min=0, max=10, message=_l("Da %(min)s a %(max)s persone."))],
    )
    is_active = BooleanField(_l("Visibile al pubblico"), default=True)


class ShiftForm(Form):
    day = DateField(_l("Data"), validators=[DataRequired(_l("Scegli una data valida."))])
    starts = TimeField(_l("Inizio"), validators=[DataRequired(_l("Scrivi l'ora di inizio (hh:mm)."))])
    ends = TimeField(_l("Fine"), validators=[DataRequired(_l("Scrivi l'ora di fine (hh:mm)."))])
    capacity = IntegerField(
        _l("Posti"),
        validators=[
            DataRequired(_l("Scrivi quanti posti ci sono.")),
            NumberRange(min=1, max=500, message=_l("Da %(min)s a %(max)s posti.")),
        ],
    )
    location = StringField(_l("Luogo di ritrovo (facoltativo)"), filters=[strip], validators=[Optional(), _max(140)])
    note = StringField(_l("Nota (facoltativa)"), filters=[strip], validators=[Optional(), _max(300)])

    def validate_ends(self, field):
        if self.starts.data and field.data and field.data <= self.starts.data:
            raise ValidationError(_l("Il turno deve finire dopo l'inizio."))


class NewShiftForm(ShiftForm):
    repeat = SelectField(_l("Ripetizione"), choices=REPEAT, default="")
    until = DateField(_l("Ripeti fino al"), validators=[Optional()])
    skip_closed = BooleanField(_l("Salta i giorni di chiusura del centro"), default=True)

    def validate_day(self, field):
        if field.data and field.data < today_local() - timedelta(days=1):
            raise ValidationError(_l("La data è già passata."))

    def validate(self, extra_validators=None):
        # Checked here, not in validate_until: Optional() stops the chain when "until" is empty.
        ok = super().validate(extra_validators)
        until, first = self.until.data, self.day.data
        if self.repeat.data and not self.until.errors:
            message = None
            if not until:
                message = _l("Scegli fino a quando si ripete.")
            elif first and until < first:
                message = _l("La data di fine ripetizione viene prima della prima data.")
            elif first and until > first + timedelta(weeks=MAX_REPEAT_WEEKS):
                message = _l("Al massimo un anno di turni alla volta.")
            if message:
                self.until.errors = list(self.until.errors) + [message]
                ok = False
        return ok


class EditShiftForm(ShiftForm):
    message = TextAreaField(
        _l("Messaggio per chi è iscritto (facoltativo)"), filters=[strip], validators=[Optional(), _max(1000)]
    )
    whole_series = BooleanField(
        _l("Applica orari, posti, luogo e nota anche ai turni successivi di questa serie"), default=False
    )


class CancelShiftForm(Form):
    # Shown on the same page as ShiftForm: its own ids, so each label points at its own control.
    message = TextAreaField(
        _l("Motivo (lo riceve chi è iscritto)"),
        filters=[strip],
        validators=[Optional(), _max(1000)],
        id="cancel-message",
    )
    whole_series = BooleanField(
        _l("Annulla anche i turni successivi di questa serie"), default=False, id="cancel-whole_series"
    )


class MessageForm(Form):
    subject = StringField(
        _l("Oggetto"), filters=[strip], validators=[DataRequired(_l("Scrivi un oggetto.")), _max(150)]
    )
    body = TextAreaField(
        _l("Messaggio"), filters=[strip], validators=[DataRequired(_l("Scrivi il messaggio.")), _max(3000)]
    )
    include_waitlist = BooleanField(_l("Anche a chi è in lista d'attesa"), default=False)


class WalkInForm(Form):
    name = StringField(
        _l("Nome e cognome"), filters=[strip], validators=[DataRequired(_l("Scrivi il nome.")), _max(120)]
    )
    phone = PhoneField(_l("Cellulare (facoltativo)"), validators=[Optional(), _max(30)])
    party = IntegerField(
        _l("Persone"),
        default=1,
        validators=[
            DataRequired(_l("Scrivi quante persone.")),
            NumberRange(min=1, max=20, message=_l("Da %(min)s a %(max)s persone.")),
        ],
    )
    arrived = BooleanField(_l("È già qui (segna la presenza)"), default=True)


class ProfileForm(Form):
    skills = SelectMultipleField(_l("Competenze"), choices=SKILLS)
    languages = SelectMultipleField(_l("Lingue che parli"), choices=LANGUAGES)
    availability = SelectMultipleField(_l("Quando sei disponibile"), choices=AVAILABILITY)
    site = SelectField(_l("Centro preferito"), coerce=int)
    notes = StringField(
        _l("Altro che vuoi farci sapere (facoltativo)"), filters=[strip], validators=[Optional(), _max(300)]
    )
    in_directory = BooleanField(_l("I coordinatori possono trovarmi per competenze e lingue"), default=True)


class OpportunityTextForm(Form):
    """The opportunity's title and description in another interface language (choices set by the view)."""

    # A chosen language is always selected: no "required" on the select (an HTML rule without an empty option).
    language = SelectField(
        _l("Lingua"), validators=[DataRequired(_l("Scegli una lingua."))], render_kw={"required": False}
    )
    title = StringField(_l("Titolo"), filters=[strip], validators=[DataRequired(_l("Scrivi il titolo.")), _max(140)])
    description = TextAreaField(
        _l("Descrizione (facoltativa: senza, resta quella in italiano)"), filters=[strip], validators=[_max(5000)]
    )
