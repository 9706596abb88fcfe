"""Registration, log in and out, password reset, and the access decorators."""

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from peewee import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from . import throttle
from .clock import utcnow
from .db import database
from .forms import ConfirmForm, ForgotPasswordForm, LoginForm, NewPasswordForm, RegisterForm
from .i18n import chosen_language
from .mail import send_mail
from .models import PendingSignup, User
from .rendering import render
from .urls import external_url
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
    """The client's address (see portal.throttle.client_ip)."""
    return throttle.client_ip()


def _duplicate_errors(form, user_id=None):
    """Add a message to the e-mail / phone field already used by another account (staff and
    account pages only: the public sign-up never says whether an address has an account)."""
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


def _wait_message(seconds):
    return ngettext(
        "Troppi tentativi in poco tempo. Aspetta %(num)d secondo e riprova.",
        "Troppi tentativi in poco tempo. Aspetta %(num)d secondi e riprova.",
        seconds,
    )


_DUMMY_HASH: dict[str, str] = {}


def dummy_password_check(password):
    """Spend the time of a real password check when there is no account (no timing oracle)."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _DUMMY_HASH:
        _DUMMY_HASH[method] = generate_password_hash(secrets.token_urlsafe(16), method=method)
    check_password_hash(_DUMMY_HASH[method], password)
    return False


def _signup_token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _signup_max_age():
    return timedelta(hours=current_app.config.get("SIGNUP_LINK_HOURS", 48))


def _mail_in(language):
    return force_locale(language or str(get_locale() or "it"))


def start_signup(form):
    """A sign-up with an e-mail address: mail a confirmation link, or, when the address or the
    mobile number already has an account, a mail saying so. The page is the same either way."""
    email = form.email.data.lower()
    phone = form.phone_e164
    language = chosen_language()
    owner = User.get_or_none(User.email == email)
    phone_owner = User.get_or_none(User.phone == phone) if phone else None
    # Hashed in both cases, so the answer takes as long whether or not the address has an account.
    password_hash = generate_password_hash(form.password.data, method=current_app.config["PASSWORD_HASH_METHOD"])
    with _mail_in(language):
        if owner is not None or phone_owner is not None:
            text = (
                _("hai già un account Binari con questo indirizzo e-mail.")
                if owner is not None
                else _("il numero di cellulare che hai scritto è già collegato a un altro account Binari.")
            )
            send_mail(
                email,
                _("Binari: hai già un account"),
                _(
                    "Ciao,\n\nqualcuno (forse tu) ha chiesto di creare un account su Binari, ma %(text)s\n\n"
                    "Per entrare: %(login)s\nSe hai dimenticato la password: %(forgot)s\n"
                    "Oppure chiedi al personale di un centro.\n\n"
                    "Se non sei stata/o tu, ignora questo messaggio.\n\nBinari – Kaleidoscopi Metropolitani",
                    text=text,
                    login=external_url("auth.login"),
                    forgot=external_url("auth.forgot_password"),
                ),
                user=owner,
                kind="account",
            )
            return
        token = secrets.token_urlsafe(32)
        with database().atomic():
            PendingSignup.delete().where(PendingSignup.created_at < utcnow() - _signup_max_age()).execute()
            PendingSignup.create(
                token_hash=_signup_token_hash(token),
                name=form.name.data,
                email=email,
                phone=phone,
                password_hash=password_hash,
                language=language,
            )
        send_mail(
            email,
            _("Binari: conferma il tuo account"),
            _(
                "Ciao,\n\nper attivare il tuo account Binari apri questo link entro %(hours)d ore:\n%(link)s\n\n"
                "Se non l'hai chiesto tu, ignora questo messaggio: senza conferma non viene creato nessun account."
                "\n\nBinari – Kaleidoscopi Metropolitani",
                hours=int(_signup_max_age().total_seconds() // 3600),
                link=external_url("auth.confirm_signup", token=token),
            ),
            sensitive=True,
            kind="account",
        )


def pending_signup(token):
    """The waiting sign-up for a mailed token, or None when unknown or expired."""
    return PendingSignup.get_or_none(
        (PendingSignup.token_hash == _signup_token_hash(token))
        & (PendingSignup.created_at >= utcnow() - _signup_max_age())
    )


def complete_signup(pending):
    """Create the account of a confirmed sign-up; None when the address was taken meanwhile."""
    try:
        with database().atomic():
            user = User.create_account(
                pending.name, "unused", email=pending.email, phone=pending.phone, language=pending.language
            )
            user.password_hash = pending.password_hash
            user.save()
            PendingSignup.delete().where(PendingSignup.email == pending.email).execute()
    except IntegrityError:
        return None
    return user


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create a resident account with an e-mail address (confirmed by a link) or a mobile number."""
    if current_user.is_authenticated:
        return redirect(url_for("account.index"))
    form = RegisterForm()
    if request.method == "GET":
        return render("auth/register.html", form=form)
    if not form.validate():
        return render("auth/register.html", form=form, status=422)
    cfg = current_app.config
    key = (form.email.data or "").lower() or form.phone_e164
    wait = throttle.attempt(
        "register", key, key_limit=cfg["RESET_MAX_PER_ADDRESS"], ip_limit=cfg["REGISTER_MAX_PER_IP"]
    )
    if wait:
        form.password.errors.append(_wait_message(wait))
        return render("auth/register.html", form=form, status=429)
    if form.email.data:
        start_signup(form)
        return render("auth/register_sent.html", email=form.email.data.lower())
    # Only a mobile number: no mail to confirm with, so the account is made at once. A number that
    # already has an account gets a neutral answer (the sign-up limits keep this from being a search).
    user = None
    if User.select().where(User.phone == form.phone_e164).exists():
        dummy_password_check(form.password.data)  # as long as hashing a new account's password
    else:
        try:
            with database().atomic():
                user = User.create_account(
                    form.name.data, form.password.data, phone=form.phone_e164, language=chosen_language()
                )
        except IntegrityError:  # two identical sign-ups at the same instant
            user = None
    if user is None:
        form.phone.errors.append(
            _(
                "Non possiamo creare un account con questo numero. Se hai già un account, accedi; "
                "se non ricordi la password, chiedi al personale di un centro."
            )
        )
        return render("auth/register.html", form=form, status=422)
    login_user(user)
    flash(_("Benvenuta/o! Il tuo codice tessera è %(code)s.", code=user.member_code), "success")
    return redirect(url_for("account.index"))


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_signup(token):
    """Confirm a sign-up from the mailed link (the GET shows a button; the POST creates the account)."""
    pending = pending_signup(token)
    if pending is None:
        return render("auth/signup_invalid.html", status=400)
    if request.method == "GET":
        return render("auth/signup_confirm.html", pending=pending, form=ConfirmForm())
    if not ConfirmForm().validate():
        return render("auth/signup_confirm.html", pending=pending, form=ConfirmForm(), status=400)
    user = complete_signup(pending)
    if user is None:
        flash(_("Questo indirizzo ha già un account: accedi, o chiedi una nuova password."), "info")
        return redirect(url_for(".login"))
    login_user(user)
    flash(_("Benvenuta/o! Il tuo codice tessera è %(code)s.", code=user.member_code), "success")
    return redirect(url_for("account.index"))


