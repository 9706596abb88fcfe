"""Coordinator pages (staff): opportunities and shifts (also repeating), changes that
tell everyone, rosters (page, PDF, CSV) per shift and per day, attendance, walk-ins,
messages, the people to phone, and the volunteer directory."""

import csv
import io
import secrets
from datetime import date, datetime, timedelta

from dateutil.rrule import WEEKLY, rrule
from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from peewee import fn
from playhouse.flask_utils import get_object_or_404

from portal.auth import staff_required
from portal.db import database
from portal.models import Site, SiteClosure, User, utcnow
from portal.pdf import pdf_response, render_pdf
from portal.rendering import render

from . import service
from .choices import LANGUAGES, SKILLS, label_map
from .forms import CancelShiftForm, EditShiftForm, MessageForm, NewShiftForm, OpportunityForm, WalkInForm
from .models import ACTIVE, CANCELLED, WAITLIST, Notice, Opportunity, Profile, Shift, Signup, codes_of, csv_codes
from .views import bp

DIRECTORY_LIMIT = 100  # a phone-sized page; filters narrow it down


def _require(site_id):
    if not current_user.can_manage(site_id):
        abort(403)


def _opportunity(opp_id):
    opp = Opportunity.select(Opportunity, Site).join(Site).where(Opportunity.id == opp_id).first()
    if opp is None:
        abort(404)
    _require(opp.site_id)
    return opp


def _shift(shift_id):
    shift = Shift.select(Shift, Opportunity, Site).join(Opportunity).join(Site).where(Shift.id == shift_id).first()
    if shift is None:
        abort(404)
    _require(shift.opportunity.site_id)
    return shift


def _site_ids():
    return [s.id for s in current_user.managed_sites()]


@bp.route("/manage")
@staff_required
def manage():
    """Coordination: my centres' opportunities, the coming shifts with their numbers, whom to phone."""
    site_ids = _site_ids()
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
    counts = _counts([s.id for s in shifts])
    calls = Notice.select().where(Notice.site.in_(site_ids) & Notice.done_at.is_null()).count()
    return render(
        "volunteer/manage/index.html",
        opportunities=opportunities,
        shifts=shifts,
        counts=counts,
        calls=calls,
        sites=list(current_user.managed_sites()),
        today=service.to_local(now).date(),
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


def _save_opportunity(opp, form):
    _require(form.site.data)
    opp.site = form.site.data
    opp.title = form.title.data
    opp.activity = form.activity.data
    opp.description = form.description.data or ""
    opp.requirements = form.requirements.data or ""
    opp.skills = csv_codes(form.skills.data)
    opp.languages = csv_codes(form.languages.data)
    opp.coordinator = form.coordinator.data or None
    opp.cancel_cutoff_hours = 12 if form.cancel_cutoff_hours.data is None else form.cancel_cutoff_hours.data
    opp.max_party = 3 if form.max_party.data is None else form.max_party.data
    opp.is_active = form.is_active.data
    opp.save()


@bp.route("/manage/opportunities/new", methods=["GET", "POST"])
@staff_required
def opportunity_new():
    """Create a way to help at one of my centres."""
    if request.method == "GET":
        form = _opportunity_form(False, coordinator=current_user.id, is_active=True)
        return render("volunteer/manage/opportunity_form.html", form=form, opp=None)
    form = _opportunity_form()
    if not form.validate():
        return render("volunteer/manage/opportunity_form.html", form=form, opp=None, status=422)
    opp = Opportunity()
    with database().atomic():
        _save_opportunity(opp, form)
    flash(_("Opportunità creata: ora aggiungi i turni."), "success")
    return redirect(url_for(".shift_new", opp_id=opp.id))


@bp.route("/manage/opportunities/<int:opp_id>", methods=["GET", "POST"])
@staff_required
def opportunity_edit(opp_id):
    """Change an opportunity's description, requirements, coordinator, rules; see its shifts."""
    opp = _opportunity(opp_id)
    if request.method == "POST":
        form = _opportunity_form()
        if form.validate():
            with database().atomic():
                _save_opportunity(opp, form)
            flash(_("Modifiche salvate."), "success")
            return redirect(url_for(".opportunity_edit", opp_id=opp.id))
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
        "volunteer/manage/opportunity_form.html",
        form=form,
        opp=opp,
        shifts=shifts,
        counts=_counts([s.id for s in shifts]),
        status=status,
    )


