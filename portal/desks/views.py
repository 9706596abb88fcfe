"""Public and member pages: the desks, booking a slot, my appointments, the guest's link, the ICS feed.

The staff pages (`staff_views`) share this module's blueprint: one `desks` blueprint per area.
"""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from portal.clock import local_date, today_local, utcnow
from portal.ics import calendar_bytes, calendar_response
from portal.models import Site
from portal.mythings import or_account
from portal.pagecache import public_page
from portal.rendering import render

from . import services
from .forms import BookForm, GuestBookForm, WaitForm
from .models import LANGUAGES, TOPICS, Appointment, Desk, DeskCalendarToken
from .services import DeskRefusal

bp = Blueprint("desks", __name__)

#: Days of free slots shown on a desk's page before "show every day".
FIRST_DAYS = 5


def _grouped(slots):
    """[(Milan day, [slots])] in time order."""
    days = {}
    for slot in slots:
        days.setdefault(local_date(slot.starts_at), []).append(slot)
    return list(days.items())


@bp.route("/sportelli")
@public_page
def index():
    """Every desk of the three centres, filtered by centre, topic and language, with its next free times."""
    sites = list(Site.ordered())
    slug, topic, language = request.args.get("site", ""), request.args.get("topic", ""), request.args.get("lang", "")
    site = next((s for s in sites if s.slug == slug), None)
    topic = topic if topic in TOPICS else ""
    language = language if language in LANGUAGES else ""
    desks = services.desks_listing(site.id if site else None, topic, language)
    free = services.free_slots([d.id for d in desks if d.by_appointment])
    return render(
        "desks/index.html",
        block="results",
        sites=sites,
        site=site,
        topic=topic,
        language=language,
        desks=desks,
        free={desk_id: slots[:3] for desk_id, slots in free.items()},
        topics=TOPICS,
        languages=LANGUAGES,
    )


def _detail(desk, form, status=200, error=None):
    slots = services.free_slots([desk.id], until=utcnow() + timedelta(days=desk.advance_days + 1)).get(desk.id, [])
    days = _grouped(slots)
    show_all = bool(request.args.get("tutti")) or request.method == "POST"
    return render(
        "desks/detail.html",
        status=status,
        desk=desk,
        form=form,
        days=days if show_all else days[:FIRST_DAYS],
        more=not show_all and len(days) > FIRST_DAYS,
        error=error,
        wait_form=WaitForm(formdata=None, day=today_local() + timedelta(days=1)),
        topics=TOPICS,
        languages=LANGUAGES,
    )


def _active_desk(desk_id):
    return get_object_or_404(Desk.select(Desk, Site).join(Site), (Desk.id == desk_id) & Desk.active)


def _book_form():
    return BookForm() if current_user.is_authenticated else GuestBookForm()


@bp.route("/sportelli/<int:desk_id>")
@public_page
def detail(desk_id):
    """A desk: what it helps with, what to bring, its languages, and its free times to book."""
    desk = _active_desk(desk_id)
    return _detail(desk, _book_form())


@bp.route("/sportelli/<int:desk_id>/prenota", methods=["POST"])
def book(desk_id):
    """Book the chosen time: members in one tap, guests with a name and a phone or e-mail."""
    desk = _active_desk(desk_id)
    form = _book_form()
    if not form.validate():
        return _detail(desk, form, status=422)
    user = current_user._get_current_object() if current_user.is_authenticated else None
    try:
        appointment = services.book(
            desk,
            form.slot.data,
            user=user,
            guest_name=getattr(form, "guest_name", None) and form.guest_name.data or "",
            guest_phone=getattr(form, "guest_phone", None) and (form.guest_phone.e164 or "") or "",
            guest_email=getattr(form, "guest_email", None) and (form.guest_email.data or "") or "",
            subject=form.subject.data or "",
            language=str(get_locale() or "it"),
        )
    except DeskRefusal as exc:
        if exc.field and exc.field in form:
            form[exc.field].errors.append(exc.message)
            return _detail(desk, form, status=exc.status)
        return _detail(desk, form, status=exc.status, error=exc.message)
    flash(_("Appuntamento prenotato."), "success")
    if user is None:
        return redirect(url_for(".guest_cancel", token=appointment.token), 303)
    return redirect(url_for(".my_appointments", _anchor=f"appuntamento-{appointment.id}"), 303)


