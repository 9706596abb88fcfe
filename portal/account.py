"""The member's own page: details, language, password, membership card."""

import json

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from . import mythings, privacy, throttle
from .auth import _duplicate_errors, _wait_message
from .forms import ChangePasswordForm, DeleteAccountForm, DetailsForm, LanguageForm
from .i18n import chosen_language
from .mail import send_mail
from .pdf import pdf_response, print_logos, qr_data_uri, render_pdf
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
        # "Le mie cose": every area's next commitments, and the one calendar link.
        "things": mythings.upcoming(user),
        "feed_token": mythings.feed_token(user),
    }
    forms.update(overrides)
    return forms


@bp.route("")
@login_required
def index():
    """ "Le mie cose": the card, the next commitments from every area with their actions, the settings."""
    return render("account/index.html", **_forms())


@bp.route("/tessera")
@login_required
def card_page():
    """The membership card on the screen, with its QR code (kept for offline use by the service worker)."""
    return render("account/card.html", qr=qr_data_uri(current_user.member_code, scale=6))


@bp.route("/details", methods=["POST"])
@login_required
def details():
    """Change name, e-mail or mobile number."""
    form = DetailsForm()
    user = current_user._get_current_object()
    if not form.validate():
        return render("account/index.html", status=422, **_forms(details_form=form))
    new_email = (form.email.data or "").lower() or None
    if new_email != user.email:
        # The password first, and a limit: the "address taken" answer below is no free search.
        key = f"user:{user.id}"
        wait = throttle.attempt("details", key, key_limit=current_app.config["LOGIN_MAX_FAILURES"], ip_limit=10**6)
        if wait:
            form.email.errors.append(_wait_message(wait))
            return render("account/index.html", status=429, **_forms(details_form=form))
        if not user.check_password(form.current_password.data or ""):
            form.current_password.errors.append(_("Per cambiare l'indirizzo e-mail scrivi la password attuale."))
            return render("account/index.html", status=422, **_forms(details_form=form))
    if not _duplicate_errors(form, user_id=user.id):
        return render("account/index.html", status=422, **_forms(details_form=form))
    change_details(user, form.name.data, new_email, form.phone_e164)
    flash(_("Dati aggiornati."), "success")
    return redirect(url_for(".index"))


def change_details(user, name, email, phone):
    """Save name and contacts; when the e-mail changes, the old address is told (it may be a thief)."""
    old_email = user.email
    user.name, user.email, user.phone = name, email, phone
    user.save()
    if old_email and old_email != email:
        with force_locale(user.language or "it"):
            send_mail(
                old_email,
                _("Binari: l'indirizzo e-mail del tuo account è cambiato"),
                _(
                    "Ciao %(name)s,\n\nl'indirizzo e-mail del tuo account Binari (tessera %(code)s) è stato cambiato: "
                    "i messaggi ora vanno a un altro indirizzo.\n\nSe non sei stata/o tu, chiedi subito aiuto al "
                    "personale di un centro o scrivi a questo indirizzo.\n\nBinari – Kaleidoscopi Metropolitani",
                    name=user.name,
                    code=user.member_code,
                ),
                kind="account",
            )


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
            user.end_sessions()  # every other session (and remember-me cookie) of the account ends
            login_user(user)  # the session id changes with the password: keep this one
            flash(_("Password cambiata."), "success")
            return redirect(url_for(".index"))
    return render("account/index.html", status=422, **_forms(password_form=form))


@bp.route("/card.pdf")
@login_required
def card():
    """The printable membership card: card-sized, or on an A4 sheet with crop marks (?sheet=a4)."""
    return membership_card_response(current_user)


def membership_card_response(member):
    """The card PDF of `member`: an ID-1 page, or with `?sheet=a4` an A4 page with crop marks."""
    sheet = request.args.get("sheet") == "a4"
    data = render_pdf(
        "account/card_pdf.html",
        member=member,
        qr=qr_data_uri(member.member_code, scale=6),
        logos=print_logos(),
        sheet=sheet,
    )
    suffix = "-a4" if sheet else ""
    return pdf_response(data, f"tessera-binari-{member.member_code}{suffix}.pdf")


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