# --- shifts --------------------------------------------------------------------------------
def occurrences(first_day, repeat, until):
    """The dates of a shift series: dateutil's rrule, weekly or every two weeks."""
    if not repeat:
        return [first_day]
    interval = 2 if repeat == "biweekly" else 1
    start = datetime.combine(first_day, datetime.min.time())
    return [
        d.date()
        for d in rrule(WEEKLY, interval=interval, dtstart=start, until=datetime.combine(until, datetime.min.time()))
    ]


@bp.route("/manage/opportunities/<int:opp_id>/shifts/new", methods=["GET", "POST"])
@staff_required
def shift_new(opp_id):
    """Add a shift, or a repeating series (e.g. every Saturday until the summer)."""
    opp = _opportunity(opp_id)
    form = NewShiftForm() if request.method == "POST" else NewShiftForm(formdata=None, capacity=6)
    if request.method == "GET":
        return render("volunteer/manage/shift_new.html", form=form, opp=opp)
    if not form.validate():
        return render("volunteer/manage/shift_new.html", form=form, opp=opp, status=422)
    days = occurrences(form.day.data, form.repeat.data, form.until.data)
    skipped = []
    if form.skip_closed.data:
        closed = {
            c.date
            for c in SiteClosure.select(SiteClosure.date).where(
                (SiteClosure.site.is_null() | (SiteClosure.site == opp.site_id))
                & SiteClosure.date.between(days[0], days[-1])
            )
        }
        skipped = [d for d in days if d in closed]
        days = [d for d in days if d not in closed]
    now = utcnow()
    rows = [
        dict(
            opportunity=opp.id,
            starts_at=service.to_utc(d, form.starts.data),
            ends_at=service.to_utc(d, form.ends.data),
            capacity=form.capacity.data,
            location=form.location.data or "",
            note=form.note.data or "",
            series=secrets.token_hex(6) if len(days) > 1 else "",
            taken=0,
            created_at=now,
        )
        for d in days
    ]
    series = rows[0]["series"] if rows else ""
    for row in rows:
        row["series"] = series
    rows = [r for r in rows if r["starts_at"] > now]
    if not rows:
        form.day.errors.append(_("Nessun turno da creare: le date sono passate o il centro è chiuso."))
        return render("volunteer/manage/shift_new.html", form=form, opp=opp, status=422)
    with database().atomic():
        Shift.insert_many(rows).execute()
    message = _("Turni creati: %(n)d.", n=len(rows))
    if skipped:
        message += " " + _(
            "Saltati i giorni di chiusura: %(days)s.", days=", ".join(d.strftime("%d/%m") for d in skipped)
        )
    flash(message, "success")
    return redirect(url_for(".opportunity_edit", opp_id=opp.id))


def _live_signups(shift, include_waitlist=True):
    statuses = [ACTIVE, WAITLIST] if include_waitlist else [ACTIVE]
    return list(
        Signup.select()
        .where((Signup.shift == shift) & Signup.status.in_(statuses))
        .order_by(Signup.status, Signup.created_at, Signup.id)
    )


