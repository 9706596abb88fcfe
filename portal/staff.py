"""Staff pages: the desk dashboard, members (assisted sign-up, desk password
reset, membership cards), roles (admin) and the mail outbox."""

import secrets

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import IntegrityError, fn
from playhouse.flask_utils import get_object_or_404

from . import areas
from .account import membership_card_response
from .auth import _duplicate_errors, admin_required, staff_required
from .db import database
from .forms import AssistedSignupForm, StaffRoleForm
from .models import CODE_ALPHABET, OutboxMessage, Site, StaffSite, User
from .rendering import render
from .validation import normalise_phone

bp = Blueprint("staff", __name__, url_prefix="/staff")


def temporary_password():
    """Easy to read aloud and type on a phone: three groups of four characters."""
    raw = "".join(secrets.choice(CODE_ALPHABET.lower()) for _ in range(12))
    return "-".join(raw[i : i + 4] for i in range(0, 12, 4))


@bp.route("")
@staff_required
def dashboard():
    """Where staff pages start: my centres and the desk's tools."""
    return render("staff/dashboard.html", sites=list(current_user.managed_sites()), area_links=areas.staff_links())


def _may_help(member):
    """Staff help residents at the desk; only admins touch staff and admin accounts."""
    return current_user.is_admin or member.role == "resident"


@bp.route("/members")
@staff_required
def members():
    """Find a member by code, phone, e-mail or name."""
    q = (request.args.get("q") or "").strip()[:120]
    results = []
    if q:
        code = q.upper().replace(" ", "").replace("-", "")
        phone = normalise_phone(q)
        cond = (
            (User.member_code == code)
            | fn.LOWER(User.email).contains(q.lower())
            | fn.LOWER(User.name).contains(q.lower())
        )
        if phone:
            cond |= User.phone == phone
        results = list(User.select().where(cond).order_by(User.name).limit(50))
    return render("staff/members.html", block="results", q=q, results=results)


@bp.route("/members/new", methods=["GET", "POST"])
@staff_required
def member_new():
    """Assisted sign-up at the desk: the resident leaves with a card and a temporary password."""
    form = AssistedSignupForm()
    if request.method == "POST":
        if form.validate() and _duplicate_errors(form):
            password = temporary_password()
            try:
                with database().atomic():
                    member = User.create_account(
                        form.name.data,
                        password,
                        email=form.email.data,
                        phone=form.phone_e164,
                        created_by=current_user.id,
                    )
            except IntegrityError:
                form.email.errors.append(_("Esiste già un account con questi dati."))
            else:
                return render("staff/member_created.html", member=member, password=password)
        return render("staff/member_new.html", form=form, status=422)
    return render("staff/member_new.html", form=form)


@bp.route("/members/<int:member_id>")
@staff_required
def member(member_id):
    """A member's desk page: details, card, password reset."""
    member = get_object_or_404(User, User.id == member_id)
    role_form = None
    if current_user.is_admin:
        role_form = StaffRoleForm(formdata=None, role=member.role, sites=[link.site_id for link in member.staff_sites])
        role_form.sites.choices = [(s.id, s.name) for s in Site.ordered()]
    return render("staff/member.html", member=member, may_help=_may_help(member), role_form=role_form)


@bp.route("/members/<int:member_id>/card.pdf")
@staff_required
def member_card(member_id):
    """Print a member's card at the desk."""
    member = get_object_or_404(User, User.id == member_id)
    if not _may_help(member):
        abort(403)
    return membership_card_response(member)


@bp.route("/members/<int:member_id>/reset-password", methods=["POST"])
@staff_required
def member_reset_password(member_id):
    """Desk password reset for someone without e-mail: a new temporary password, shown once."""
    member = get_object_or_404(User, User.id == member_id)
    if not _may_help(member):
        abort(403)
    password = temporary_password()
    member.set_password(password)
    member.save()
    return render("staff/member_created.html", member=member, password=password, reset=True)


@bp.route("/members/<int:member_id>/role", methods=["POST"])
@admin_required
def member_role(member_id):
    """Admin: change an account's role and the centres a staff member acts on."""
    member = get_object_or_404(User, User.id == member_id)
    form = StaffRoleForm()
    form.sites.choices = [(s.id, s.name) for s in Site.ordered()]
    if not form.validate():
        return render("staff/member.html", member=member, may_help=True, role_form=form, status=422)
    if member.id == current_user.id and form.role.data != "admin":
        form.role.errors.append(_("Non puoi togliere a te stessa/o il ruolo di amministrazione."))
        return render("staff/member.html", member=member, may_help=True, role_form=form, status=422)
    with database().atomic():
        member.role = form.role.data
        member.save()
        StaffSite.delete().where(StaffSite.user == member).execute()
        if member.role == "staff":
            for site_id in form.sites.data:
                StaffSite.create(user=member, site=site_id)
    flash(_("Ruolo aggiornato."), "success")
    return redirect(url_for(".member", member_id=member.id))


@bp.route("/outbox")
@staff_required
def outbox():
    """The last messages the portal sent (password links are hidden from non-admins)."""
    messages = list(OutboxMessage.select().order_by(OutboxMessage.created_at.desc()).limit(100))
    return render("staff/outbox.html", messages=messages)
