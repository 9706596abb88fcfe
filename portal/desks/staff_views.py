"""Staff pages of the help desks, under /staff/desks/…: the operator's day, notes, schedules, the phone list.

Centre staff see a desk's appointments by time and name; only the desk's own operators and admins
open an appointment (its subject and note), and every such read is written to the audit log.
"""

from datetime import date, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from peewee import JOIN
from playhouse.flask_utils import get_object_or_404

from portal.auth import managed_site_ids, staff_required
from portal.clock import today_local, utcnow
from portal.models import Partner, Site, StaffSite, User
from portal.pdf import pdf_response, render_pdf
from portal.rendering import render

from . import services
from .forms import DayForm, DeskForm, MarkForm, MoveForm, NoteForm, ScheduleForm, StaffBookForm
from .models import Appointment, Desk, DeskDay, DeskOperator, Schedule
from .services import DeskRefusal
from .views import bp


def _me():
    return current_user._get_current_object()


def _desk(desk_id):
    """The desk, for staff of its centre and its operators (403 for anyone else)."""
    desk = get_object_or_404(Desk.select(Desk, Site).join(Site), Desk.id == desk_id)
    if not (current_user.can_manage(desk.site_id) or services.is_operator(current_user, desk)):
        abort(403)
    return desk


def _appointment(appointment_id):
    appointment = get_object_or_404(Appointment, Appointment.id == appointment_id)
    _desk(appointment.desk_id)
    return appointment


def _day():
    raw = request.args.get("d")
    if not raw:
        return today_local()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        abort(400)


@bp.route("/staff/desks")
@staff_required
def staff_index():
    """The desks of my centres (and the ones I run), with today's appointments."""
    mine = services.operated_desk_ids(current_user)
    query = Desk.select(Desk, Site).join(Site)
    if not current_user.is_admin:
        query = query.where(Desk.site.in_(managed_site_ids()) | Desk.id.in_(list(mine) or [0]))
    desks = list(query.order_by(Site.position, Desk.position, Desk.name))
    today = {desk.id: len(services.day_list(desk, today_local())) for desk in desks}
    return render("desks/staff/index.html", desks=desks, today=today, mine=mine)


@bp.route("/staff/desks/<int:desk_id>")
@staff_required
def staff_day(desk_id):
    """The operator's day: the list, arrived or no-show, and links to notes, the sheet and booking."""
    desk = _desk(desk_id)
    day = _day()
    return render(
        "desks/staff/day.html",
        desk=desk,
        day=day,
        prev_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        appointments=services.day_list(desk, day),
        operator=services.is_operator(current_user, desk),
        stranded=services.stranded(desk),
        mark_form=MarkForm(formdata=None),
        now=utcnow(),
    )


@bp.route("/staff/desks/<int:desk_id>/giorno.pdf")
@staff_required
def staff_day_pdf(desk_id):
    """The operator's printable day sheet: time, name, contact (for operators), arrived."""
    desk = _desk(desk_id)
    day = _day()
    data = render_pdf(
        "desks/day_pdf.html",
        desk=desk,
        day=day,
        appointments=[a for a in services.day_list(desk, day) if a.status != "cancelled"],
        operator=services.is_operator(current_user, desk),
        now=utcnow(),
    )
    return pdf_response(data, f"sportello-{desk.id}-{day.isoformat()}.pdf")


@bp.route("/staff/desks/appointments/<int:appointment_id>/mark", methods=["POST"])
@staff_required
def staff_mark(appointment_id):
    """Mark that the person arrived, or did not come."""
    appointment = _appointment(appointment_id)
    form = MarkForm()
    day = services.local_date(appointment.slot.starts_at)
    if form.validate():
        try:
            services.mark(appointment, form.status.data, _me())
        except DeskRefusal as exc:
            flash(exc.message, "error")
    else:
        flash(_("Stato non valido."), "error")
    return redirect(url_for(".staff_day", desk_id=appointment.desk_id, d=day.isoformat()), 303)


def _move_form(appointment, formdata=None):
    form = MoveForm(formdata=formdata)
    slots = services.free_slots([appointment.desk_id]).get(appointment.desk_id, [])
    form.slot.choices = [(s.id, format_datetime(s.starts_at, "EEEE d MMMM, HH:mm")) for s in slots[:200]]
    return form


