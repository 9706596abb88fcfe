"""Calendar forms: event (with recurrence), proposal, registration, cancellation."""

import re
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.clock import today_local
from portal.formbase import Form
from portal.guestform import GuestContactForm
from portal.recurrence import MAX_OCCURRENCES, parse_dates, parse_periods
from portal.text import strip

from .models import AUDIENCES, CATEGORIES, FREQUENCIES

MAX = _l("Al massimo %(max)d caratteri.")


class NumberField(IntegerField):
    """A whole number with one clear message when it is not one."""

    def process_formdata(self, valuelist):
        if valuelist and valuelist[0].strip():
            try:
                self.data = int(valuelist[0].strip())
            except ValueError:
                self.data = None
                raise ValueError(_l("Scrivi un numero intero, per esempio 20.")) from None
        else:
            self.data = None


def in_range(low, high, message):
    """Like NumberRange, but silent when the value could not be read (one message, not two)."""

    def check(form, field):
        if field.data is not None and not low <= field.data <= high:
            raise ValidationError(message)

    return check


class EventForm(Form):
    """Staff: create or edit an event (and, when creating, its recurrence)."""

    title = StringField(
        _l("Titolo"), filters=[strip], validators=[DataRequired(_l("Scrivi il titolo.")), Length(max=140, message=MAX)]
    )
    description = TextAreaField(_l("Descrizione"), filters=[strip], validators=[Length(max=8000, message=MAX)])
    site = SelectField(_l("Centro"), coerce=int)
    room = SelectField(_l("Sala"), coerce=int)
    partner = SelectField(_l("Organizzato da (partner)"), coerce=int)
    category = SelectField(_l("Categoria"), choices=list(CATEGORIES.items()))
    audience = SelectField(_l("Per chi"), choices=list(AUDIENCES.items()))
    # Phones show a date picker; old browsers fall back to text, where people type dd/mm/yyyy.
    day = DateField(
        _l("Data"),
        format=["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"],
        validators=[DataRequired(_l("Scegli la data (gg/mm/aaaa)."))],
    )
    start_time = TimeField(_l("Inizio"), validators=[DataRequired(_l("Scrivi l'ora di inizio."))])
    end_time = TimeField(_l("Fine"), validators=[DataRequired(_l("Scrivi l'ora di fine."))])
    is_free = RadioField(
        _l("Costo"), choices=[("1", _l("Gratuito o a offerta libera")), ("0", _l("A pagamento"))], default="1"
    )
    price = StringField(_l("Prezzo"), filters=[strip], validators=[Length(max=80, message=MAX)])
    capacity = NumberField(
        _l("Posti (vuoto se l'ingresso è libero, senza iscrizione)"),
        validators=[in_range(1, 5000, _l("I posti devono essere almeno 1 (e al massimo 5000)."))],
    )
    poster = FileField(_l("Locandina (immagine JPEG, PNG o WebP, al massimo 5 MB)"))
    poster_alt = StringField(
        _l("Descrizione della locandina per chi non vede"), filters=[strip], validators=[Length(max=250, message=MAX)]
    )
    remove_poster = BooleanField(_l("Togli la locandina"))
    sign_language = BooleanField(_l("Interprete LIS (lingua dei segni)"))
    subtitles = BooleanField(_l("Sottotitoli"))
    access_notes = TextAreaField(
        _l("Altre informazioni sull'accessibilità"), filters=[strip], validators=[Length(max=1000, message=MAX)]
    )
    status = RadioField(
        _l("Stato"), choices=[("published", _l("Pubblicato")), ("draft", _l("Bozza"))], default="published"
    )
    freq = SelectField(_l("Si ripete"), choices=list(FREQUENCIES.items()), default="")
    until = DateField(_l("Fino al (compreso)"), format=["%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"], validators=[Optional()])
    count = NumberField(
        _l("Oppure: numero di incontri"),
        validators=[in_range(1, MAX_OCCURRENCES, _l("Da 1 a %(max)d incontri.", max=MAX_OCCURRENCES))],
    )
    skip_dates = TextAreaField(_l("Date da saltare (una per riga, gg/mm/aaaa)"), filters=[strip])
    pauses = TextAreaField(_l("Pause (una per riga: gg/mm/aaaa - gg/mm/aaaa)"), filters=[strip])
    whole_course = BooleanField(_l("Si può iscriversi a tutto il corso in un passo"))
    # A one-time key written into the new-event form: the same form sent twice makes one event or series.
    submission_key = HiddenField(filters=[lambda v: v if v and re.fullmatch(r"[0-9a-f]{32}", v) else None])

    def __init__(self, *args, with_recurrence=True, is_new=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_recurrence = with_recurrence
        self.is_new = is_new

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("La fine deve venire dopo l'inizio."))

    def validate_day(self, field):
        # Only new events must be in the future; an edit may fix a past one's text.
        if self.is_new and field.data and field.data < today_local():
            raise ValidationError(_l("La data è già passata."))
        if field.data and field.data > today_local() + timedelta(days=3 * 366):
            raise ValidationError(_l("La data è troppo lontana."))

    def validate_price(self, field):
        if self.is_free.data == "0" and not field.data:
            raise ValidationError(_l("Scrivi il prezzo."))

    def validate_room(self, field):
        if field.data and self.site.data and field.data not in self.room_sites.get(self.site.data, ()):
            raise ValidationError(_l("Questa sala non è del centro scelto."))

    def validate_poster_alt(self, field):
        if self.poster.data and getattr(self.poster.data, "filename", "") and not field.data:
            raise ValidationError(_l("Descrivi la locandina in una frase: serve a chi usa un lettore di schermo."))

    def validate_until(self, field):
        if field.data and self.day.data and field.data < self.day.data:
            raise ValidationError(_l("La fine della serie viene prima del primo incontro."))
        if field.data and self.day.data and field.data > self.day.data + timedelta(days=2 * 366):
            raise ValidationError(_l("Una serie può durare al massimo due anni."))

    def validate_freq(self, field):
        if self.with_recurrence and field.data and not (self.until.data or self.count.data):
            raise ValidationError(
                _l("Una attività che si ripete deve finire: scegli una data di fine o il numero di incontri.")
            )

    def validate_skip_dates(self, field):
        self.parsed_skip, bad = parse_dates(field.data)
        if bad:
            raise ValidationError(_l("Date non valide: %(dates)s", dates=", ".join(bad)))

    def validate_pauses(self, field):
        self.parsed_pauses, bad = parse_periods(field.data)
        if bad:
            raise ValidationError(_l("Periodi non validi: %(lines)s", lines="; ".join(bad)))


