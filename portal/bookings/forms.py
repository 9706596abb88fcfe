"""Forms of the bookings area. Messages are lazy so they follow the reader's language."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.formbase import Form
from portal.text import strip


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SlotForm(Form):
    """One tap: book this slot (the page builds it as hidden fields and a button)."""

    day = DateField(_l("Giorno"), validators=[InputRequired(_l("Scegli un giorno."))])
    slot = SelectField(
        _l("Fascia"), choices=[("am", _l("Mattina")), ("pm", _l("Pomeriggio")), ("day", _l("Giornata intera"))]
    )
    resource = IntegerField(_l("Risorsa"), validators=[Optional()])
    kind = SelectField(_l("Tipo"), choices=[("desk", _l("Postazione")), ("room", _l("Sala"))])


class WeeklyForm(Form):
    """A slot every week until a day: previewed by GET (no CSRF there, nothing is written), booked by POST."""

    what = SelectField(_l("Cosa"))  # "desk" (any free desk each week) or "room-<id>"
    day = DateField(_l("Primo giorno"), validators=[InputRequired(_l("Scegli un giorno."))])
    slot = SelectField(
        _l("Fascia"), choices=[("am", _l("Mattina")), ("pm", _l("Pomeriggio")), ("day", _l("Giornata intera"))]
    )
    until = DateField(_l("Ogni settimana fino al (compreso)"), validators=[InputRequired(_l("Scegli fino a quando."))])

    @property
    def kind_and_resource(self):
        """("desk", None) or ("room", id) from the `what` choice."""
        if self.what.data and self.what.data.startswith("room-"):
            return "room", int(self.what.data[5:])
        return "desk", None


class LoanRequestForm(Form):
    pickup_day = DateField(_l("Giorno del ritiro"), validators=[InputRequired(_l("Scegli il giorno del ritiro."))])
    pickup_time = TimeField(_l("Ora del ritiro"), validators=[InputRequired(_l("Scegli l'ora del ritiro."))])
    return_day = DateField(
        _l("Giorno della restituzione"), validators=[InputRequired(_l("Scegli il giorno della restituzione."))]
    )
    return_time = TimeField(
        _l("Ora della restituzione"), validators=[InputRequired(_l("Scegli l'ora della restituzione."))]
    )
    purpose = TextAreaField(
        _l("A cosa ti serve? (facoltativo)"),
        filters=[strip],
        validators=[Optional(), Length(max=1000, message=_l("Al massimo %(max)d caratteri."))],
    )


class MoveLoanForm(Form):
    """Staff move a loan's dates (the same fields and messages as the request)."""

    pickup_day = LoanRequestForm.pickup_day
    pickup_time = LoanRequestForm.pickup_time
    return_day = LoanRequestForm.return_day
    return_time = LoanRequestForm.return_time


class DecisionForm(Form):
    message = TextAreaField(
        _l("Messaggio per la persona (facoltativo)"),
        filters=[strip],
        validators=[Optional(), Length(max=1000, message=_l("Al massimo %(max)d caratteri."))],
    )


class CheckOutForm(Form):
    items = MultiCheckboxField(_l("Oggetti consegnati"), coerce=int)
    # "1" on the form shown before the pickup day: staff hand over early on purpose.
    early = HiddenField(default="")
    deposit = IntegerField(
        _l("Cauzione ricevuta (euro)"),
        default=0,
        validators=[
            InputRequired(_l("Scrivi la cauzione (0 se nessuna).")),
            NumberRange(min=0, max=5000, message=_l("Tra %(min)s e %(max)s euro.")),
        ],
    )


class CheckInForm(Form):
    items = MultiCheckboxField(_l("Oggetti restituiti"), coerce=int)
    damaged = MultiCheckboxField(_l("Danneggiati: vanno in manutenzione"), coerce=int)
    deposit_returned = IntegerField(
        _l("Cauzione restituita (euro)"),
        default=0,
        validators=[
            InputRequired(_l("Scrivi la cauzione restituita (0 se nessuna).")),
            NumberRange(min=0, max=5000, message=_l("Tra %(min)s e %(max)s euro.")),
        ],
    )