def _appointment_page(appointment, note_form=None, move_form=None, status=200, error=None, revealed=False):
    return render(
        "desks/staff/appointment.html",
        status=status,
        revealed=revealed,
        appointment=appointment,
        desk=appointment.desk,
        note_form=note_form or NoteForm(formdata=None, note=appointment.note),
        move_form=move_form or _move_form(appointment),
        error=error,
        now=utcnow(),
    )


@bp.route("/staff/desks/appointments/<int:appointment_id>")
@staff_required
def staff_appointment(appointment_id):
    """One appointment: time, person, actions; its subject and note open with a button (audited)."""
    appointment = _appointment(appointment_id)
    if not services.is_operator(current_user, appointment.desk_id):
        abort(403)
    return _appointment_page(appointment)


@bp.route("/staff/desks/appointments/<int:appointment_id>/read", methods=["POST"])
@staff_required
def staff_read(appointment_id):
    """Show the subject and private note: writes the audit entry, so it is a POST (a GET never writes)."""
    appointment = _appointment(appointment_id)
    try:
        services.read_private(appointment, _me())
    except DeskRefusal:
        abort(403)
    return _appointment_page(appointment, revealed=True)


@bp.route("/staff/desks/appointments/<int:appointment_id>/note", methods=["POST"])
@staff_required
def staff_note(appointment_id):
    """Save the private note (operators and admins only)."""
    appointment = _appointment(appointment_id)
    if not services.is_operator(current_user, appointment.desk_id):
        abort(403)
    form = NoteForm()
    if not form.validate():
        return _appointment_page(appointment, note_form=form, status=422, revealed=True)
    services.save_note(appointment, form.note.data or "", _me())
    flash(_("Nota salvata."), "success")
    return redirect(url_for(".staff_appointment", appointment_id=appointment.id), 303)


@bp.route("/staff/desks/appointments/<int:appointment_id>/move", methods=["GET", "POST"])
@staff_required
def staff_move(appointment_id):
    """Move an appointment to another free time; the person is told by e-mail or phone."""
    appointment = _appointment(appointment_id)
    form = _move_form(appointment, request.form if request.method == "POST" else None)
    if request.method == "POST":
        if form.validate():
            try:
                services.move(appointment, form.slot.data, _me())
            except DeskRefusal as exc:
                form.slot.errors.append(exc.message)
            else:
                flash(_("Appuntamento spostato: la persona è stata avvisata."), "success")
                moved = Appointment.get_by_id(appointment.id)
                day = services.local_date(moved.slot.starts_at)
                return redirect(url_for(".staff_day", desk_id=appointment.desk_id, d=day.isoformat()), 303)
        return render("desks/staff/move.html", status=422, appointment=appointment, form=form)
    return render("desks/staff/move.html", appointment=appointment, form=form)


@bp.route("/staff/desks/appointments/<int:appointment_id>/cancel", methods=["POST"])
@staff_required
def staff_cancel(appointment_id):
    """Cancel an appointment for the desk; the person is told and the time goes to the waitlist."""
    appointment = _appointment(appointment_id)
    day = services.local_date(appointment.slot.starts_at)
    try:
        services.cancel(appointment, staff=_me())
    except DeskRefusal as exc:
        flash(exc.message, "error")
    else:
        flash(_("Appuntamento annullato: la persona è stata avvisata."), "success")
    return redirect(url_for(".staff_day", desk_id=appointment.desk_id, d=day.isoformat()), 303)


def _staff_book_page(desk, form, status=200, error=None):
    slots = services.free_slots([desk.id]).get(desk.id, [])
    return render("desks/staff/book.html", status=status, desk=desk, form=form, slots=slots[:60], error=error)


