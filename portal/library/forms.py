"""Library forms. Messages are lazy so they follow the reader's language."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from portal.formbase import Form
from portal.text import strip

from .isbn import normalise_isbn

LANGUAGE_LABELS = {
    "it": _l("Italiano"),
    "en": _l("Inglese"),
    "ar": _l("Arabo"),
    "es": _l("Spagnolo"),
    "zh": _l("Cinese"),
    "fr": _l("Francese"),
    "other": _l("Altre lingue"),
}
AGE_LABELS = {"children": _l("Bambini"), "teens": _l("Ragazzi"), "adults": _l("Adulti")}
MAX = _l("Al massimo %(max)d caratteri.")


class TitleForm(Form):
    title = StringField(
        _l("Titolo"), filters=[strip], validators=[DataRequired(_l("Scrivi il titolo.")), Length(max=300, message=MAX)]
    )
    authors = StringField(_l("Autori"), filters=[strip], validators=[Length(max=300, message=MAX)])
    isbn = StringField(_l("ISBN"), filters=[strip], validators=[Optional(), Length(max=20, message=MAX)])
    language = SelectField(_l("Lingua"), choices=list(LANGUAGE_LABELS.items()))
    age_group = SelectField(_l("Età"), choices=list(AGE_LABELS.items()), default="adults")
    subjects = StringField(_l("Soggetti"), filters=[strip], validators=[Length(max=300, message=MAX)])
    publisher = StringField(_l("Editore"), filters=[strip], validators=[Length(max=160, message=MAX)])
    year = IntegerField(_l("Anno"), validators=[Optional(), NumberRange(1450, 2100, _l("Anno non valido."))])
    description = TextAreaField(_l("Descrizione"), filters=[strip], validators=[Length(max=4000, message=MAX)])

    def validate_isbn(self, field):
        field.normalised = None
        if field.data:
            try:
                field.normalised = normalise_isbn(field.data)
            except ValueError:
                raise ValidationError(_l("ISBN non valido: controlla le cifre (ISBN-10 o ISBN-13)."))


class CopyForm(Form):
    barcode = StringField(
        _l("Codice a barre"),
        filters=[strip],
        validators=[DataRequired(_l("Scrivi il codice a barre.")), Length(max=32, message=MAX)],
    )
    shelf_mark = StringField(_l("Collocazione"), filters=[strip], validators=[Length(max=40, message=MAX)])
    note = StringField(_l("Nota"), filters=[strip], validators=[Length(max=200, message=MAX)])
    withdrawn = BooleanField(_l("Ritirata dal prestito (persa, rovinata)"))

    def validate_barcode(self, field):
        code = "".join((field.data or "").split()).upper()
        if not re.fullmatch(r"[A-Z0-9\-]{3,32}", code):
            raise ValidationError(_l("Usa da 3 a 32 lettere, cifre o trattini."))
        field.data = code


class CheckoutForm(Form):
    barcode = StringField(
        _l("Codice della copia"),
        filters=[strip],
        validators=[DataRequired(_l("Scrivi o scansiona il codice a barre della copia.")), Length(max=40, message=MAX)],
    )
    member_code = StringField(
        _l("Codice tessera"),
        filters=[strip],
        validators=[DataRequired(_l("Scrivi o scansiona il codice della tessera.")), Length(max=20, message=MAX)],
    )
    override_reason = StringField(
        _l("Motivo della deroga (solo se vuoi superare un blocco)"),
        filters=[strip],
        validators=[Length(max=300, message=MAX)],
    )


class BarcodeForm(Form):
    barcode = StringField(
        _l("Codice della copia"),
        filters=[strip],
        validators=[DataRequired(_l("Scrivi o scansiona il codice a barre della copia.")), Length(max=40, message=MAX)],
    )


class ImportForm(Form):
    file = FileField(_l("File CSV (UTF-8)"))


class HistoryForm(Form):
    keep_history = BooleanField(_l("Conserva lo storico dei miei prestiti"))


class PolicyForm(Form):
    """The lending rules of a library."""

    loan_days = IntegerField(
        _l("Durata del prestito (giorni)"),
        validators=[DataRequired(_l("Scrivi un numero.")), NumberRange(1, 120, _l("Da %(min)s a %(max)s."))],
    )
    max_renewals = IntegerField(
        _l("Rinnovi possibili"), validators=[Optional(), NumberRange(0, 10, _l("Da %(min)s a %(max)s."))]
    )
    max_loans = IntegerField(
        _l("Libri in prestito per persona (massimo)"),
        validators=[DataRequired(_l("Scrivi un numero.")), NumberRange(1, 50, _l("Da %(min)s a %(max)s."))],
    )
    max_holds = IntegerField(
        _l("Prenotazioni per persona (massimo)"),
        validators=[DataRequired(_l("Scrivi un numero.")), NumberRange(1, 50, _l("Da %(min)s a %(max)s."))],
    )
    pickup_days = IntegerField(
        _l("Giorni per ritirare una prenotazione"),
        validators=[DataRequired(_l("Scrivi un numero.")), NumberRange(1, 30, _l("Da %(min)s a %(max)s."))],
    )
    due_soon_days = IntegerField(
        _l("Avvisa «in scadenza» quanti giorni prima"),
        validators=[DataRequired(_l("Scrivi un numero.")), NumberRange(1, 14, _l("Da %(min)s a %(max)s."))],
    )