@bp.route("/manage/shifts/<int:shift_id>/edit", methods=["GET", "POST"])
@staff_required
def shift_edit(shift_id):
    """Change a shift's time, place or number of places: everyone signed up is told."""
    shift = _shift(shift_id)
    start_local, end_local = service.to_local(shift.starts_at), service.to_local(shift.ends_at)
    if request.method == "GET":
        form = EditShiftForm(
            formdata=None,
            day=start_local.date(),
            starts=start_local.time(),
            ends=end_local.time(),
            capacity=shift.capacity,
            location=shift.location,
            note=shift.note,
        )
        return render(
            "volunteer/manage/shift_edit.html", form=form, shift=shift, cancel_form=CancelShiftForm(formdata=None)
        )
    form = EditShiftForm()
    if not form.validate():
        return render(
            "volunteer/manage/shift_edit.html",
            form=form,
            shift=shift,
            cancel_form=CancelShiftForm(formdata=None),
            status=422,
        )
    if shift.is_cancelled:
        form.day.errors.append(_("Questo turno è annullato: creane uno nuovo."))
        return render(
            "volunteer/manage/shift_edit.html",
            form=form,
            shift=shift,
            cancel_form=CancelShiftForm(formdata=None),
            status=409,
        )
    new_start, new_end = service.to_utc(form.day.data, form.starts.data), service.to_utc(form.day.data, form.ends.data)
    result = _apply_edit(shift, new_start, new_end, form)
    if result is None:
        taken = Shift.get_by_id(shift.id).taken
        form.capacity.errors.append(
            _(
                "Ci sono già %(taken)d posti occupati: non puoi scendere a %(n)d. Prima disdici qualcuno o spostalo in "
                "lista d'attesa dal registro del turno.",
                taken=taken,
                n=form.capacity.data,
            )
        )
        return render(
            "volunteer/manage/shift_edit.html",
            form=form,
            shift=shift,
            cancel_form=CancelShiftForm(formdata=None),
            status=422,
        )
    mailed, to_phone = result
    changed, kept = 1, 0
    if form.whole_series.data and shift.series:
        # The following shifts of the series get the same clock times, place, note and places, each on its own day.
        following = list(
            Shift.select(Shift, Opportunity, Site)
            .join(Opportunity)
            .join(Site)
            .where(
                (Shift.series == shift.series)
                & (Shift.opportunity == shift.opportunity_id)
                & (Shift.id != shift.id)
                & (Shift.starts_at > shift.starts_at)
                & Shift.cancelled_at.is_null()
            )
            .order_by(Shift.starts_at)
        )
        for target in following:
            day = service.to_local(target.starts_at).date()
            result = _apply_edit(
                target, service.to_utc(day, form.starts.data), service.to_utc(day, form.ends.data), form
            )
            if result is None:
                kept += 1
                continue
            changed += 1
            mailed, to_phone = mailed + result[0], to_phone + result[1]
    message = _(
        "Turni aggiornati: %(n)d. Avvisate per e-mail: %(m)d; da chiamare: %(p)d.", n=changed, m=mailed, p=to_phone
    )
    if kept:
        message += " " + _("%(n)d turni non cambiati: hanno già più iscritti dei posti scelti.", n=kept)
    flash(message, "warning" if kept else "success")
    return redirect(url_for(".roster", shift_id=shift.id))


def _apply_edit(shift, new_start, new_end, form):
    """Change one shift; tell the promoted and, if time or place changed, everyone on it.

    Returns (mailed, to_phone) counts, or None when the places would drop below those taken.
    """
    time_changed = (new_start, new_end) != (shift.starts_at, shift.ends_at)
    place_changed = (form.location.data or "") != shift.location
    with database().atomic():
        promoted = service.change_capacity(shift, form.capacity.data)
        if promoted is None:
            return None  # nothing was written
        Shift.update(
            starts_at=new_start, ends_at=new_end, location=form.location.data or "", note=form.note.data or ""
        ).where(Shift.id == shift.id).execute()
    service.tell_promoted(promoted)
    if not (time_changed or place_changed or form.message.data):
        return 0, 0
    fresh = _shift(shift.id)
    promoted_ids = {p.id for p in promoted}
    people = [s for s in _live_signups(fresh) if s.id not in promoted_ids]
    mailed, to_phone = service.tell(
        people,
        lambda s: _("Cambio nel turno: %(title)s", title=fresh.opportunity.title),
        lambda s: _(
            "Ciao %(name)s,\n\nil turno %(title)s è cambiato. Ora è: %(when)s%(where)s.\n%(note)s",
            name=s.name,
            title=fresh.opportunity.title,
            when=service.when_text(fresh),
            where=(", " + fresh.location) if fresh.location else "",
            note=form.message.data or "",
        ),
        fresh.opportunity.site_id,
    )
    return len(mailed), len(to_phone)


