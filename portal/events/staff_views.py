"""Staff pages of the calendar: create, edit, duplicate, publish and cancel
events and series; moderate proposals; registrations, attendance, sign-in
sheet, CSV and the list of people to phone. Only for the centres one manages."""

import secrets
from datetime import timedelta

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from peewee import IntegrityError
from playhouse.flask_utils import get_object_or_404

from portal import csvout
from portal.auth import managed_site_ids, require_manage, staff_required
from portal.clock import local_date, to_local, today_local, utcnow
from portal.i18n import LANGUAGE_NAMES
from portal.images import ImageUploadError
from portal.models import Partner, Room, closed_sites_by_day
from portal.pdf import pdf_response, render_pdf
from portal.refusals import Refusal
from portal.rendering import render

from . import bp
from .drafts import (
    DraftRefused,
    cancel_series,
    delete_draft,
    existing_submission,
    is_duplicate_submission,
    publish_series,
)
from .forms import CancelEventForm, DeskRegistrationForm, EventForm, EventTextForm, RejectForm
from .models import STATUSES, Event, Registration, Series
from .posters import save_poster
from .series import create_series, skipped_dates, update_series
from .services import (
    approve_proposal,
    call_done,
    calls_query,
    cancel_event,
    cancel_registration,
    closed_dates,
    confirm_registration,
    create_event,
    mark_attendance,
    publish_event,
    reject_proposal,
    sign_up,
    update_event,
)
from .texts import delete_text, other_languages, save_text
from .views import render_event


def managed_event_or_403(event_id):
    event = get_object_or_404(Event.with_place(), Event.id == event_id)
    require_manage(event.site_id)
    return event


@bp.route("/staff/events")
@staff_required
def staff_list():
    """Events of my centres: upcoming, drafts, proposals to moderate, people to phone."""
    site_ids = managed_site_ids()
    status = request.args.get("status", "")
    query = Event.with_place().where(Event.site.in_(site_ids))
    if status in STATUSES:
        query = query.where(Event.status == status)
    if request.args.get("when") == "past":
        query = query.where(Event.ends_at < utcnow()).order_by(Event.starts_at.desc())
    else:
        query = query.where(Event.ends_at >= utcnow()).order_by(Event.starts_at)
    events = list(query.limit(100))
    # An event on a day its centre is (now) closed: flagged, so staff move or cancel it.
    closures = (
        closed_sites_by_day(
            min(local_date(e.starts_at) for e in events), max(local_date(e.starts_at) for e in events), site_ids
        )
        if events
        else {}
    )
    on_closed_day = {e.id for e in events if e.site_id in closures.get(local_date(e.starts_at), ())}
    pending = Event.select().where(Event.site.in_(site_ids) & (Event.status == "pending")).count()
    calls = calls_query(site_ids).count()
    this_month = today_local().replace(day=1)
    months = [this_month, (this_month + timedelta(days=32)).replace(day=1)]
    return render(
        "events/staff/list.html",
        events=events,
        on_closed_day=on_closed_day,
        pending=pending,
        calls=calls,
        status_filter=status,
        sites=list(current_user.managed_sites()),
        months=months,
        statuses=STATUSES,
        when=request.args.get("when", ""),
    )


def _choices(form):
    sites = list(current_user.managed_sites())
    form.site.choices = [(s.id, s.name) for s in sites]
    rooms = list(Room.select().where(Room.site.in_([s.id for s in sites])).order_by(Room.site, Room.name))
    names = {s.id: s.short_name for s in sites}
    form.room.choices = [(0, _("Nessuna sala / all'aperto"))] + [
        (r.id, f"{names[r.site_id]} – {r.name}") for r in rooms
    ]
    form.room_sites = {}
    for room in rooms:
        form.room_sites.setdefault(room.site_id, set()).add(room.id)
    form.partner.choices = [(0, _("Nessuno: lo organizza il centro"))] + [
        (p.id, p.name) for p in Partner.select().order_by(Partner.name)
    ]


