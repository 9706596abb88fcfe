"""Coordinator pages (staff), under /staff/volunteer: opportunities and shifts (also repeating),
changes that tell everyone, rosters (page, PDF, CSV) per shift and per day, attendance,
walk-ins, messages, the people to phone, and the volunteer directory.

The pages used to live under /volunteer/manage: those addresses answer with a permanent
redirect (301, or 308 for the routes that take POST, so a posted form still arrives)."""

from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import fn
from playhouse.flask_utils import get_object_or_404

from portal.auth import managed_site_ids, require_manage, staff_required
from portal.clock import local_date, local_day_bounds, to_local, today_local, utcnow
from portal.models import Site, User
from portal.moved import moved
from portal.pdf import pdf_response, render_pdf
from portal.rendering import render
from portal.robust import day_from

from . import bp, documents, services
from .choices import LANGUAGES, SKILLS, label_map
from .forms import CancelShiftForm, EditShiftForm, MessageForm, NewShiftForm, OpportunityForm, WalkInForm
from .models import ACTIVE, WAITLIST, Notice, Opportunity, Shift, Signup, codes_of
from .services import STAFF_PREFIX, SignupError

OLD_PREFIX = "/volunteer/manage"
DIRECTORY_LIMIT = 100  # a phone-sized page; filters narrow it down


def staff_route(rule, methods=("GET",)):
    """Register a staff view at STAFF_PREFIX + rule, and its old address as a permanent redirect."""
    methods = list(methods)

    def decorator(view):
        endpoint = view.__name__
        bp.add_url_rule(STAFF_PREFIX + rule, endpoint, view, methods=methods)
        moved(bp, OLD_PREFIX + rule, f"volunteer.{endpoint}", methods=methods)
        return view

    return decorator


def _opportunity(opp_id):
    opp = get_object_or_404(Opportunity.select(Opportunity, Site).join(Site), Opportunity.id == opp_id)
    require_manage(opp.site_id)
    return opp


def _shift(shift_id):
    shift = get_object_or_404(Shift.select(Shift, Opportunity, Site).join(Opportunity).join(Site), Shift.id == shift_id)
    require_manage(shift.opportunity.site_id)
    return shift


@staff_route("")
@staff_required
def manage():
    """Coordination: my centres' opportunities, the coming shifts with their numbers, whom to phone."""
    site_ids = managed_site_ids()
    opportunities = list(
        Opportunity.select(Opportunity, Site)
        .join(Site)
        .where(Opportunity.site.in_(site_ids))
        .order_by(Site.position, Opportunity.title)
    )
    now = utcnow()
    shifts = list(
        Shift.select(Shift, Opportunity, Site)
        .join(Opportunity)
        .join(Site)
        .where(Opportunity.site.in_(site_ids) & (Shift.ends_at > now) & (Shift.starts_at < now + timedelta(days=21)))
        .order_by(Shift.starts_at)
        .limit(200)
    )
    calls = Notice.select().where(Notice.site.in_(site_ids) & Notice.done_at.is_null()).count()
    return render(
        "volunteer/staff/index.html",
        opportunities=opportunities,
        shifts=shifts,
        counts=_counts([s.id for s in shifts]),
        calls=calls,
        sites=list(current_user.managed_sites()),
        today=today_local(),
    )


def _counts(shift_ids):
    """{shift_id: {"waitlist": n, "unconfirmed": n}} in one grouped query."""
    counts = {}
    if not shift_ids:
        return counts
    rows = (
        Signup.select(Signup.shift, Signup.status, Signup.confirmed, fn.COUNT(Signup.id).alias("n"))
        .where(Signup.shift.in_(shift_ids) & Signup.status.in_([ACTIVE, WAITLIST]))
        .group_by(Signup.shift, Signup.status, Signup.confirmed)
        .tuples()
    )
    for shift_id, status, confirmed, n in rows:
        entry = counts.setdefault(shift_id, {"waitlist": 0, "unconfirmed": 0})
        if status == WAITLIST:
            entry["waitlist"] += n
        elif not confirmed:
            entry["unconfirmed"] += n
    return counts