@bp.route("/manage/shifts/<int:shift_id>/cancel", methods=["POST"])
@staff_required
def shift_cancel(shift_id):
    """Cancel a shift: everyone signed up (and waiting) is told."""
    shift = _shift(shift_id)
    form = CancelShiftForm()
    if not form.validate():
        edit = EditShiftForm(formdata=None)
        return render("volunteer/manage/shift_edit.html", form=edit, shift=shift, cancel_form=form, status=422)
    targets = [shift]
    if form.whole_series.data and shift.series:
        targets = list(
            Shift.select(Shift, Opportunity, Site)
            .join(Opportunity)
            .join(Site)
            .where(
                (Shift.series == shift.series)
                & (Shift.opportunity == shift.opportunity_id)
                & (Shift.starts_at >= shift.starts_at)
                & Shift.cancelled_at.is_null()
            )
            .order_by(Shift.starts_at)
        )
    mailed = to_phone = cancelled = 0
    for target in targets:
        with database().atomic():
            changed = (
                Shift.update(cancelled_at=utcnow())
                .where((Shift.id == target.id) & Shift.cancelled_at.is_null())
                .execute()
            )
        if not changed:
            continue
        cancelled += 1
        told = service.tell(
            _live_signups(target),
            lambda s, t=target: _("Turno annullato: %(title)s", title=t.opportunity.title),
            lambda s, t=target: _(
                "Ciao %(name)s,\n\nil turno %(title)s di %(when)s è annullato. Ci scusiamo.\n%(note)s",
                name=s.name,
                title=t.opportunity.title,
                when=service.when_text(t),
                note=form.message.data or "",
            ),
            shift.opportunity.site_id,
        )
        mailed, to_phone = mailed + len(told[0]), to_phone + len(told[1])
    if not cancelled:
        flash(_("Il turno era già annullato."), "info")
        return redirect(url_for(".roster", shift_id=shift.id))
    flash(
        _("Turni annullati: %(n)d. Avvisate per e-mail: %(m)d; da chiamare: %(p)d.", n=cancelled, m=mailed, p=to_phone),
        "success",
    )
    return redirect(url_for(".roster", shift_id=shift.id))


# --- roster --------------------------------------------------------------------------------------
def _roster_context(shift):
    signups = _live_signups(shift)
    return {
        "shift": shift,
        "active": [s for s in signups if s.status == ACTIVE],
        "waiting": [s for s in signups if s.status == WAITLIST],
        "day_iso": service.to_local(shift.starts_at).date().isoformat(),
    }


@bp.route("/manage/shifts/<int:shift_id>")
@staff_required
def roster(shift_id):
    """A shift's roster: who is coming, waitlist, attendance, walk-ins, message, print."""
    shift = _shift(shift_id)
    return render(
        "volunteer/manage/roster.html",
        walkin_form=WalkInForm(formdata=None, arrived=shift.has_started),
        **_roster_context(shift),
    )


@bp.route("/manage/signups/<int:signup_id>", methods=["POST"])
@staff_required
def signup_action(signup_id):
    """Coordinator on one sign-up: confirm, cancel, move to the waitlist, promote now."""
    signup = get_object_or_404(Signup, Signup.id == signup_id)
    shift = _shift(signup.shift_id)
    action = request.form.get("action")
    if action == "confirm":
        Signup.update(confirmed=True).where(Signup.id == signup.id).execute()
        flash(_("%(name)s: iscrizione confermata.", name=signup.name), "success")
    elif action == "cancel":
        if service.cancel_signup(signup) and not shift.is_cancelled:
            _tell_one(signup, shift, _l_removed)
        flash(_("%(name)s: iscrizione disdetta.", name=signup.name), "success")
    elif action == "waitlist":
        if service.move_to_waitlist(signup):
            _tell_one(signup, shift, _l_waitlisted)
            flash(_("%(name)s è ora in lista d'attesa.", name=signup.name), "success")
    elif action == "promote":
        with database().atomic() as txn:
            ok = shift.reserve(signup.party)
            if ok:
                ok = (
                    Signup.update(status=ACTIVE, promoted_at=utcnow())
                    .where((Signup.id == signup.id) & (Signup.status == WAITLIST))
                    .execute()
                    == 1
                )
                if not ok:
                    txn.rollback()  # not on the waitlist any more: give the places back
        if ok:
            service.tell_promoted([Signup.get_by_id(signup.id)])
            flash(_("%(name)s ora è iscritta/o al turno.", name=signup.name), "success")
        else:
            flash(_("Non ci sono abbastanza posti liberi per %(name)s.", name=signup.name), "error")
            return render(
                "volunteer/manage/roster.html",
                walkin_form=WalkInForm(formdata=None),
                status=409,
                **_roster_context(_shift(shift.id)),
            )
    else:
        abort(400)
    return redirect(url_for(".roster", shift_id=shift.id))