def _tell_about_staff_action(user):
    """Tell the person, once, at their next login, what staff did to their account."""
    if user.security_notice == "desk_reset":
        flash(
            _(
                "La tua password è stata cambiata allo sportello da una persona del personale. "
                "Se non l'hai chiesto tu, parlane subito con un centro."
            ),
            "warning",
        )
    User.update(security_notice="").where(User.id == user.id).execute()


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with e-mail, mobile number or member code, and a password."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
        return render("auth/login.html", form=form)
    if not form.validate():
        return render("auth/login.html", form=form, status=422)
    cfg = current_app.config
    user = User.find_by_login(form.identifier.data)
    # One counter per account whichever way it was typed (e-mail, any phone format, member
    # code); unknown identifiers are counted by their normalised form, and answered the same way.
    key = throttle.login_key(form.identifier.data, user)
    wait = throttle.attempt(
        "login", key, key_limit=cfg["LOGIN_MAX_FAILURES"], ip_limit=cfg["LOGIN_MAX_FAILURES_PER_IP"]
    )
    if wait:  # the password is not even looked at: no guess is spent, none is gained
        form.password.errors.append(_wait_message(wait))
        return render("auth/login.html", form=form, status=429)
    right = user.check_password(form.password.data) if user else dummy_password_check(form.password.data)
    if not right or not user.is_active:  # the attempt stays counted
        form.password.errors.append(_("Dati di accesso non corretti. Controlla e riprova."))
        return render("auth/login.html", form=form, status=422)
    throttle.clear("login", key)
    login_user(user, remember=form.remember.data)
    if user.security_notice:
        _tell_about_staff_action(user)
    return redirect(safe_next(form.next.data, url_for("account.index")))


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out (POST only): every session of the account ends on the server too."""
    if current_user.is_authenticated:
        current_user.end_sessions()
    logout_user()
    flash(_("Sei uscita/o. A presto!"), "info")
    response = redirect(url_for("sites.home"))
    # The card and "Le mie cose" kept offline by the service worker (portal/pwa.py) go with the session.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


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


def send_reset_link(user):
    """Mail the account a link to choose a new password (from BASE_URL, never the request)."""
    link = external_url("auth.reset_password", token=make_reset_token(user))
    hours = current_app.config["PASSWORD_RESET_MAX_AGE"] // 3600
    # In the account's language: the person reading the mail may not be the one asking.
    with _mail_in(user.language):
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


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link by e-mail (people without e-mail are helped at a desk)."""
    form = ForgotPasswordForm()
    if request.method == "GET":
        return render("auth/forgot.html", form=form)
    if not form.validate():
        return render("auth/forgot.html", form=form, status=422)
    cfg = current_app.config
    email = form.email.data.lower()
    # Counted per address asked for (existing or not) and per client: the same answer either way.
    wait = throttle.attempt("forgot", email, key_limit=cfg["RESET_MAX_PER_ADDRESS"], ip_limit=cfg["RESET_MAX_PER_IP"])
    if wait:
        form.email.errors.append(_wait_message(wait))
        return render("auth/forgot.html", form=form, status=429)
    user = User.get_or_none(User.email == email)
    if user is not None and user.is_active:
        send_reset_link(user)
    # Same answer whether or not the address exists: no account discovery.
    return render("auth/forgot_sent.html")


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
        user.end_sessions()
        throttle.clear("login", f"user:{user.id}")
        login_user(user)
        flash(_("Password cambiata."), "success")
        return redirect(url_for("account.index"))
    return render("auth/reset.html", form=form)