def _fill_from(form, source, series=None):
    """Prefill a form from an event (edit or duplicate) or a series."""
    for name in (
        "title",
        "description",
        "category",
        "audience",
        "price",
        "capacity",
        "poster_alt",
        "sign_language",
        "subtitles",
        "access_notes",
    ):
        getattr(form, name).data = getattr(source, name)
    form.site.data = source.site_id
    form.room.data = source.room_id or 0
    form.partner.data = source.partner_id or 0
    form.is_free.data = "1" if source.is_free else "0"
    if series is not None:
        form.day.data, form.start_time.data, form.end_time.data = series.first_day, series.start_time, series.end_time
        form.freq.data, form.until.data, form.count.data = series.freq, series.until, series.count
        form.skip_dates.data, form.pauses.data = series.skip_dates, series.pauses
        form.whole_course.data = series.whole_course
    else:
        start, end = to_local(source.starts_at), to_local(source.ends_at)
        form.day.data, form.start_time.data, form.end_time.data = start.date(), start.time(), end.time()
        form.status.data = source.status if source.status in ("published", "draft") else "published"


def _values(form, keep_poster=""):
    """Model values from a valid form (the poster is re-encoded here)."""
    poster = keep_poster
    if form.remove_poster.data:
        poster = ""
    upload = form.poster.data
    if upload is not None and getattr(upload, "filename", ""):
        poster = save_poster(upload)
    values = dict(
        site=form.site.data,
        room=form.room.data or None,
        partner=form.partner.data or None,
        title=form.title.data,
        description=form.description.data,
        category=form.category.data,
        audience=form.audience.data,
        is_free=form.is_free.data == "1",
        price="" if form.is_free.data == "1" else form.price.data,
        capacity=form.capacity.data,
        poster=poster,
        poster_alt=form.poster_alt.data if poster else "",
        sign_language=form.sign_language.data,
        subtitles=form.subtitles.data,
        access_notes=form.access_notes.data,
    )
    if form.with_recurrence and form.freq.data:  # a series' own option, not copied to its dates
        values["whole_course"] = form.whole_course.data
    return values


def _validate(form, keep_poster=""):
    """Validate, check the site, store the poster; returns values or None (errors in the form)."""
    if not form.validate():
        return None
    require_manage(form.site.data)
    try:
        return _values(form, keep_poster)
    except ImageUploadError as exc:
        form.poster.errors = list(form.poster.errors) + [str(exc)]
        return None


def _rule(form):
    """The recurrence fields of a valid form, as `series` functions take them."""
    return dict(
        freq=form.freq.data,
        day=form.day.data,
        start=form.start_time.data,
        end=form.end_time.data,
        until=form.until.data,
        count=form.count.data,
        skip=form.parsed_skip,
        pauses=form.parsed_pauses,
    )


def _refused(form, refusal):
    """Put a refusal's message on its field (or on the form's first field)."""
    field = getattr(form, refusal.field or "", None) or form.title
    field.errors = list(field.errors) + [refusal.message]


@bp.route("/staff/events/new", methods=["GET", "POST"])
@staff_required
def staff_new():
    """Create an event or a recurring series (?from=<id> duplicates an event)."""
    form = EventForm()
    _choices(form)
    if request.method == "GET":
        source_id = request.args.get("from", type=int)
        if source_id:
            source = managed_event_or_403(source_id)
            _fill_from(form, source)
            form.day.data = None  # a duplicate needs its own date
            form.status.data = "draft"
            form.poster_alt.data = source.poster_alt
        form.submission_key.data = secrets.token_hex(16)
        return render("events/staff/form.html", form=form, event=None, series=None, duplicate_of=source_id)
    done = existing_submission(form.submission_key.data)
    if done is not None:
        return _already_saved(done)
    values = _validate(form, keep_poster=_duplicate_poster())
    if values is None:
        return render(
            "events/staff/form.html",
            form=form,
            event=None,
            series=None,
            status=422,
            duplicate_of=request.form.get("duplicate_of", type=int),
        )
    values["submission_key"] = form.submission_key.data
    try:
        return _create(form, values)
    except IntegrityError as error:  # the same form sent twice at once: the other request saved it
        done = existing_submission(form.submission_key.data) if is_duplicate_submission(error) else None
        if done is None:
            raise
        return _already_saved(done)