def _l_removed(signup, shift):
    return (
        _("Iscrizione tolta: %(title)s", title=shift.opportunity.title),
        _(
            "Ciao %(name)s,\n\nil coordinamento ha tolto la tua iscrizione al turno %(title)s, %(when)s. "
            "Per chiarimenti chiama il centro: %(phone)s.",
            name=signup.name,
            title=shift.opportunity.title,
            when=service.when_text(shift),
            phone=shift.opportunity.site.phone,
        ),
    )


def _l_waitlisted(signup, shift):
    return (
        _("Sei in lista d'attesa: %(title)s", title=shift.opportunity.title),
        _(
            "Ciao %(name)s,\n\nil coordinamento ha dovuto ridurre i posti del turno %(title)s, %(when)s: "
            "ora sei in lista d'attesa. Se si libera un posto ti avvisiamo.",
            name=signup.name,
            title=shift.opportunity.title,
            when=service.when_text(shift),
        ),
    )


def _tell_one(signup, shift, texts):
    """Tell one person what the coordinator did to their sign-up (in their language)."""
    service.tell([signup], lambda s: texts(s, shift)[0], lambda s: texts(s, shift)[1], shift.opportunity.site_id)


@bp.route("/manage/shifts/<int:shift_id>/attendance", methods=["POST"])
@staff_required
def attendance(shift_id):
    """Mark who came: present people get the shift's hours on their record."""
    shift = _shift(shift_id)
    present = {int(x) for x in request.form.getlist("present") if x.isdigit()}
    ids = [s.id for s in _live_signups(shift, include_waitlist=False)]
    with database().atomic():
        Signup.update(attended=True, minutes_served=shift.minutes).where(
            Signup.id.in_([i for i in ids if i in present])
        ).execute()
        Signup.update(attended=False, minutes_served=0).where(
            Signup.id.in_([i for i in ids if i not in present])
        ).execute()
    flash(_("Presenze salvate: %(n)d presenti.", n=len(present & set(ids))), "success")
    return redirect(url_for(".roster", shift_id=shift.id))


@bp.route("/manage/shifts/<int:shift_id>/walk-in", methods=["POST"])
@staff_required
def walk_in(shift_id):
    """Add someone who came without signing up (marked present), or sign someone up by phone."""
    shift = _shift(shift_id)
    form = WalkInForm()
    error = None
    if form.validate():
        phone = form.phone.normalised
        user = User.get_or_none(User.phone == phone) if phone else None
        try:
            # Unticked "already here": a sign-up taken by phone or at the desk, before the shift.
            service.sign_up(
                shift,
                user=user,
                name=form.name.data,
                phone=phone or "",
                party=form.party.data,
                walk_in=form.arrived.data,
                by_staff=True,
            )
        except service.SignupError as exc:
            error = exc.message
            if exc.full:
                error = _("Il turno è pieno: aumenta i posti (Modifica) per aggiungere chi è venuto.")
        else:
            flash(_("%(name)s aggiunta/o al turno.", name=form.name.data), "success")
            return redirect(url_for(".roster", shift_id=shift.id))
    return render(
        "volunteer/manage/roster.html",
        walkin_form=form,
        walkin_error=error,
        status=422,
        **_roster_context(_shift(shift.id)),
    )