@bp.route("/sportelli/<int:desk_id>/attesa", methods=["POST"])
@login_required
def wait(desk_id):
    """Ask to be told when a time frees up on a day."""
    desk = _active_desk(desk_id)
    form = WaitForm()
    if form.validate():
        try:
            services.join_waitlist(desk, form.day.data, current_user._get_current_object())
        except DeskRefusal as exc:
            form.day.errors.append(exc.message)
        else:
            flash(_("Ti avvisiamo se quel giorno si libera un orario."), "success")
            return redirect(url_for(".detail", desk_id=desk.id), 303)
    response = _detail(desk, _book_form(), status=422, error=" ".join(str(e) for e in form.day.errors))
    return response


@bp.route("/account/sportelli")
@login_required
def my_appointments():
    """My appointments at the help desks, with cancelling and the calendar link."""
    appointments = services.my_appointments(current_user)
    now = utcnow()
    upcoming = [a for a in appointments if a.slot.ends_at >= now and a.status != "cancelled"][::-1]
    past = [a for a in appointments if a not in upcoming]
    token = DeskCalendarToken.get_or_none(DeskCalendarToken.user == current_user.id)
    return render(
        "desks/my_appointments.html",
        upcoming=upcoming,
        past=past,
        token=token,
        now=now,
        cutoff=services.cutoff,
        waits=services.my_waits(current_user),
    )


@bp.route("/account/sportelli/<int:appointment_id>/annulla", methods=["POST"])
@login_required
def cancel(appointment_id):
    """Cancel my appointment (until the desk's cut-off)."""
    appointment = Appointment.get_or_none((Appointment.id == appointment_id) & (Appointment.user == current_user.id))
    if appointment is None:
        abort(404)
    try:
        services.cancel(appointment)
    except DeskRefusal as exc:
        flash(exc.message, "error")
    else:
        flash(_("Appuntamento annullato."), "success")
    return or_account(redirect(url_for(".my_appointments"), 303))


@bp.route("/account/sportelli/attesa/<int:entry_id>/togli", methods=["POST"])
@login_required
def leave_wait(entry_id):
    """Stop being told about free times on a day."""
    if not services.leave_waitlist(entry_id, current_user._get_current_object()):
        abort(404)
    flash(_("Non ti avviseremo più per quel giorno."), "success")
    return or_account(redirect(url_for(".my_appointments"), 303))


@bp.route("/account/sportelli/calendario", methods=["POST"])
@login_required
def calendar_token():
    """Create (or replace) the private link of my appointments' calendar."""
    DeskCalendarToken.for_user(current_user.id, renew=True)
    flash(_("Link del calendario pronto."), "success")
    return redirect(url_for(".my_appointments", _anchor="calendario"), 303)


@bp.route("/sportelli/calendario/<token>.ics")
def ics(token):
    """My appointments as an iCalendar feed (private link)."""
    row = DeskCalendarToken.get_or_none(DeskCalendarToken.token == token)
    if row is None:
        abort(404)
    body = calendar_bytes(services.calendar_entries(row.user), _("Binari: i miei appuntamenti"))
    return calendar_response(body, "appuntamenti.ics", cache="private, no-cache")


@bp.route("/sportelli/appuntamento/<token>", methods=["GET", "POST"])
def guest_cancel(token):
    """A guest's appointment from the link in the confirmation: see it and cancel it."""
    appointment = Appointment.get_or_none(Appointment.token == token)
    if appointment is None:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            services.cancel(appointment)
        except DeskRefusal as exc:
            error = exc.message
        else:
            flash(_("Appuntamento annullato."), "success")
            return redirect(url_for(".guest_cancel", token=token), 303)
    appointment = Appointment.get_by_id(appointment.id)
    return render(
        "desks/guest.html",
        status=409 if error else 200,
        appointment=appointment,
        error=error,
        can_cancel=appointment.status == "booked" and services.cutoff(appointment) > utcnow(),
    )