def _already_saved(done):
    flash(_("Già salvato: il modulo era stato inviato due volte."), "info")
    if isinstance(done, Series):
        return redirect(url_for(".staff_series", series_id=done.id), 303)
    return redirect(url_for(".event_page", event_id=done.id), 303)


def _create(form, values):
    """Create the event or series of a valid new-event form, then go to it."""
    if form.freq.data:
        series, created = create_series(values, form.status.data, current_user, **_rule(form))
        if not created:
            flash(_("Attenzione: con queste regole la serie non ha nessuna data."), "warning")
        else:
            flash(
                ngettext(
                    "Attività ricorrente creata: %(num)d data in calendario.",
                    "Attività ricorrente creata: %(num)d date in calendario.",
                    created,
                ),
                "success",
            )
            _tell_skipped(series)
        return redirect(url_for(".staff_series", series_id=series.id), 303)
    event = create_event(
        values, form.day.data, form.start_time.data, form.end_time.data, form.status.data, current_user
    )
    flash(_("Evento salvato."), "success")
    _warn_if_closed(event.site_id, [form.day.data])
    return redirect(url_for(".event_page", event_id=event.id), 303)


def _tell_skipped(series):
    """Say which dates of the rule were left out because the centre is closed then."""
    skipped = skipped_dates(series)
    if skipped:
        flash(
            _(
                "Date saltate perché il centro è chiuso: %(days)s.",
                days=", ".join(d.strftime("%d/%m/%Y") for d in skipped),
            ),
            "info",
        )


def _warn_if_closed(site_id, days):
    """Staff may well plan a party on a holiday, but should know the centre is closed."""
    closed = closed_dates(site_id, days)
    if closed:
        flash(
            _(
                "Attenzione: il centro è chiuso il %(days)s (festività o chiusura). Controlla le date.",
                days=", ".join(d.strftime("%d/%m/%Y") for d in closed),
            ),
            "warning",
        )


def _duplicate_poster():
    """A duplicate keeps the poster of the event it copies (if staff may see it)."""
    source_id = request.form.get("duplicate_of", type=int)
    if not source_id:
        return ""
    source = Event.get_or_none(Event.id == source_id)
    return source.poster if source and current_user.can_manage(source.site_id) else ""


@bp.route("/staff/events/<int:event_id>/edit", methods=["GET", "POST"])
@staff_required
def staff_edit(event_id):
    """Edit one event; in a series this changes only this date."""
    event = managed_event_or_403(event_id)
    form = EventForm(with_recurrence=False, is_new=False)
    _choices(form)
    if request.method == "GET":
        _fill_from(form, event)
        return render("events/staff/form.html", form=form, event=event, series=None)
    values = _validate(form, keep_poster=event.poster)
    if values is None:
        return render("events/staff/form.html", form=form, event=event, series=None, status=422)
    try:
        update_event(event, values, form.day.data, form.start_time.data, form.end_time.data, form.status.data)
    except Refusal as refusal:
        _refused(form, refusal)
        return render("events/staff/form.html", form=form, event=event, series=None, status=refusal.status)
    flash(_("Evento aggiornato."), "success")
    return redirect(url_for(".event_page", event_id=event.id), 303)


def _render_texts(event, form, status=200):
    texts = {text.language: text for text in event.texts}
    return render("events/staff/texts.html", event=event, form=form, texts=texts, status=status)


