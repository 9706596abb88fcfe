"""Registration, log in and out, password reset, and the access decorators."""

import functools

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import IntegrityError

from .db import database
from .forms import ForgotPasswordForm, LoginForm, NewPasswordForm, RegisterForm
from .i18n import chosen_language
from .mail import send_mail
from .models import LoginAttempt, User
from .rendering import render
from .validation import safe_next

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"


@login_manager.user_loader
def load_user(session_id):
    return User.from_session_id(session_id)


@login_manager.unauthorized_handler
def unauthorized():
    """Send people to the login page; htmx requests get an HX-Redirect."""
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if getattr(request, "htmx", None):
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    flash(_("Accedi per continuare."), "info")
    return redirect(target)


def staff_required(view):
    """Only staff and admins; anyone else gets 403 (and strangers the login page)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_staff:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def admin_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


# --- staff scope: what a staff member may see and touch -------------------------------
def managed_site_ids():
    """Ids of the centres the current user manages (every centre for an admin)."""
    return [site.id for site in current_user.managed_sites()]


def require_manage(site):
    """Stop with 403 unless the current user manages `site` (a Site or its id)."""
    if not current_user.is_authenticated or not current_user.can_manage(site):
        abort(403)


def scoped(query, site_field):
    """Restrict a query to the current user's centres (no restriction for an admin)."""
    if current_user.is_admin:
        return query
    return query.where(site_field.in_(managed_site_ids()))


def client_ip():
    # Behind a proxy, gunicorn's --forwarded-allow-ips makes remote_addr the real one.
    return request.remote_addr or "unknown"


def _duplicate_errors(form, user_id=None):
    """Add a message to the e-mail / phone field already used by another account."""
    ok = True
    email = (form.email.data or "").lower() or None
    if email:
        other = User.get_or_none(User.email == email)
        if other and other.id != user_id:
            form.email.errors.append(_("Esiste già un account con questo indirizzo e-mail."))
            ok = False
    if form.phone_e164:
        other = User.get_or_none(User.phone == form.phone_e164)
        if other and other.id != user_id:
            form.phone.errors.append(_("Esiste già un account con questo numero di cellulare."))
            ok = False
    return ok


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a resident account with an e-mail address or a mobile number."""
    if current_user.is_authenticated:
        return redirect(url_for("account.index"))
    form = RegisterForm()
    if request.method == "POST":
        if form.validate() and _duplicate_errors(form):
            try:
                with database().atomic():
                    user = User.create_account(
                        form.name.data,
                        form.password.data,
                        email=form.email.data,
                        phone=form.phone_e164,
                        language=chosen_language(),
                    )
            except IntegrityError:  # two identical sign-ups at the same instant
                form.email.errors.append(_("Esiste già un account con questi dati."))
            else:
                login_user(user)
                flash(_("Benvenuta/o! Il tuo codice tessera è %(code)s.", code=user.member_code), "success")
                return redirect(url_for("account.index"))
        return render("auth/register.html", form=form, status=422)
    return render("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with e-mail, mobile number or member code, and a password."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
        return render("auth/login.html", form=form)
    if not form.validate():
        return render("auth/login.html", form=form, status=422)
    ip = client_ip()
    user = User.find_by_login(form.identifier.data)
    # Count failures per account, whichever way it was typed (e-mail, any phone format,
    # member code), so changing the spelling does not buy more guesses.
    throttle_key = f"user:{user.id}" if user else form.identifier.data
    if LoginAttempt.too_many(throttle_key, ip):
        form.password.errors.append(
            _(
                "Troppi tentativi sbagliati. Aspetta %(minutes)d minuti e riprova, o chiedi al personale.",
                minutes=current_app.config["LOGIN_WINDOW_MINUTES"],
            )
        )
        return render("auth/login.html", form=form, status=429)
    if user is None or not user.check_password(form.password.data) or not user.is_active:
        LoginAttempt.record_failure(throttle_key, ip)
        form.password.errors.append(_("Dati di accesso non corretti. Controlla e riprova."))
        return render("auth/login.html", form=form, status=422)
    LoginAttempt.clear(throttle_key)
    login_user(user, remember=form.remember.data)
    return redirect(safe_next(form.next.data, url_for("account.index")))


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST only, so a link or an image cannot log anybody out)."""
    logout_user()
    flash(_("Sei uscita/o. A presto!"), "info")
    return redirect(url_for("sites.home"))


def _reset_serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user):
    # The hash fragment makes the link single-use: it dies when the password changes.
    return _reset_serializer().dumps({"id": user.id, "h": user.password_hash[-10:]})


def user_from_reset_token(token):
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (SignatureExpired, BadSignature):
        return None
    user = User.get_or_none(User.id == data.get("id"))
    if user is None or user.password_hash[-10:] != data.get("h"):
        return None
    return user


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link by e-mail (people without e-mail are helped at a desk)."""
    form = ForgotPasswordForm()
    if request.method == "POST":
        if not form.validate():
            return render("auth/forgot.html", form=form, status=422)
        user = User.get_or_none(User.email == form.email.data.lower())
        if user is not None and user.is_active:
            link = url_for("auth.reset_password", token=make_reset_token(user), _external=True)
            hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600
            # In the account's language: the person reading the mail may not be the one asking.
            with force_locale(user.language or str(get_locale() or "it")):
                send_mail(
                    user.email,
                    _("Binari: nuova password"),
                    _(
                        "Ciao %(name)s,\n\nper scegliere una nuova password apri questo link entro %(hours)d ore:\n"
                        "%(link)s\n\n"
                        "Se non l'hai chiesto tu, ignora questo messaggio.\n\nBinari – Kaleidoscopi Metropolitani",
                        name=user.name,
                        hours=hours,
                        link=link,
                    ),
                    user=user,
                    sensitive=True,
                )
        # Same answer whether or not the address exists: no account discovery.
        return render("auth/forgot_sent.html")
    return render("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Choose a new password from an e-mailed link (signed, expiring, single-use)."""
    user = user_from_reset_token(token)
    if user is None:
        return render("auth/reset_invalid.html", status=400)
    form = NewPasswordForm()
    if request.method == "POST":
        if not form.validate():
            return render("auth/reset.html", form=form, status=422)
        user.set_password(form.password.data)
        user.save()
        LoginAttempt.clear(f"user:{user.id}")
        login_user(user)
        flash(_("Password cambiata."), "success")
        return redirect(url_for("account.index"))
    return render("auth/reset.html", form=form)
