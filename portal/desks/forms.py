"""Forms of the help-desk area. Messages are lazy so they follow the reader's language."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.formbase import Form
from portal.guestform import ContactRule, email_field, name_field, phone_field
from portal.text import strip

from .models import LANGUAGES, MODES, TOPICS

MAX = _l("Al massimo %(max)d caratteri.")
WEEKDAYS = [
    (0, _l("Lunedì")),
    (1, _l("Martedì")),
    (2, _l("Mercoledì")),
    (3, _l("Giovedì")),
    (4, _l("Venerdì")),
    (5, _l("Sabato")),
    (6, _l("Domenica")),
]


class NumberField(IntegerField):
    """A whole number with one clear message when it is not one."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(_l("Scrivi un numero intero, per esempio 30.")) from None
        else:
            self.data = None


def minutes_between(low, high):
    def check(form, field):
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(_l("Da %(low)d a %(high)d minuti.", low=low, high=high))

    return check


class BookForm(Form):
    """Book a slot: members in one tap; guests add a name and a phone or e-mail."""

    slot = NumberField(_l("Orario"), validators=[InputRequired(_l("Scegli un orario."))])
    subject = TextAreaField(
        _l("Di cosa si tratta? (facoltativo, lo legge solo lo sportello)"),
        filters=[strip],
        validators=[Optional(), Length(max=500, message=MAX)],
    )


class GuestBookForm(BookForm, ContactRule):
    """Without an account: a name and one way to reach the person (the fields and rule of events'
    guests, portal.guestform; the phone comes first at a desk)."""

    contact_fields = ("guest_phone", "guest_email")
    guest_name = name_field()
    guest_email = email_field()
    guest_phone = phone_field()


class StaffBookForm(GuestBookForm):
    """Staff book for someone on the phone or at the counter: a member by card or contact, or a guest."""

    member = StringField(
        _l("Tessera, e-mail o cellulare di chi ha l'account (facoltativo)"),
        filters=[strip],
        validators=[Optional(), Length(max=254, message=MAX)],
    )
    guest_name = StringField(
        _l("Nome e cognome"), filters=[strip], validators=[Optional(), Length(max=120, message=MAX)]
    )

    def validate(self, extra_validators=None):
        ok = Form.validate(self, extra_validators)
        if ok and not self.member.data and not self.guest_name.data:
            self.guest_name.errors.append(_l("Scrivi il nome, oppure la tessera di chi ha l'account."))
            return False
        if ok and not self.member.data and not (self.guest_email.data or self.guest_phone.data):
            self.guest_phone.errors.append(_l("Scrivi un numero di cellulare oppure un indirizzo e-mail."))
            return False
        return ok


class WaitForm(Form):
    day = DateField(_l("Giorno"), validators=[InputRequired(_l("Scegli un giorno."))])


class NoteForm(Form):
    note = TextAreaField(
        _l("Nota privata dello sportello"), filters=[strip], validators=[Optional(), Length(max=4000, message=MAX)]
    )


class MoveForm(Form):
    slot = SelectField(_l("Nuovo orario"), coerce=int, validate_choice=True)


class MarkForm(Form):
    status = SelectField(
        _l("Stato"),
        choices=[("arrived", _l("Arrivata/o")), ("no_show", _l("Non venuta/o")), ("booked", _l("Da segnare"))],
    )


class ScheduleForm(Form):
    weekday = SelectField(_l("Giorno della settimana"), coerce=int, choices=WEEKDAYS)
    starts = TimeField(_l("Dalle"), validators=[InputRequired(_l("Scrivi l'ora di inizio."))])
    ends = TimeField(_l("Alle"), validators=[InputRequired(_l("Scrivi l'ora di fine."))])
    operator = SelectField(_l("Chi lo tiene (facoltativo)"), coerce=int, default=0)
    slot_minutes = NumberField(
        _l("Durata di ogni appuntamento (minuti)"),
        default=30,
        validators=[InputRequired(_l("Scrivi la durata.")), minutes_between(5, 240)],
    )


class DayForm(Form):
    day = DateField(_l("Giorno"), validators=[InputRequired(_l("Scegli un giorno."))])
    kind = SelectField(_l("Cosa"), choices=[("blocked", _l("Giorno bloccato")), ("extra", _l("Sessione in più"))])
    # On the same page as ScheduleForm: ids of its own, so each label points at its own field.
    starts = TimeField(_l("Dalle (solo sessione in più)"), validators=[Optional()], id="day-starts")
    ends = TimeField(_l("Alle (solo sessione in più)"), validators=[Optional()], id="day-ends")
    slot_minutes = NumberField(
        _l("Durata (minuti)"), default=30, validators=[Optional(), minutes_between(5, 240)], id="day-slot_minutes"
    )
    reason = StringField(
        _l("Motivo (facoltativo)"), filters=[strip], validators=[Optional(), Length(max=120, message=MAX)]
    )


def in_range(low, high):
    def check(form, field):
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(_l("Da %(low)d a %(high)d.", low=low, high=high))

    return check


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DeskForm(Form):
    """A desk's page and rules, and who runs it."""

    site = SelectField(_l("Centro"), coerce=int)
    name = StringField(
        _l("Nome"), filters=[strip], validators=[DataRequired(_l("Scrivi il nome.")), Length(max=120, message=MAX)]
    )
    partner = SelectField(_l("Chi lo gestisce"), coerce=int)
    topics = MultiCheckboxField(_l("Argomenti"), choices=[(k, v) for k, v in TOPICS.items()])
    languages = MultiCheckboxField(_l("Lingue"), choices=[(k, v) for k, v in LANGUAGES.items()])
    helps_with = TextAreaField(
        _l("Con che cosa aiuta, in parole semplici"),
        filters=[strip],
        validators=[DataRequired(_l("Scrivi con che cosa aiuta.")), Length(max=1000, message=MAX)],
    )
    what_to_bring = TextAreaField(
        _l("Cosa portare"), filters=[strip], validators=[Optional(), Length(max=1000, message=MAX)]
    )
    mode = SelectField(_l("Come si accede"), choices=[(k, v) for k, v in MODES.items()])
    drop_in_hours = StringField(
        _l("Orari di accesso libero (solo se senza appuntamento)"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=MAX)],
    )
    cancel_cutoff_hours = NumberField(
        _l("Si annulla online fino a quante ore prima"),
        default=24,
        validators=[InputRequired(_l("Scrivi un numero.")), in_range(0, 168)],
    )
    max_open_per_person = NumberField(
        _l("Appuntamenti aperti per persona"),
        default=2,
        validators=[InputRequired(_l("Scrivi un numero.")), in_range(1, 10)],
    )
    advance_days = NumberField(
        _l("Giorni prenotabili in anticipo"),
        default=28,
        validators=[InputRequired(_l("Scrivi un numero.")), in_range(1, 120)],
    )
    operators = MultiCheckboxField(_l("Chi lo gestisce e legge le note"), coerce=int)
    active = BooleanField(_l("Visibile ai residenti"), default=True)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.mode.data == "drop_in" and not self.drop_in_hours.data:
            self.drop_in_hours.errors = [*self.drop_in_hours.errors, _l("Scrivi gli orari di accesso libero.")]
            return False
        return ok