@bp.route("/manage/shifts/<int:shift_id>/message", methods=["GET", "POST"])
@staff_required
def message(shift_id):
    """Write to everyone on a shift: e-mail where there is an address, a list to phone for the rest."""
    shift = _shift(shift_id)
    form = MessageForm() if request.method == "POST" else MessageForm(formdata=None)
    if request.method == "POST" and form.validate():
        people = _live_signups(shift, include_waitlist=form.include_waitlist.data)
        mailed, to_phone = service.tell(
            people,
            lambda s: form.subject.data,
            lambda s: form.body.data + "\n\n— " + shift.opportunity.title + ", " + service.when_text(shift),
            shift.opportunity.site_id,
        )
        return render("volunteer/manage/message_sent.html", shift=shift, mailed=mailed, to_phone=to_phone)
    return render(
        "volunteer/manage/message.html", form=form, shift=shift, status=422 if request.method == "POST" else 200
    )


def _csv_response(rows, filename):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Data"),
            _("Inizio"),
            _("Fine"),
            _("Attività"),
            _("Nome"),
            _("Persone"),
            _("Accompagnatori"),
            _("Cellulare"),
            _("E-mail"),
            _("Stato"),
            _("Confermata"),
            _("Presente"),
        ]
    )
    from flask_babel import format_date, format_time

    for s in rows:
        sh = s.shift
        writer.writerow(
            [
                format_date(sh.starts_at, "dd/MM/y"),
                format_time(sh.starts_at, "HH:mm"),
                format_time(sh.ends_at, "HH:mm"),
                sh.opportunity.title,
                _csv_safe(s.name),
                s.party,
                _csv_safe(s.companions),
                s.phone,
                _csv_safe(s.email),
                _("lista d'attesa") if s.status == WAITLIST else (_("sul posto") if s.walk_in else _("iscritta/o")),
                _("sì") if s.confirmed else _("no"),
                "" if s.attended is None else (_("sì") if s.attended else _("no")),
            ]
        )
    response = make_response("\ufeff" + out.getvalue())  # BOM: Excel opens UTF-8 correctly
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_safe(value):
    """Neutralise spreadsheet formulas typed into a name (CSV injection)."""
    return "'" + value if value and value[0] in "=+-@\t\r" else value


def _roster_rows(shift_ids):
    return list(
        Signup.select(Signup, Shift, Opportunity)
        .join(Shift)
        .join(Opportunity)
        .where(Signup.shift.in_(shift_ids) & Signup.status.in_([ACTIVE, WAITLIST]))
        .order_by(Shift.starts_at, Shift.id, Signup.status, Signup.name)
    )


@bp.route("/manage/shifts/<int:shift_id>/roster.csv")
@staff_required
def roster_csv(shift_id):
    """The shift's roster as a spreadsheet."""
    shift = _shift(shift_id)
    return _csv_response(_roster_rows([shift.id]), f"turno-{shift.id}.csv")


@bp.route("/manage/shifts/<int:shift_id>/roster.pdf")
@staff_required
def roster_pdf(shift_id):
    """The shift's printable roster: names, phones, blank lines for walk-ins."""
    shift = _shift(shift_id)
    rows = _roster_rows([shift.id])
    data = render_pdf(
        "volunteer/roster_pdf.html", groups=[(shift, rows)], site=shift.opportunity.site, title=shift.opportunity.title
    )
    return pdf_response(data, f"registro-turno-{shift.id}.pdf")


def _day(slug, day):
    site = Site.get_or_none(Site.slug == slug)
    if site is None:
        abort(404)
    _require(site.id)
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        abort(404)
    start = service.to_utc(wanted, datetime.min.time())
    end = service.to_utc(wanted + timedelta(days=1), datetime.min.time())
    shifts = list(
        Shift.select(Shift, Opportunity, Site)
        .join(Opportunity)
        .join(Site)
        .where((Opportunity.site == site) & (Shift.starts_at >= start) & (Shift.starts_at < end))
        .order_by(Shift.starts_at)
    )
    return site, wanted, shifts


@bp.route("/manage/day/<slug>/<day>")
@staff_required
def day(slug, day):
    """Every shift of a day at a centre, with the day's roster to print."""
    site, wanted, shifts = _day(slug, day)
    rows = _roster_rows([s.id for s in shifts])
    groups = [(s, [r for r in rows if r.shift_id == s.id]) for s in shifts]
    return render(
        "volunteer/manage/day.html",
        site=site,
        day=wanted,
        groups=groups,
        prev_day=wanted - timedelta(days=1),
        next_day=wanted + timedelta(days=1),
    )