@bp.route("/staff/desks/<int:desk_id>/book", methods=["GET", "POST"])
@staff_required
def staff_book(desk_id):
    """Book for someone on the phone or at the counter: a member by card or contact, or a guest."""
    desk = _desk(desk_id)
    form = StaffBookForm()
    if request.method == "GET":
        return _staff_book_page(desk, form)
    if not form.validate():
        return _staff_book_page(desk, form, status=422)
    member = None
    if form.member.data:
        member = User.find_by_login(form.member.data)
        if member is None:
            form.member.errors.append(_("Nessun account con questa tessera, e-mail o cellulare."))
            return _staff_book_page(desk, form, status=422)
    try:
        appointment = services.book(
            desk,
            form.slot.data,
            user=member,
            guest_name=form.guest_name.data or "",
            guest_phone=form.guest_phone.e164 or "",
            guest_email=form.guest_email.data or "",
            subject=form.subject.data or "",
            staff=_me(),
        )
    except DeskRefusal as exc:
        if exc.field and exc.field in form:
            form[exc.field].errors.append(exc.message)
            return _staff_book_page(desk, form, status=exc.status)
        return _staff_book_page(desk, form, status=exc.status, error=exc.message)
    flash(_("Appuntamento prenotato."), "success")
    day = services.local_date(appointment.slot.starts_at)
    return redirect(url_for(".staff_day", desk_id=desk.id, d=day.isoformat()), 303)


def _schedule_form(desk, formdata=None):
    form = ScheduleForm(formdata=formdata)
    operators = User.select().join(DeskOperator).where(DeskOperator.desk == desk.id).order_by(User.name)
    form.operator.choices = [(0, "—")] + [(u.id, u.name) for u in operators]
    return form


def _schedule_page(desk, schedule_form=None, day_form=None, status=200):
    return render(
        "desks/staff/schedule.html",
        status=status,
        desk=desk,
        rules=list(
            Schedule.select(Schedule, User)
            .join(User, JOIN.LEFT_OUTER, on=(Schedule.operator == User.id))
            .where(Schedule.desk == desk.id)
            .order_by(Schedule.weekday, Schedule.starts)
        ),
        days=list(
            DeskDay.select().where((DeskDay.desk == desk.id) & (DeskDay.day >= today_local())).order_by(DeskDay.day)
        ),
        operators=list(User.select().join(DeskOperator).where(DeskOperator.desk == desk.id).order_by(User.name)),
        schedule_form=schedule_form or _schedule_form(desk),
        day_form=day_form or DayForm(formdata=None),
        stranded=services.stranded(desk),
    )


@bp.route("/staff/desks/<int:desk_id>/schedule")
@staff_required
def staff_schedule(desk_id):
    """The desk's weekly schedule, extra sessions and blocked days (closures are skipped by themselves)."""
    return _schedule_page(_desk(desk_id))


@bp.route("/staff/desks/<int:desk_id>/schedule", methods=["POST"])
@staff_required
def staff_schedule_add(desk_id):
    """Add a weekly rule of appointment slots."""
    desk = _desk(desk_id)
    form = _schedule_form(desk, request.form)
    if not form.validate():
        return _schedule_page(desk, schedule_form=form, status=422)
    try:
        services.add_schedule(
            desk,
            form.weekday.data,
            form.starts.data,
            form.ends.data,
            form.slot_minutes.data,
            form.operator.data or None,
        )
    except DeskRefusal as exc:
        form[exc.field or "ends"].errors.append(exc.message)
        return _schedule_page(desk, schedule_form=form, status=exc.status)
    flash(_("Orario aggiunto: gli appuntamenti sono prenotabili."), "success")
    return redirect(url_for(".staff_schedule", desk_id=desk.id), 303)


@bp.route("/staff/desks/<int:desk_id>/schedule/<int:rule_id>/delete", methods=["POST"])
@staff_required
def staff_schedule_delete(desk_id, rule_id):
    """Remove a weekly rule (booked appointments stay: they are listed to be moved)."""
    desk = _desk(desk_id)
    services.remove_schedule(desk, rule_id)
    flash(_("Orario tolto."), "success")
    return redirect(url_for(".staff_schedule", desk_id=desk.id), 303)


@bp.route("/staff/desks/<int:desk_id>/days", methods=["POST"])
@staff_required
def staff_day_add(desk_id):
    """Add an extra session or block a day (the operator is away)."""
    desk = _desk(desk_id)
    form = DayForm()
    if not form.validate():
        return _schedule_page(desk, day_form=form, status=422)
    try:
        services.add_day(
            desk,
            form.day.data,
            form.kind.data,
            form.starts.data,
            form.ends.data,
            form.slot_minutes.data or 30,
            form.reason.data or "",
        )
    except DeskRefusal as exc:
        form[exc.field or "day"].errors.append(exc.message)
        return _schedule_page(desk, day_form=form, status=exc.status)
    flash(_("Giorno salvato."), "success")
    return redirect(url_for(".staff_schedule", desk_id=desk.id), 303)


