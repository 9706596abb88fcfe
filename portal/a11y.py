"""Accessibility: the larger-text switch, the accessibility statement (AGID model), the legal notes,
and hidden CSRF fields without an id (several forms on one page must not repeat `id="csrf_token"`)."""

from flask import Blueprint, current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, RadioField
from wtforms.csrf import core as wtforms_csrf
from wtforms.validators import DataRequired

from .formbase import Form
from .rendering import render
from .validation import safe_next

bp = Blueprint("a11y", __name__)

TEXT_SIZES = ("normal", "large")
COOKIE = "text_size"
COOKIE_MAX_AGE = 365 * 24 * 3600
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


def _size(value):
    return value if value in TEXT_SIZES else None


def text_size():
    """The reader's text size: the account's choice (members), else this device's cookie (or the older
    session key), else "normal"."""
    if current_user and current_user.is_authenticated and _size(current_user.text_size):
        return current_user.text_size
    return _size(request.cookies.get(COOKIE)) or _size(session.get("text_size")) or "normal"


def remember_text_size(response, size):
    """Keep the choice on the account (members) and in a cookie for a year (this device, guests too)."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        user.text_size = size
        user.save(only=[type(user).text_size])
    session.pop("text_size", None)
    response.set_cookie(
        COOKIE,
        size,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/text-size", methods=["POST"])
def choose_text_size():
    """Remember the chosen text size (account and cookie), then go back where the person was."""
    form = TextSizeForm()
    response = redirect(safe_next(request.form.get("next"), url_for("sites.home")), code=303)
    return remember_text_size(response, form.size.data) if form.validate() else response


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