# --- opportunities ----------------------------------------------------------------------------
def _opportunity_form(formdata=True, **data):
    form = OpportunityForm(**data) if formdata else OpportunityForm(formdata=None, **data)
    form.site.choices = [(s.id, s.name) for s in current_user.managed_sites()]
    staff = User.select().where(User.role.in_(["staff", "admin"]) & User.is_active_account).order_by(User.name)
    form.coordinator.choices = [(0, _("Nessuno"))] + [(u.id, u.name) for u in staff]
    return form


def _opportunity_values(form):
    require_manage(form.site.data)
    return {name: form[name].data for name in form._fields if name != "csrf_token"}


@staff_route("/opportunities/new", methods=["GET", "POST"])
@staff_required
def opportunity_new():
    """Create a way to help at one of my centres."""
    if request.method == "GET":
        form = _opportunity_form(False, coordinator=current_user.id, is_active=True)
        return render("volunteer/staff/opportunity_form.html", form=form, opp=None)
    form = _opportunity_form()
    if not form.validate():
        return render("volunteer/staff/opportunity_form.html", form=form, opp=None, status=422)
    opp = services.save_opportunity(Opportunity(), **_opportunity_values(form))
    flash(_("Opportunità creata: ora aggiungi i turni."), "success")
    return redirect(url_for(".shift_new", opp_id=opp.id), code=303)


@staff_route("/opportunities/<int:opp_id>", methods=["GET", "POST"])
@staff_required
def opportunity_edit(opp_id):
    """Change an opportunity's description, requirements, coordinator, rules; see its shifts."""
    opp = _opportunity(opp_id)
    if request.method == "POST":
        form = _opportunity_form()
        if form.validate():
            services.save_opportunity(opp, **_opportunity_values(form))
            flash(_("Modifiche salvate."), "success")
            return redirect(url_for(".opportunity_edit", opp_id=opp.id), code=303)
        status = 422
    else:
        form = _opportunity_form(
            False,
            site=opp.site_id,
            title=opp.title,
            activity=opp.activity,
            description=opp.description,
            requirements=opp.requirements,
            skills=codes_of(opp.skills),
            languages=codes_of(opp.languages),
            coordinator=opp.coordinator_id or 0,
            cancel_cutoff_hours=opp.cancel_cutoff_hours,
            max_party=opp.max_party,
            is_active=opp.is_active,
        )
        status = 200
    shifts = list(
        Shift.select()
        .where((Shift.opportunity == opp) & (Shift.ends_at > utcnow()))
        .order_by(Shift.starts_at)
        .limit(100)
    )
    return render(
        "volunteer/staff/opportunity_form.html",
        form=form,
        opp=opp,
        shifts=shifts,
        counts=_counts([s.id for s in shifts]),
        status=status,
    )