class ProposalForm(Form):
    """Residents and partner organisations propose an event; staff moderate it."""

    title = EventForm.title
    description = TextAreaField(
        _l("Descrizione: cosa si fa, per chi, cosa portare"),
        filters=[strip],
        validators=[DataRequired(_l("Descrivi l'evento.")), Length(max=4000, message=MAX)],
    )
    site = SelectField(_l("In quale centro"), coerce=int)
    partner = SelectField(_l("A nome di (se sei un'associazione partner)"), coerce=int)
    category = EventForm.category
    audience = EventForm.audience
    day = EventForm.day
    start_time = EventForm.start_time
    end_time = EventForm.end_time
    capacity = EventForm.capacity

    is_new = True
    validate_end_time = EventForm.validate_end_time
    validate_day = EventForm.validate_day


class RejectForm(Form):
    message = TextAreaField(
        _l("Messaggio per chi ha proposto"),
        filters=[strip],
        validators=[DataRequired(_l("Spiega in breve il motivo.")), Length(max=1000, message=MAX)],
    )


class CancelEventForm(Form):
    reason = TextAreaField(
        _l("Motivo (lo mandiamo alle persone iscritte)"),
        filters=[strip],
        validators=[DataRequired(_l("Scrivi il motivo.")), Length(max=1000, message=MAX)],
    )


class GuestRegistrationForm(GuestContactForm):
    """Registration without an account: a name and one way to reach the person (portal.guestform)."""


class DeskRegistrationForm(GuestRegistrationForm):
    """Staff: a phone call or a walk-in (contact optional at the door)."""

    source = RadioField(
        _l("Come"), choices=[("phone", _l("Al telefono")), ("walkin", _l("Di persona"))], default="phone"
    )

    def validate(self, extra_validators=None):
        # Not the guest form's "e-mail or phone" rule: someone at the door may give neither.
        return Form.validate(self, extra_validators)


def parse_month(value):
    """'2026-12' -> (2026, 12), or None."""
    try:
        moment = datetime.strptime(value or "", "%Y-%m")
    except ValueError:
        return None
    if not 2000 <= moment.year <= 2100:
        return None
    return moment.year, moment.month


class EventTextForm(Form):
    """The event's title and description in another interface language (choices set by the view)."""

    # A chosen language is always selected: no "required" on the select (an HTML rule without an empty option).
    language = SelectField(
        _l("Lingua"), validators=[DataRequired(_l("Scegli una lingua."))], render_kw={"required": False}
    )
    title = StringField(
        _l("Titolo"), filters=[strip], validators=[DataRequired(_l("Scrivi il titolo.")), Length(max=140, message=MAX)]
    )
    description = TextAreaField(
        _l("Descrizione (facoltativa: senza, resta quella in italiano)"),
        filters=[strip],
        validators=[Length(max=5000, message=MAX)],
    )