@bp.route("/staff/events/<int:event_id>/languages", methods=["GET", "POST"])
@staff_required
def staff_texts(event_id):
    """The event's title and description in other languages: readers in those languages see them."""
    event = managed_event_or_403(event_id)
    form = EventTextForm()
    form.language.choices = [(code, LANGUAGE_NAMES[code]) for code in other_languages()]
    if request.method == "GET":
        chosen = next((t for t in event.texts if t.language == request.args.get("language")), None)
        form = EventTextForm(formdata=None, obj=chosen)
        form.language.choices = [(code, LANGUAGE_NAMES[code]) for code in other_languages()]
        return _render_texts(event, form)
    if not form.validate():
        return _render_texts(event, form, status=422)
    try:
        save_text(event, form.language.data, form.title.data, form.description.data)
    except Refusal as refusal:
        _refused(form, refusal)
        return _render_texts(event, form, status=refusal.status)
    flash(_("Traduzione salvata."), "success")
    return redirect(url_for(".staff_texts", event_id=event.id), 303)


@bp.route("/staff/events/<int:event_id>/languages/<language>/delete", methods=["POST"])
@staff_required
def staff_text_delete(event_id, language):
    """Remove one translation: readers in that language see the Italian again."""
    delete_text(managed_event_or_403(event_id), language)
    flash(_("Traduzione tolta."), "success")
    return redirect(url_for(".staff_texts", event_id=event_id), 303)


@bp.route("/staff/events/series/<int:series_id>", methods=["GET", "POST"])
@staff_required
def staff_series(series_id):
    """Edit a whole series: every future date not changed on its own follows."""
    series = get_object_or_404(Series, Series.id == series_id)
    require_manage(series.site_id)
    form = EventForm(is_new=False)
    _choices(form)
    occurrences = list(Event.select().where(Event.series == series).order_by(Event.starts_at))
    if request.method == "GET":
        _fill_from(form, series, series=series)
        return render("events/staff/series.html", form=form, series=series, occurrences=occurrences)
    values = _validate(form, keep_poster=series.poster)
    if values is None:
        return render("events/staff/series.html", form=form, series=series, occurrences=occurrences, status=422)
    try:
        created, updated, removed = update_series(series, values, **_rule(form))
    except Refusal as refusal:
        _refused(form, refusal)
        return render(
            "events/staff/series.html", form=form, series=series, occurrences=occurrences, status=refusal.status
        )
    flash(
        _("Serie aggiornata: %(c)d date nuove, %(u)d aggiornate, %(r)d tolte.", c=created, u=updated, r=removed),
        "success",
    )
    _tell_skipped(series)
    return redirect(url_for(".staff_series", series_id=series.id), 303)


@bp.route("/staff/events/<int:event_id>/publish", methods=["POST"])
@staff_required
def staff_publish(event_id):
    """Publish a draft (or, for a series, every draft date of it)."""
    event = managed_event_or_403(event_id)
    try:
        publish_event(event, whole_series=bool(request.form.get("all")))
    except Refusal as refusal:
        flash(refusal.message, "warning")
        return render_event(event, status=refusal.status)
    flash(_("Evento pubblicato."), "success")
    return redirect(url_for(".event_page", event_id=event.id), 303)


@bp.route("/staff/events/<int:event_id>/cancel", methods=["GET", "POST"])
@staff_required
def staff_cancel(event_id):
    """Cancel an event; the registered people are told (mail, or the list to phone)."""
    event = managed_event_or_403(event_id)
    if event.status == "cancelled":
        flash(_("L'evento era già annullato."), "info")
        return redirect(url_for(".event_page", event_id=event.id), 303)
    if event.status == "draft":  # never made public: it is deleted, not cancelled
        return redirect(url_for(".staff_delete", event_id=event.id), 303)
    form = CancelEventForm()
    if request.method == "POST":
        if not form.validate():
            return render("events/staff/cancel.html", form=form, event=event, status=422)
        people = cancel_event(event, form.reason.data)
        flash(
            _(
                "Evento annullato. Persone avvisate per e-mail: %(m)d; da chiamare: %(p)d.",
                m=sum(1 for p in people if p.email),
                p=sum(1 for p in people if not p.email),
            ),
            "success",
        )
        return redirect(url_for(".staff_registrations", event_id=event.id), 303)
    return render("events/staff/cancel.html", form=form, event=event)


