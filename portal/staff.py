"""Staff pages: the desk dashboard, members (assisted sign-up, desk password
reset, membership cards), roles (admin) and the mail outbox."""

import secrets

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import JOIN, IntegrityError, fn
from playhouse.flask_utils import get_object_or_404

from . import areas, audit, staffday
from . import outbox as outbox_delivery
from .auth import _duplicate_errors, admin_required, managed_site_ids, send_reset_link, staff_required
from .clock import local_day_bounds, start_of_local_day
from .db import database
from .forms import AssistedSignupForm, AuditFilterForm, StaffRoleForm
from .models import CODE_ALPHABET, AuditEntry, OutboxMessage, Site, StaffSite, User
from .pdf import pdf_response, qr_data_uri, render_pdf
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
    """Where staff pages start: the day at my centre (or the one asked), then the desk's tools."""
    sites = list(current_user.managed_sites())
    site, day, error = staffday.choose(sites, request.args.get("site"), request.args.get("day"))
    return render(
        "staff/dashboard.html",
        sites=sites,
        area_links=areas.staff_links(),
        day_error=error,
        status=400 if error else 200,
        **staffday.day_context(site, day),
    )


@bp.route("/day.pdf")
@staff_required
def day_sheet():
    """The printable daily sheet of a centre's day (the same as the day page)."""
    sites = list(current_user.managed_sites())
    site, day, error = staffday.choose(sites, request.args.get("site"), request.args.get("day"))
    if error or site is None:
        abort(400 if error else 403)
    data = render_pdf("staff/day_pdf.html", **staffday.day_context(site, day))
    return pdf_response(data, f"giornata-{site.slug}-{day.isoformat()}.pdf")


def _may_help(member):
    """Staff help residents at the desk; only admins touch staff and admin accounts."""
    return current_user.is_admin or member.role == "resident"


def tied_to_my_centres():
    """Condition on User: the accounts tied to the current staff member's centres — a registration,
    booking, loan, sign-up or membership there (each area says which), or created at the desk by
    staff of one of them. None for an admin (everyone)."""
    if current_user.is_admin:
        return None
    site_ids = managed_site_ids()
    desk_staff = StaffSite.select(StaffSite.user).where(StaffSite.site.in_(site_ids))
    condition = (User.id == current_user.id) | User.created_by.in_(desk_staff)
    for query in areas.members_at(site_ids):
        condition |= User.id.in_(query)
    return condition


def _member_or_404(member_id):
    """A member page's account, if the current staff member may see it (404 otherwise): tied to
    their centres, or opened with the member code from the card the person hands over (`?code=`)."""
    query = User.select().where(User.id == member_id)
    tied = tied_to_my_centres()
    if tied is not None:
        code = (request.values.get("code") or "").upper().replace(" ", "").replace("-", "")[:12]
        query = query.where(tied | (User.member_code == code) if code else tied)
    return get_object_or_404(query)


def _desk_site():
    """The centre a staff action is recorded at: the staff member's only centre, if just one."""
    sites = list(current_user.managed_sites().limit(2))
    return sites[0] if len(sites) == 1 and not current_user.is_admin else None


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
        tied = tied_to_my_centres()
        if tied is not None:
            # Staff list only people tied to their centres; someone new to the centre is found by
            # the member code on the card they hand over, never by a name or an address.
            cond = (cond & tied) | (User.member_code == code)
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
    member = _member_or_404(member_id)
    role_form = None
    if current_user.is_admin:
        role_form = StaffRoleForm(formdata=None, role=member.role, sites=[link.site_id for link in member.staff_sites])
        role_form.sites.choices = [(s.id, s.name) for s in Site.ordered()]
    return render("staff/member.html", member=member, may_help=_may_help(member), role_form=role_form)


@bp.route("/members/<int:member_id>/card.pdf")
@staff_required
def member_card(member_id):
    """Print a member's card at the desk."""
    member = _member_or_404(member_id)
    if not _may_help(member):
        abort(403)
    data = render_pdf("account/card_pdf.html", member=member, qr=qr_data_uri(member.member_code, scale=6))
    return pdf_response(data, f"tessera-binari-{member.member_code}.pdf")


@bp.route("/members/<int:member_id>/reset-password", methods=["POST"])
@staff_required
def member_reset_password(member_id):
    """Desk password reset for someone without e-mail: a new temporary password, shown once."""
    member = _member_or_404(member_id)
    if not _may_help(member):
        abort(403)
    if member.email:  # they can choose their own: staff send them the link instead
        flash(_("Questa persona ha un indirizzo e-mail: invia il link per scegliere una nuova password."), "error")
        return redirect(url_for(".member", member_id=member.id, code=request.values.get("code") or None)), 303
    password = desk_reset(member)
    return render("staff/member_created.html", member=member, password=password, reset=True)


