"""The member's own page: details, language, password, membership card."""

import json

from flask import Blueprint, current_app, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from . import privacy
from .auth import _duplicate_errors
from .forms import ChangePasswordForm, DeleteAccountForm, DetailsForm, LanguageForm
from .i18n import chosen_language
from .pdf import pdf_response, qr_data_uri, render_pdf
from .refusals import Refusal
from .rendering import render

bp = Blueprint("account", __name__, url_prefix="/account")


def _forms(**overrides):
    user = current_user
    forms = {
        "details_form": DetailsForm(formdata=None, name=user.name, email=user.email, phone=user.phone),
        "password_form": ChangePasswordForm(formdata=None),
        "language_form": LanguageForm(formdata=None, lang=user.language or chosen_language() or "it"),
        "delete_form": DeleteAccountForm(formdata=None, prefix="delete"),
    }
    forms.update(overrides)
    return forms


@bp.route("")
@login_required
def index():
    """The member's page."""
    return render("account/index.html", **_forms())


@bp.route("/details", methods=["POST"])
@login_required
def details():
    """Change name, e-mail or mobile number."""
    form = DetailsForm()
    if form.validate() and _duplicate_errors(form, user_id=current_user.id):
        user = current_user._get_current_object()
        user.name = form.name.data
        user.email = (form.email.data or "").lower() or None
        user.phone = form.phone_e164
        user.save()
        flash(_("Dati aggiornati."), "success")
        return redirect(url_for(".index"))
    return render("account/index.html", status=422, **_forms(details_form=form))


@bp.route("/password", methods=["POST"])
@login_required
def password():
    """Change the password (the current one is asked again)."""
    form = ChangePasswordForm()
    if form.validate():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append(_("La password attuale non è corretta."))
        else:
            user = current_user._get_current_object()
            user.set_password(form.password.data)
            user.save()
            login_user(user)  # the session id changes with the password: keep this one
            flash(_("Password cambiata."), "success")
            return redirect(url_for(".index"))
    return render("account/index.html", status=422, **_forms(password_form=form))


@bp.route("/card.pdf")
@login_required
def card():
    """The printable membership card: name, member code and its QR code."""
    data = render_pdf("account/card_pdf.html", member=current_user, qr=qr_data_uri(current_user.member_code, scale=6))
    return pdf_response(data, f"tessera-binari-{current_user.member_code}.pdf")


def language_choice():
    """Save a language choice from the switcher (the account's, and the session's for the cookie)."""
    form = LanguageForm()
    if not form.validate():
        return None
    session["lang"] = form.lang.data
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        user.language = form.lang.data
        user.save()
    return form


@bp.route("/export.json")
@login_required
def export():
    """Download my data (JSON): the account and every area."""
    body = json.dumps(privacy.export_json(current_user), ensure_ascii=False, indent=2, default=str)
    response = current_app.response_class(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="binari-{current_user.member_code}.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/data")
@login_required
def data():
    """My data, as a page: the same as the JSON export, to read."""
    return render("account/data.html", parts=privacy.everything(current_user))


@bp.route("/delete", methods=["POST"])
@login_required
def delete():
    """Delete my account: contact details erased, activity kept anonymous for the centres' figures."""
    form = DeleteAccountForm(prefix="delete")
    if not form.validate() or not current_user.check_password(form.password.data):
        if form.password.data and not form.password.errors:
            form.password.errors.append(_("La password non è corretta."))
        return render("account/index.html", status=422, **_forms(delete_form=form))
    try:
        privacy.delete_account(current_user._get_current_object())
    except Refusal as refusal:  # e.g. books or equipment still to bring back: nothing was erased
        form.password.errors.append(refusal.message)
        return render("account/index.html", status=refusal.status, **_forms(delete_form=form))
    logout_user()
    flash(_("Il tuo account è stato cancellato. Grazie di aver usato Binari."), "info")
    return redirect(url_for("sites.home"))