@bp.route("/staff/events/<int:event_id>/delete", methods=["GET", "POST"])
@staff_required
def staff_delete(event_id):
    """Delete a draft (or every draft date of its series): it was never public, so nobody is told."""
    event = managed_event_or_403(event_id)
    if request.method == "GET":
        return render("events/staff/delete.html", event=event, error=None)
    whole_series = bool(request.form.get("all"))
    series_id = event.series_id
    try:
        deleted = delete_draft(event, whole_series=whole_series)
    except DraftRefused as refusal:
        return render("events/staff/delete.html", event=event, error=refusal.message, status=refusal.status)
    flash(ngettext("%(num)d bozza eliminata.", "%(num)d bozze eliminate.", deleted), "success")
    if series_id and Series.select().where(Series.id == series_id).exists():
        return redirect(url_for(".staff_series", series_id=series_id), 303)
    return redirect(url_for(".staff_list"), 303)


@bp.route("/staff/events/series/<int:series_id>/publish", methods=["POST"])
@staff_required
def staff_series_publish(series_id):
    """Publish every draft date of a series in one step."""
    series = get_object_or_404(Series, Series.id == series_id)
    require_manage(series.site_id)
    published = publish_series(series)
    flash(ngettext("%(num)d data pubblicata.", "%(num)d date pubblicate.", published), "success")
    return redirect(url_for(".staff_series", series_id=series.id), 303)


@bp.route("/staff/events/series/<int:series_id>/cancel", methods=["GET", "POST"])
@staff_required
def staff_series_cancel(series_id):
    """Stop a whole series from today: future dates cancelled (people told), future drafts deleted."""
    series = get_object_or_404(Series, Series.id == series_id)
    require_manage(series.site_id)
    form = CancelEventForm()
    upcoming = (
        Event.select()
        .where((Event.series == series.id) & (Event.starts_at > utcnow()) & (Event.status == "published"))
        .count()
    )
    if request.method == "POST":
        if not form.validate():
            return render("events/staff/series_cancel.html", form=form, series=series, upcoming=upcoming, status=422)
        cancelled, deleted, told = cancel_series(series, form.reason.data)
        flash(
            _(
                "Serie fermata: %(c)d date annullate, %(d)d bozze eliminate. Persone avvisate per e-mail: %(m)d; "
                "da chiamare: %(p)d.",
                c=cancelled,
                d=deleted,
                m=sum(1 for p in told if p.email),
                p=sum(1 for p in told if not p.email),
            ),
            "success",
        )
        return redirect(url_for(".staff_series", series_id=series.id), 303)
    return render("events/staff/series_cancel.html", form=form, series=series, upcoming=upcoming)


# --- moderation -----------------------------------------------------------------------
def _render_moderation(reject_form=None, rejecting=None, status=200):
    proposals = list(
        Event.with_place()
        .where(Event.site.in_(managed_site_ids()) & (Event.status == "pending"))
        .order_by(Event.created_at)
    )
    return render(
        "events/staff/moderation.html",
        proposals=proposals,
        reject_form=reject_form or RejectForm(formdata=None),
        rejecting=rejecting,
        status=status,
    )


@bp.route("/staff/events/moderation")
@staff_required
def staff_moderation():
    """Proposals from residents and partners, waiting for a decision."""
    return _render_moderation()