# --- shifts --------------------------------------------------------------------------------
def _refused(form, exc):
    """Put a refusal's message on its field (or on the form) for the page."""
    target = getattr(form, exc.field, None) if exc.field else None
    if target is not None:
        target.errors = list(target.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


@staff_route("/opportunities/<int:opp_id>/shifts/new", methods=["GET", "POST"])
@staff_required
def shift_new(opp_id):
    """Add a shift, or a repeating series (e.g. every Saturday until the summer)."""
    opp = _opportunity(opp_id)
    if request.method == "GET":
        return render("volunteer/staff/shift_new.html", form=NewShiftForm(formdata=None, capacity=6), opp=opp)
    form = NewShiftForm()
    if not form.validate():
        return render("volunteer/staff/shift_new.html", form=form, opp=opp, status=422)
    try:
        created = services.create_shifts(
            opp,
            day=form.day.data,
            starts=form.starts.data,
            ends=form.ends.data,
            capacity=form.capacity.data,
            location=form.location.data,
            note=form.note.data,
            repeat=form.repeat.data,
            until=form.until.data,
            skip_closed=form.skip_closed.data,
        )
    except SignupError as exc:
        _refused(form, exc)
        return render("volunteer/staff/shift_new.html", form=form, opp=opp, status=exc.status)
    message = _("Turni creati: %(n)d.", n=created.count)
    if created.skipped:
        days = ", ".join(d.strftime("%d/%m") for d in created.skipped)
        message += " " + _("Saltati i giorni di chiusura: %(days)s.", days=days)
    flash(message, "success")
    return redirect(url_for(".opportunity_edit", opp_id=opp.id), code=303)


@staff_route("/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
@staff_required
def shift_edit(shift_id):
    """Change a shift's time, place or number of places: everyone signed up is told."""
    shift = _shift(shift_id)
    if request.method == "GET":
        start_local, end_local = to_local(shift.starts_at), to_local(shift.ends_at)
        form = EditShiftForm(
            formdata=None,
            day=start_local.date(),
            starts=start_local.time(),
            ends=end_local.time(),
            capacity=shift.capacity,
            location=shift.location,
            note=shift.note,
        )
        return _edit_page(shift, form)
    form = EditShiftForm()
    if not form.validate():
        return _edit_page(shift, form, status=422)
    try:
        result = services.edit_shift(
            shift,
            day=form.day.data,
            starts=form.starts.data,
            ends=form.ends.data,
            capacity=form.capacity.data,
            location=form.location.data,
            note=form.note.data,
            message=form.message.data,
            whole_series=form.whole_series.data,
        )
    except SignupError as exc:
        _refused(form, exc)
        return _edit_page(shift, form, status=exc.status)
    message = _(
        "Turni aggiornati: %(n)d. Avvisate per e-mail: %(m)d; da chiamare: %(p)d.",
        n=result.changed,
        m=result.mailed,
        p=result.to_phone,
    )
    if result.kept:
        message += " " + _("%(n)d turni non cambiati: hanno già più iscritti dei posti scelti.", n=result.kept)
    flash(message, "warning" if result.kept else "success")
    return redirect(url_for(".roster", shift_id=shift.id), code=303)


def _edit_page(shift, form, cancel_form=None, status=200):
    cancel_form = cancel_form or CancelShiftForm(formdata=None)
    return render("volunteer/staff/shift_edit.html", form=form, shift=shift, cancel_form=cancel_form, status=status)


@staff_route("/shifts/<int:shift_id>/cancel", methods=["POST"])
@staff_required
def shift_cancel(shift_id):
    """Cancel a shift: everyone signed up (and waiting) is told."""
    shift = _shift(shift_id)
    form = CancelShiftForm()
    if not form.validate():
        return _edit_page(shift, EditShiftForm(formdata=None), cancel_form=form, status=422)
    result = services.cancel_shift(shift, message=form.message.data, whole_series=form.whole_series.data)
    if not result.changed:
        flash(_("Il turno era già annullato."), "info")
    else:
        flash(
            _(
                "Turni annullati: %(n)d. Avvisate per e-mail: %(m)d; da chiamare: %(p)d.",
                n=result.changed,
                m=result.mailed,
                p=result.to_phone,
            ),
            "success",
        )
    return redirect(url_for(".roster", shift_id=shift.id), code=303)


# --- roster --------------------------------------------------------------------------------------
def _roster_page(shift, walkin_form=None, status=200, **extra):
    signups = services.live_signups(shift)
    return render(
        "volunteer/staff/roster.html",
        shift=shift,
        active=[s for s in signups if s.status == ACTIVE],
        waiting=[s for s in signups if s.status == WAITLIST],
        day_iso=local_date(shift.starts_at).isoformat(),
        walkin_form=walkin_form or WalkInForm(formdata=None, arrived=shift.has_started),
        status=status,
        **extra,
    )


@staff_route("/shifts/<int:shift_id>")
@staff_required
def roster(shift_id):
    """A shift's roster: who is coming, waitlist, attendance, walk-ins, message, print."""
    return _roster_page(_shift(shift_id))


@staff_route("/signups/<int:signup_id>", methods=["POST"])
@staff_required
def signup_action(signup_id):
    """Coordinator on one sign-up: confirm, cancel, move to the waitlist, promote now."""
    signup = get_object_or_404(Signup, Signup.id == signup_id)
    shift = _shift(signup.shift_id)
    action = request.form.get("action")
    if action == "confirm":
        services.confirm_signup(signup)
        flash(_("%(name)s: iscrizione confermata.", name=signup.name), "success")
    elif action == "cancel":
        services.remove_signup(signup, shift)
        flash(_("%(name)s: iscrizione disdetta.", name=signup.name), "success")
    elif action == "waitlist":
        if services.waitlist_signup(signup, shift):
            flash(_("%(name)s è ora in lista d'attesa.", name=signup.name), "success")
    elif action == "promote":
        try:
            services.promote_signup(signup, shift)
        except SignupError as exc:
            flash(exc.message, "error")
            return _roster_page(_shift(shift.id), walkin_form=WalkInForm(formdata=None), status=exc.status)
        flash(_("%(name)s ora è iscritta/o al turno.", name=signup.name), "success")
    else:
        abort(400)
    return redirect(url_for(".roster", shift_id=shift.id), code=303)


@staff_route("/shifts/<int:shift_id>/attendance", methods=["POST"])
@staff_required
def attendance(shift_id):
    """Mark who came: present people get the shift's hours on their record."""
    shift = _shift(shift_id)
    present = {int(x) for x in request.form.getlist("present") if x.isdigit()}
    came = services.mark_attendance(shift, present)
    flash(_("Presenze salvate: %(n)d presenti.", n=came), "success")
    return redirect(url_for(".roster", shift_id=shift.id), code=303)


@staff_route("/shifts/<int:shift_id>/walk-in", methods=["POST"])
@staff_required
def walk_in(shift_id):
    """Add someone who came without signing up (marked present), or sign someone up by phone."""
    shift = _shift(shift_id)
    form = WalkInForm()
    error = None
    if form.validate():
        try:
            services.add_walk_in(
                shift, name=form.name.data, phone=form.phone.e164, party=form.party.data, arrived=form.arrived.data
            )
        except SignupError as exc:
            error = exc.message
        else:
            flash(_("%(name)s aggiunta/o al turno.", name=form.name.data), "success")
            return redirect(url_for(".roster", shift_id=shift.id), code=303)
    return _roster_page(_shift(shift.id), walkin_form=form, walkin_error=error, status=422)


@staff_route("/shifts/<int:shift_id>/message", methods=["GET", "POST"])
@staff_required
def message(shift_id):
    """Write to everyone on a shift: e-mail where there is an address, a list to phone for the rest."""
    shift = _shift(shift_id)
    form = MessageForm() if request.method == "POST" else MessageForm(formdata=None)
    if request.method == "POST" and form.validate():
        mailed, to_phone = services.message_shift(
            shift, form.subject.data, form.body.data, include_waitlist=form.include_waitlist.data
        )
        return render("volunteer/staff/message_sent.html", shift=shift, mailed=mailed, to_phone=to_phone)
    return render(
        "volunteer/staff/message.html", form=form, shift=shift, status=422 if request.method == "POST" else 200
    )


@staff_route("/shifts/<int:shift_id>/roster.csv")
@staff_required
def roster_csv(shift_id):
    """The shift's roster as a spreadsheet."""
    shift = _shift(shift_id)
    return documents.csv_response(documents.roster_rows([shift.id]), f"turno-{shift.id}.csv")


@staff_route("/shifts/<int:shift_id>/roster.pdf")
@staff_required
def roster_pdf(shift_id):
    """The shift's printable roster: names, phones, blank lines for walk-ins."""
    shift = _shift(shift_id)
    rows = documents.roster_rows([shift.id])
    data = render_pdf(
        "volunteer/staff/roster_pdf.html",
        groups=[(shift, rows)],
        site=shift.opportunity.site,
        title=shift.opportunity.title,
    )
    return pdf_response(data, f"registro-turno-{shift.id}.pdf")


def _day(slug, day):
    site = get_object_or_404(Site, Site.slug == slug)
    require_manage(site.id)
    wanted = day_from(day)  # not a day, or beyond a century from today: 400 with a message
    start, end = local_day_bounds(wanted)
    shifts = list(
        Shift.select(Shift, Opportunity, Site)
        .join(Opportunity)
        .join(Site)
        .where((Opportunity.site == site) & (Shift.starts_at >= start) & (Shift.starts_at < end))
        .order_by(Shift.starts_at)
    )
    return site, wanted, shifts


def _day_groups(shifts):
    rows = documents.roster_rows([s.id for s in shifts])
    return [(s, [r for r in rows if r.shift_id == s.id]) for s in shifts]


@staff_route("/day/<slug>/<day>")
@staff_required
def day(slug, day):
    """Every shift of a day at a centre, with the day's roster to print."""
    site, wanted, shifts = _day(slug, day)
    return render(
        "volunteer/staff/day.html",
        site=site,
        day=wanted,
        groups=_day_groups(shifts),
        prev_day=wanted - timedelta(days=1),
        next_day=wanted + timedelta(days=1),
    )


@staff_route("/day/<slug>/<day>.pdf")
@staff_required
def day_pdf(slug, day):
    """The day's roster to print: one section per shift."""
    site, wanted, shifts = _day(slug, day)
    data = render_pdf("volunteer/staff/roster_pdf.html", groups=_day_groups(shifts), site=site, title=None, day=wanted)
    return pdf_response(data, f"registro-{site.slug}-{wanted.isoformat()}.pdf")


@staff_route("/day/<slug>/<day>.csv")
@staff_required
def day_csv(slug, day):
    """The day's roster as a spreadsheet."""
    site, wanted, shifts = _day(slug, day)
    rows = documents.roster_rows([s.id for s in shifts])
    return documents.csv_response(rows, f"registro-{site.slug}-{wanted.isoformat()}.csv")


# --- people to phone, directory ------------------------------------------------------------------------
@staff_route("/calls")
@staff_required
def calls():
    """Volunteering's people to phone: now the one staff phone list, filtered (permanent redirect)."""
    return redirect(url_for("phone.page", area="volunteer"), 301)


@staff_route("/calls/<int:notice_id>/done", methods=["POST"])
@staff_required
def call_done(notice_id):
    """Mark a call as made."""
    notice = get_object_or_404(Notice, Notice.id == notice_id)
    require_manage(notice.site_id)
    services.mark_call_done(notice, current_user)
    return redirect(url_for(".calls"), code=303)


@staff_route("/directory")
@staff_required
def directory():
    """Volunteers of a centre (who served or chose it), filterable by skill and language."""
    sites = list(current_user.managed_sites())
    site = next((s for s in sites if s.slug == request.args.get("site")), sites[0] if sites else None)
    if site is None:
        abort(403)
    skill = request.args.get("skill") if request.args.get("skill") in label_map(SKILLS) else ""
    language = request.args.get("language") if request.args.get("language") in label_map(LANGUAGES) else ""
    people, minutes = services.directory(site, skill=skill, language=language, limit=DIRECTORY_LIMIT)
    return render(
        "volunteer/staff/directory.html",
        block="results",
        sites=sites,
        site=site,
        skill=skill,
        language=language,
        people=people,
        minutes=minutes,
        skills=SKILLS,
        languages=LANGUAGES,
        limit=DIRECTORY_LIMIT,
    )


@staff_route("/people/<int:user_id>/certificate.pdf")
@staff_required
def person_certificate(user_id):
    """Print a volunteer's certificate at the desk (for people without a phone or a printer).

    Staff may print it for people who served at one of their centres.
    """
    person = get_object_or_404(User, User.id == user_id)
    rows = documents.served_rows(person.id)
    if not rows:
        abort(404)
    if not any(current_user.can_manage(s.shift.opportunity.site_id) for s in rows):
        abort(403)
    return documents.certificate_response(person, rows)