def desk_reset(member):
    """A new temporary password, recorded in the audit log; the person is told at next login."""
    password = temporary_password()
    with database().atomic():
        member.set_password(password)
        member.security_notice = "desk_reset"
        member.save()
        member.end_sessions()
        audit.record("desk_password_reset", subject_user=member, site=_desk_site(), record=f"user:{member.id}")
    return password


@bp.route("/members/<int:member_id>/send-reset-link", methods=["POST"])
@staff_required
def member_send_reset_link(member_id):
    """Send a person with an e-mail address the link to choose a new password themselves."""
    member = _member_or_404(member_id)
    if not _may_help(member) or not member.email:
        abort(403)
    with database().atomic():
        send_reset_link(member)
        audit.record("reset_link_sent", subject_user=member, site=_desk_site(), record=f"user:{member.id}")
    flash(_("Link inviato a %(email)s.", email=member.email), "success")
    return redirect(url_for(".member", member_id=member.id, code=request.values.get("code") or None)), 303


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


AUDIT_ACTIONS = {
    "desk_password_reset": _l("Password cambiata allo sportello"),
    "reset_link_sent": _l("Link per la password inviato"),
}
AUDIT_PAGE_SIZE = 50


@bp.route("/audit")
@admin_required
def audit_log():
    """Admins: the log of staff actions on personal data, filtered by dates, person and action."""
    form = AuditFilterForm(request.args)
    known = [row.action for row in AuditEntry.select(AuditEntry.action).distinct().order_by(AuditEntry.action)]
    form.action.choices = [("", _("Tutte"))] + [(a, str(AUDIT_ACTIONS.get(a, a))) for a in known]
    if request.args and not form.validate():
        return render("staff/audit.html", form=form, entries=[], page=1, pages=1, labels=AUDIT_ACTIONS, status=422)
    entries, page, pages = audit_entries(form, request.args.get("page", ""))
    return render("staff/audit.html", form=form, entries=entries, page=page, pages=pages, labels=AUDIT_ACTIONS)


def audit_entries(form, page_arg):
    """One page of audit entries matching the filters, newest first, and the page count."""
    Actor, Subject = User.alias(), User.alias()
    query = (
        AuditEntry.select(AuditEntry, Actor, Subject, Site)
        .join(Actor, JOIN.LEFT_OUTER, on=(AuditEntry.actor == Actor.id), attr="actor")
        .switch(AuditEntry)
        .join(Subject, JOIN.LEFT_OUTER, on=(AuditEntry.subject_user == Subject.id), attr="subject_user")
        .switch(AuditEntry)
        .join(Site, JOIN.LEFT_OUTER, on=(AuditEntry.site == Site.id), attr="site")
    )
    if form.start.data:
        query = query.where(AuditEntry.at >= start_of_local_day(form.start.data))
    if form.end.data:
        query = query.where(AuditEntry.at < local_day_bounds(form.end.data)[1])
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    if form.person.data:
        text, code = form.person.data.lower(), form.person.data.upper().replace(" ", "")
        query = query.where(
            fn.LOWER(Actor.name).contains(text)
            | fn.LOWER(Subject.name).contains(text)
            | (Actor.member_code == code)
            | (Subject.member_code == code)
        )
    pages = max(1, -(-query.count() // AUDIT_PAGE_SIZE))
    page = min(max(1, int(page_arg)) if page_arg.isdigit() and len(page_arg) < 6 else 1, pages)
    rows = list(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).paginate(page, AUDIT_PAGE_SIZE))
    return rows, page, pages


@bp.route("/outbox")
@staff_required
def outbox():
    """The last messages about my centres with their delivery status (admins: all, unmasked); links and
    codes are masked for staff."""
    query = OutboxMessage.select().order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if not current_user.is_admin:  # mail with no centre (accounts, passwords) is for admins only
        query = query.where(OutboxMessage.site.in_(managed_site_ids()))
    return render("staff/outbox.html", messages=list(query.limit(100)), masked=not current_user.is_admin)


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@admin_required
def outbox_retry(message_id):
    """Queue a message that failed for good again (admins)."""
    message = get_object_or_404(OutboxMessage, OutboxMessage.id == message_id)
    if outbox_delivery.retry(message):
        flash(_("Messaggio di nuovo in coda: il prossimo invio parte entro un minuto."), "success")
    else:
        flash(_("Questo messaggio non è fallito: non c'è niente da ritentare."), "info")
    return redirect(url_for(".outbox"), code=303)