@bp.route("/staff/events/<int:event_id>/approve", methods=["POST"])
@staff_required
def staff_approve(event_id):
    """Approve a proposal: it is published."""
    event = managed_event_or_403(event_id)
    try:
        approve_proposal(event)
    except Refusal as refusal:
        flash(refusal.message, "warning")
        return _render_moderation(status=refusal.status)
    flash(_("Proposta approvata e pubblicata."), "success")
    return redirect(url_for(".staff_moderation"), 303)


@bp.route("/staff/events/<int:event_id>/reject", methods=["POST"])
@staff_required
def staff_reject(event_id):
    """Reject a proposal with a message to the proposer."""
    event = managed_event_or_403(event_id)
    form = RejectForm()
    if event.status == "pending" and not form.validate():
        return _render_moderation(reject_form=form, rejecting=event.id, status=422)
    try:
        reject_proposal(event, form.message.data)
    except Refusal as refusal:
        flash(refusal.message, "warning")
        return _render_moderation(status=refusal.status)
    flash(_("Proposta respinta; il messaggio è arrivato a chi l'ha fatta."), "success")
    return redirect(url_for(".staff_moderation"), 303)


# --- registrations ------------------------------------------------------------------
def _registrations(event):
    regs = list(
        Registration.select().where(Registration.event == event.id).order_by(Registration.created_at, Registration.id)
    )
    return (
        [r for r in regs if r.status == "confirmed"],
        [r for r in regs if r.status == "waitlist"],
        [r for r in regs if r.status == "cancelled"],
    )


def _render_registrations(event, form=None, status=200, error=None):
    confirmed, waitlist, cancelled = _registrations(event)
    return render(
        "events/staff/registrations.html",
        event=event,
        confirmed=confirmed,
        waitlist=waitlist,
        cancelled=cancelled,
        form=form or DeskRegistrationForm(formdata=None),
        error=error,
        status=status,
    )


@bp.route("/staff/events/<int:event_id>/registrations", methods=["GET", "POST"])
@staff_required
def staff_registrations(event_id):
    """Who comes, who waits; add phone and walk-in registrations."""
    event = managed_event_or_403(event_id)
    if request.method == "GET":
        return _render_registrations(event)
    form = DeskRegistrationForm()
    if not form.validate():
        return _render_registrations(event, form=form, status=422)
    try:
        reg = sign_up(
            event,
            form.name.data,
            email=form.email.data,
            phone=form.phone.e164,
            source=form.source.data,
            added_by=current_user.id,
        )
    except Refusal as refusal:
        return _render_registrations(event, form=form, status=refusal.status, error=refusal.message)
    flash(
        _("%(name)s è iscritta/o.", name=reg.name)
        if reg.status == "confirmed"
        else _("Posti esauriti: %(name)s è in lista d'attesa.", name=reg.name),
        "success",
    )
    return redirect(url_for(".staff_registrations", event_id=event.id), 303)


@bp.route("/staff/events/<int:event_id>/attendance", methods=["POST"])
@staff_required
def staff_attendance(event_id):
    """Mark who came (ticked) and who did not."""
    event = managed_event_or_403(event_id)
    mark_attendance(event, {int(v) for v in request.form.getlist("present") if v.isdigit()})
    flash(_("Presenze salvate."), "success")
    return redirect(url_for(".staff_registrations", event_id=event.id), 303)


@bp.route("/staff/events/registrations/<int:reg_id>/confirm", methods=["POST"])
@staff_required
def staff_confirm_registration(reg_id):
    """Confirm a guest's place for them (after a phone call, or at the desk)."""
    reg = get_object_or_404(Registration, Registration.id == reg_id)
    managed_event_or_403(reg.event_id)
    if confirm_registration(reg):
        flash(_("Posto confermato per %(name)s.", name=reg.name), "success")
    else:
        flash(_("Non c'era niente da confermare: l'iscrizione è già confermata o annullata."), "info")
    back = request.form.get("back")
    if back == "calls":
        return redirect(url_for(".staff_calls"), 303)
    return redirect(url_for(".staff_registrations", event_id=reg.event_id), 303)