@bp.route("/manage/day/<slug>/<day>.pdf")
@staff_required
def day_pdf(slug, day):
    """The day's roster to print: one section per shift."""
    site, wanted, shifts = _day(slug, day)
    rows = _roster_rows([s.id for s in shifts])
    groups = [(s, [r for r in rows if r.shift_id == s.id]) for s in shifts]
    data = render_pdf("volunteer/roster_pdf.html", groups=groups, site=site, title=None, day=wanted)
    return pdf_response(data, f"registro-{site.slug}-{wanted.isoformat()}.pdf")


@bp.route("/manage/day/<slug>/<day>.csv")
@staff_required
def day_csv(slug, day):
    """The day's roster as a spreadsheet."""
    site, wanted, shifts = _day(slug, day)
    return _csv_response(_roster_rows([s.id for s in shifts]), f"registro-{site.slug}-{wanted.isoformat()}.csv")


# --- people to phone, directory ------------------------------------------------------------------------
@bp.route("/manage/calls")
@staff_required
def calls():
    """People without e-mail to phone about changes, cancellations and promotions."""
    notices = list(
        Notice.select(Notice, Site)
        .join(Site)
        .where(Notice.site.in_(_site_ids()) & Notice.done_at.is_null())
        .order_by(Notice.created_at)
        .limit(300)
    )
    return render("volunteer/manage/calls.html", notices=notices)


@bp.route("/manage/calls/<int:notice_id>/done", methods=["POST"])
@staff_required
def call_done(notice_id):
    """Mark a call as made."""
    notice = get_object_or_404(Notice, Notice.id == notice_id)
    _require(notice.site_id)
    Notice.update(done_at=utcnow(), done_by=current_user.id).where(Notice.id == notice.id).execute()
    return redirect(url_for(".calls"))


@bp.route("/manage/directory")
@staff_required
def directory():
    """Volunteers of a centre (who served or chose it), filterable by skill and language."""
    sites = list(current_user.managed_sites())
    site = next((s for s in sites if s.slug == request.args.get("site")), sites[0] if sites else None)
    if site is None:
        abort(403)
    skill = request.args.get("skill") if request.args.get("skill") in label_map(SKILLS) else ""
    language = request.args.get("language") if request.args.get("language") in label_map(LANGUAGES) else ""
    served_here = (
        Signup.select(Signup.user)
        .join(Shift)
        .join(Opportunity)
        .where((Opportunity.site == site) & Signup.user.is_null(False) & (Signup.status != CANCELLED))
    )
    query = (
        Profile.select(Profile, User)
        .join(User)
        .where(Profile.in_directory & User.is_active_account & ((Profile.site == site) | Profile.user.in_(served_here)))
    )
    if skill:
        query = query.where(Profile.skills.contains(f",{skill},"))
    if language:
        query = query.where(Profile.languages.contains(f",{language},"))
    people = list(query.order_by(User.name).limit(DIRECTORY_LIMIT))
    minutes = {}
    if people:
        minutes = dict(
            Signup.select(Signup.user, fn.SUM(Signup.minutes_served))
            .where(Signup.user.in_([p.user_id for p in people]) & (Signup.attended == True))  # noqa: E712
            .group_by(Signup.user)
            .tuples()
        )
    return render(
        "volunteer/manage/directory.html",
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


@bp.route("/manage/people/<int:user_id>/certificate.pdf")
@staff_required
def person_certificate(user_id):
    """Print a volunteer's certificate at the desk (for people without a phone or a printer).

    Staff may print it for people who served at one of their centres.
    """
    from .views import certificate_response, served_rows

    person = get_object_or_404(User, User.id == user_id)
    rows = served_rows(person.id)
    if not rows:
        abort(404)
    if not any(current_user.can_manage(s.shift.opportunity.site_id) for s in rows):
        abort(403)
    return certificate_response(person, rows)