@bp.route("/staff/desks/<int:desk_id>/days/<int:day_id>/delete", methods=["POST"])
@staff_required
def staff_day_delete(desk_id, day_id):
    """Remove an extra session or unblock a day."""
    desk = _desk(desk_id)
    services.remove_day(desk, day_id)
    flash(_("Giorno tolto."), "success")
    return redirect(url_for(".staff_schedule", desk_id=desk.id), 303)


@bp.route("/staff/desks/phone")
@staff_required
def staff_phone():
    """The desks' people to phone: now the one staff phone list, filtered (permanent redirect)."""
    return redirect(url_for("phone.page", area="desks"), 301)


def _desk_form(desk=None):
    form = DeskForm(obj=desk) if request.method == "GET" and desk else DeskForm()
    sites = list(current_user.managed_sites())
    form.site.choices = [(s.id, s.short_name) for s in sites]
    form.partner.choices = [(0, "—")] + [(p.id, p.name) for p in Partner.select().order_by(Partner.name)]
    site_id = desk.site_id if desk else (form.site.data or (sites[0].id if sites else 0))
    staff = (
        User.select()
        .join(StaffSite, on=(StaffSite.user == User.id))
        .where(StaffSite.site == site_id)
        .order_by(User.name)
    )
    form.operators.choices = [(u.id, u.name) for u in staff]
    if request.method == "GET" and desk:
        form.topics.data = desk.topic_keys
        form.languages.data = desk.language_keys
        form.partner.data = desk.partner_id or 0
        form.operators.data = [row.user_id for row in DeskOperator.select().where(DeskOperator.desk == desk.id)]
    return form


def _desk_values(form):
    return dict(
        name=form.name.data,
        partner=form.partner.data or None,
        topics=",".join(form.topics.data or []),
        languages=",".join(form.languages.data or []) or "it",
        helps_with=form.helps_with.data,
        what_to_bring=form.what_to_bring.data or "",
        mode=form.mode.data,
        drop_in_hours=form.drop_in_hours.data or "",
        cancel_cutoff_hours=form.cancel_cutoff_hours.data,
        max_open_per_person=form.max_open_per_person.data,
        advance_days=form.advance_days.data,
        active=form.active.data,
    )


@bp.route("/staff/desks/new", methods=["GET", "POST"])
@staff_required
def staff_desk_new():
    """Add a help desk to one of my centres."""
    form = _desk_form()
    if request.method == "GET":
        return render("desks/staff/edit.html", form=form, desk=None)
    if not form.validate():
        return render("desks/staff/edit.html", form=form, desk=None, status=422)
    site = Site.get_by_id(form.site.data)
    if not current_user.can_manage(site):
        abort(403)
    try:
        desk = services.save_desk(None, site, _desk_values(form), form.operators.data or [])
    except DeskRefusal as exc:
        form[exc.field or "name"].errors.append(exc.message)
        return render("desks/staff/edit.html", form=form, desk=None, status=exc.status)
    flash(_("Sportello salvato. Ora aggiungi gli orari."), "success")
    return redirect(url_for(".staff_schedule", desk_id=desk.id), 303)


@bp.route("/staff/desks/<int:desk_id>/edit", methods=["GET", "POST"])
@staff_required
def staff_desk_edit(desk_id):
    """Change a desk's page, rules and operators (staff of its centre)."""
    desk = _desk(desk_id)
    if not current_user.can_manage(desk.site_id):
        abort(403)
    form = _desk_form(desk)
    if request.method == "GET":
        return render("desks/staff/edit.html", form=form, desk=desk)
    form.site.data = desk.site_id  # a desk stays at its centre
    if not form.validate():
        return render("desks/staff/edit.html", form=form, desk=desk, status=422)
    try:
        services.save_desk(desk, desk.site, _desk_values(form), form.operators.data or [])
    except DeskRefusal as exc:
        form[exc.field or "name"].errors.append(exc.message)
        return render("desks/staff/edit.html", form=form, desk=desk, status=exc.status)
    flash(_("Sportello salvato."), "success")
    return redirect(url_for(".staff_day", desk_id=desk.id), 303)