class MemberCodeForm(Form):
    class Meta:
        csrf = False  # a GET search

    code = StringField(
        _l("Codice tessera"),
        filters=[strip],
        validators=[DataRequired(_l("Scrivi il codice della tessera.")), Length(max=20)],
    )


class PolicyForm(Form):
    advance_days = IntegerField(
        _l("Si prenota al massimo con giorni di anticipo"),
        validators=[InputRequired(), NumberRange(min=0, max=365, message=_l("Tra %(min)s e %(max)s."))],
    )
    max_per_week = IntegerField(
        _l("Prenotazioni per persona alla settimana"),
        validators=[InputRequired(), NumberRange(min=1, max=50, message=_l("Tra %(min)s e %(max)s."))],
    )
    cancel_cutoff_hours = IntegerField(
        _l("Si annulla fino a ore prima dell'inizio"),
        validators=[InputRequired(), NumberRange(min=0, max=720, message=_l("Tra %(min)s e %(max)s."))],
    )
    checkin_minutes = IntegerField(
        _l("Minuti per presentarsi, poi il posto si libera (0 = mai)"),
        validators=[InputRequired(), NumberRange(min=0, max=600, message=_l("Tra %(min)s e %(max)s."))],
    )
    buffer_days = IntegerField(
        _l("Giorni liberi tra due prestiti"),
        validators=[InputRequired(), NumberRange(min=0, max=14, message=_l("Tra %(min)s e %(max)s."))],
    )
    max_loan_days = IntegerField(
        _l("Durata massima di un prestito (giorni)"),
        validators=[InputRequired(), NumberRange(min=1, max=60, message=_l("Tra %(min)s e %(max)s."))],
    )


class ResourceForm(Form):
    site = SelectField(_l("Centro"), coerce=int)
    kind = SelectField(_l("Tipo"), choices=[("desk", _l("Postazione")), ("room", _l("Sala"))])
    name = StringField(_l("Nome"), filters=[strip], validators=[DataRequired(_l("Scrivi un nome.")), Length(max=80)])
    description = TextAreaField(_l("Descrizione"), filters=[strip], validators=[Optional(), Length(max=1000)])
    seats = IntegerField(_l("Posti"), default=1, validators=[InputRequired(), NumberRange(min=1, max=200)])
    active = BooleanField(_l("Prenotabile"), default=True)


ITEM_STATUSES = [
    ("available", _l("Disponibile")),
    ("maintenance", _l("In manutenzione")),
    ("retired", _l("Fuori servizio")),
]


class ItemForm(Form):
    site = SelectField(_l("Centro"), coerce=int)
    name = StringField(_l("Nome"), filters=[strip], validators=[DataRequired(_l("Scrivi un nome.")), Length(max=100)])
    category = StringField(_l("Categoria"), filters=[strip], validators=[Optional(), Length(max=40)])
    description = TextAreaField(_l("Descrizione"), filters=[strip], validators=[Optional(), Length(max=2000)])
    condition = StringField(_l("Stato d'uso"), filters=[strip], validators=[Optional(), Length(max=200)])
    status = SelectField(_l("Disponibilità"), choices=ITEM_STATUSES)
    deposit = IntegerField(
        _l("Cauzione (euro)"),
        default=0,
        validators=[InputRequired(), NumberRange(min=0, max=5000, message=_l("Tra %(min)s e %(max)s euro."))],
    )
    photo = FileField(
        _l("Foto (JPEG, PNG o WebP, al massimo 8 MB)"),
        validators=[FileAllowed(["jpg", "jpeg", "png", "webp"], _l("Carica una foto JPEG, PNG o WebP."))],
    )


class KitForm(Form):
    site = SelectField(_l("Centro"), coerce=int)
    name = StringField(_l("Nome"), filters=[strip], validators=[DataRequired(_l("Scrivi un nome.")), Length(max=100)])
    description = TextAreaField(_l("Descrizione"), filters=[strip], validators=[Optional(), Length(max=2000)])
    items = MultiCheckboxField(_l("Oggetti del kit"), coerce=int)
    active = BooleanField(_l("Prenotabile"), default=True)
    photo = ItemForm.photo