@bp.route("/staff/events/registrations/<int:reg_id>/cancel", methods=["POST"])
@staff_required
def staff_cancel_registration(reg_id):
    """Cancel a registration for someone (phone call): the waitlist moves up."""
    reg = get_object_or_404(Registration, Registration.id == reg_id)
    managed_event_or_403(reg.event_id)
    _cancelled, promoted = cancel_registration(reg.id)
    if promoted is not None:
        flash(_("Iscrizione annullata; %(name)s passa dalla lista d'attesa.", name=promoted.name), "success")
    else:
        flash(_("Iscrizione annullata."), "success")
    return redirect(url_for(".staff_registrations", event_id=reg.event_id), 303)


@bp.route("/staff/events/<int:event_id>/registrations.csv")
@staff_required
def staff_csv(event_id):
    """The registrations as CSV (spreadsheet)."""
    event = managed_event_or_403(event_id)
    confirmed, waitlist, cancelled = _registrations(event)
    table = [[_("Stato"), _("Nome"), _("E-mail"), _("Cellulare"), _("Come"), _("Presente"), _("Iscritta/o il")]]
    labels = {"confirmed": _("Iscritta/o"), "waitlist": _("In attesa"), "cancelled": _("Annullata")}
    sources = {"online": _("Online"), "phone": _("Al telefono"), "walkin": _("Di persona")}  # words, not codes
    for reg in confirmed + waitlist + cancelled:
        table.append(
            [
                labels[reg.status],
                reg.name,
                reg.email or "",
                reg.phone or "",
                sources.get(reg.source, reg.source),
                {True: _("sì"), False: _("no")}.get(reg.attended, ""),
                to_local(reg.created_at).strftime("%d/%m/%Y %H:%M"),
            ]
        )
    return csvout.response(table, f"iscritti-{event.id}.csv")  # no cell becomes a formula (names, e-mails)


# Rows of the sign-in sheet that fit an A4 page (pdf.css .ev-signin): the first page also holds the
# heading, the last the closing note. Measured with pdftotext; tests/test_events.py checks them.
SIGNIN_FIRST_PAGE_ROWS = 26
SIGNIN_NEXT_PAGE_ROWS = 30


def signin_blanks(registered):
    """Blank rows for walk-ins: at least 8, then as many as fill the last page (never a page for one name)."""
    rows = registered + 8
    if rows <= SIGNIN_FIRST_PAGE_ROWS:
        return SIGNIN_FIRST_PAGE_ROWS - registered
    further = -(-(rows - SIGNIN_FIRST_PAGE_ROWS) // SIGNIN_NEXT_PAGE_ROWS)  # pages after the first, rounded up
    return SIGNIN_FIRST_PAGE_ROWS + further * SIGNIN_NEXT_PAGE_ROWS - registered


@bp.route("/staff/events/<int:event_id>/sign-in.pdf")
@staff_required
def staff_signin(event_id):
    """The sign-in sheet: registered names, then blank lines for walk-ins."""
    event = managed_event_or_403(event_id)
    confirmed, _w, _c = _registrations(event)
    data = render_pdf(
        "events/staff/signin.html", event=event, people=confirmed, blanks=range(signin_blanks(len(confirmed)))
    )
    return pdf_response(data, f"foglio-firme-{event.id}.pdf")


@bp.route("/staff/events/calls")
@staff_required
def staff_calls():
    """The calendar's people to phone: now the one staff phone list, filtered (permanent redirect)."""
    return redirect(url_for("phone.page", area="events"), 301)


@bp.route("/staff/events/calls/<int:reg_id>/done", methods=["POST"])
@staff_required
def staff_call_done(reg_id):
    """The person has been phoned."""
    reg = get_object_or_404(Registration, Registration.id == reg_id)
    managed_event_or_403(reg.event_id)
    call_done(reg)
    flash(_("Segnato come chiamato."), "success")
    return redirect(url_for(".staff_calls"), 303)
