"""Accessibility: the larger-text switch, the accessibility statement (AGID model), the legal notes,
and hidden CSRF fields without an id (several forms on one page must not repeat `id="csrf_token"`)."""

from flask import Blueprint, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField
from wtforms.csrf import core as wtforms_csrf
from wtforms.validators import DataRequired

from .formbase import Form
from .rendering import render
from .validation import safe_next

bp = Blueprint("a11y", __name__)

TEXT_SIZES = ("normal", "large")
# The statement's facts: when the portal was last checked, and how (update with each review).
STATEMENT_DATE = "2026-12-02"
AGID_FORM_URL = "https://form.agid.gov.it/"
AGID_GUIDELINES_URL = "https://www.agid.gov.it/it/design-servizi/accessibilita"


class TextSizeForm(Form):
    size = RadioField(
        _l("Dimensione del testo"),
        choices=[("normal", _l("Normale")), ("large", _l("Grande"))],
        validators=[DataRequired(_l("Scegli una dimensione."))],
    )
    next = HiddenField()


class CSRFTokenField(wtforms_csrf.CSRFTokenField):
    """The CSRF hidden field, rendered without `id`: no label points at it, and a page with two forms
    would otherwise carry `id="csrf_token"` twice (invalid HTML, confusing for assistive technology).
    Same class name as WTForms' field, so templates that test `field.type` keep working."""

    def __call__(self, **kwargs):
        kwargs.setdefault("id", False)
        return super().__call__(**kwargs)


def text_size():
    """The reader's text size, from the session cookie ("normal" unless they chose "large")."""
    size = session.get("text_size")
    return size if size in TEXT_SIZES else "normal"


@bp.route("/text-size", methods=["POST"])
def choose_text_size():
    """Remember the chosen text size in the session cookie, then go back where the person was."""
    form = TextSizeForm()
    if form.validate():
        session["text_size"] = form.size.data
    return redirect(safe_next(request.form.get("next"), url_for("sites.home")), code=303)


@bp.route("/accessibilita")
def statement():
    """The accessibility statement (Dichiarazione di accessibilità, AGID model)."""
    from .models import Site

    sites = list(Site.select().order_by(Site.position, Site.name))
    return render(
        "main/accessibility.html",
        sites=sites,
        statement_date=STATEMENT_DATE,
        agid_form_url=AGID_FORM_URL,
        agid_guidelines_url=AGID_GUIDELINES_URL,
    )


@bp.route("/note-legali")
def legal():
    """Legal notes: who publishes the portal, copyright and licences, liability, links."""
    from .models import Site

    return render("main/legal.html", sites=list(Site.select().order_by(Site.position, Site.name)))


def init_app(app):
    from flask_wtf.csrf import _FlaskFormCSRF

    _FlaskFormCSRF.field_class = CSRFTokenField
    app.register_blueprint(bp)
    app.jinja_env.globals["text_size"] = text_size
