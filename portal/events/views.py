"""Public calendar pages: agenda, month view, archive, event page, registration,
guest cancellation, my registrations, proposals."""

from datetime import date, timedelta
from itertools import groupby
from urllib.parse import urlencode

from flask import abort, flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from portal import storage
from portal.clock import local_date, local_day_bounds, today_local, utcnow
from portal.guests import setting
from portal.models import Partner, Site, closed_sites_by_day
from portal.mythings import account_redirect, back_to_account
from portal.pagecache import public_page
from portal.refusals import Refusal
from portal.rendering import render, wants_fragment

from . import bp, sharing
from .course import (
    cancel_course,
    cancel_my_course,
    course_for,
    course_registrations,
    guest_course_sign_up,
    my_course_registrations,
    register_course,
    remaining_dates,
)
from .forms import GuestRegistrationForm, ProposalForm, parse_month
from .markdown import render_description
from .models import AUDIENCES, CATEGORIES, Event, Registration, Series, event_page_stamp, event_with_place
from .posters import poster_key
from .search import WHENS, group_courses, parse_day, period_bounds, period_days, suggestion
from .series import summarise
from .services import (
    cancel_registration,
    confirm_registration,
    guest_sign_up,
    propose_event,
    sign_up,
)
from .texts import localize, localize_one
from .tokens import cancel_token, course_key_from_token, registration_from_token

PAGE_SIZE = 20


def agenda_filters():
    """The agenda's filters from the query string, unknown values dropped."""
    args = request.args
    site_slugs = {s.slug for s in Site.select(Site.slug)}
    filters = {
        "site": args.get("site") if args.get("site") in site_slugs else "",
        "category": args.get("category") if args.get("category") in CATEGORIES else "",
        "audience": args.get("audience") if args.get("audience") in AUDIENCES else "",
        "price": args.get("price") if args.get("price") in ("free", "paid") else "",
        "q": (args.get("q") or "").strip()[:80],
        "when": args.get("when") if args.get("when") in WHENS else "",
        "from": args.get("from") if parse_day(args.get("from")) else "",
        "to": args.get("to") if parse_day(args.get("to")) else "",
    }
    return filters


def by_day(events):
    """[(local date, [events])] in order."""
    return [(day, list(items)) for day, items in groupby(events, key=lambda e: e.local_start.date())]


def page_number():
    try:
        return max(1, min(int(request.args.get("page", 1)), 50))
    except ValueError:
        return 1


@bp.route("/events")
@public_page
def agenda():
    """Upcoming events by day, filtered by centre, category, audience, price and words."""
    filters = agenda_filters()
    page = page_number()
    first, last = period_days(filters["when"], parse_day(filters["from"]), parse_day(filters["to"]))
    wanted = {k: filters[k] for k in ("site", "category", "audience", "price", "q") if filters[k]}
    wanted.update(period_bounds(first, last))
    more_request = wants_fragment() and request.headers.get("HX-Target", "").startswith("more")
    # Without JavaScript, ?page=3 shows pages 1-3 (the URL stays shareable);
    # the htmx "more" button fetches page 3 alone and appends it.
    offset, limit = ((page - 1) * PAGE_SIZE, PAGE_SIZE) if more_request else (0, page * PAGE_SIZE)
    events, has_more, query = _agenda_page(wanted, offset, limit)
    corrected = None
    if filters["q"] and not events and not more_request:  # a small typo: search the closest words instead
        corrected = suggestion(filters["q"])
        if corrected:
            events, has_more, query = _agenda_page(dict(wanted, q=corrected), offset, limit)
    events = localize(events)
    active = {k: v for k, v in filters.items() if v}
    context = dict(
        corrected=corrected,
        period=(first, last),
        filters=filters,
        active=active,
        days=by_day(events),
        has_more=has_more,
        page=page,
        sites=list(Site.ordered()),
        categories=CATEGORIES,
        audiences=AUDIENCES,
        more_url=url_for(".agenda", page=page + 1, **active),
        today=today_local(),
        site_args={"site": filters["site"]} if filters["site"] else {},
        feed_args={k: filters[k] for k in ("site", "category") if filters[k]},
    )
    if more_request:
        return render("events/agenda.html", block="page", **context)
    return render("events/agenda.html", block="results", **context)


def _agenda_page(wanted, offset, limit):
    """(events, has_more, query) of the agenda; a search shows each course once (its next date)."""
    query = Event.upcoming(**wanted)
    if not wanted.get("q"):
        events = list(query.offset(offset).limit(limit + 1))
        return events[:limit], len(events) > limit, query
    # Searching: the dates of one course are one result, so read further and group before paging.
    found = group_courses(list(query.limit(500)), query)
    return found[offset : offset + limit], len(found) > offset + limit, query


@bp.route("/events/month/<ym>")
@public_page
def month(ym):
    """A compact month grid (fits 360 px) with the number of events per day, and
    the events of one chosen day under it; past months are the archive."""
    parsed = parse_month(ym)
    if parsed is None:
        abort(404)
    year, month_no = parsed
    site = request.args.get("site", "")
    if site and not Site.select().where(Site.slug == site).exists():
        site = ""
    first = date(year, month_no, 1)
    next_first = date(year + (month_no == 12), month_no % 12 + 1, 1)
    prev_first = (first - timedelta(days=1)).replace(day=1)
    # Counts per day from a narrow query (start times only): the page stays small
    # even with hundreds of events in a month.
    stamps = Event.in_month(year, month_no, site=site or None).select(Event.starts_at, Event.site)
    counts, day_sites = {}, {}
    for starts_at, site_id in stamps.tuples():
        day = local_date(starts_at)
        counts[day] = counts.get(day, 0) + 1
        day_sites.setdefault(day, []).append(site_id)
    chosen = None
    try:
        chosen = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        pass
    if chosen is None or not first <= chosen < next_first:
        today = today_local()
        chosen = today if first <= today < next_first else (min(counts) if counts else first)
    start, end = local_day_bounds(chosen)
    query = Event.public().where((Event.starts_at >= start) & (Event.starts_at < end))
    if site:
        query = query.where(Site.slug == site)
    events = localize(query.order_by(Event.starts_at, Event.id))
    weeks, cursor = [], first - timedelta(days=first.weekday())
    while cursor < next_first:
        weeks.append([cursor + timedelta(days=i) for i in range(7)])
        cursor += timedelta(days=7)
    args = {"site": site} if site else {}
    # Closed days: of the chosen centre, or (all centres) the days every centre is closed; the chosen
    # day says which centres are closed.
    sites = list(Site.ordered())
    shown = [s.id for s in sites if not site or s.slug == site]
    closures = closed_sites_by_day(first, next_first - timedelta(days=1), shown)
    closed = {day for day, ids in closures.items() if ids == set(shown)}
    closed_on_chosen = [s.short_name for s in sites if s.id in closures.get(chosen, set())]
    # Under each day number a short bar per event (three at most) in its centre's colour.
    colour = {s.id: s.colour_class for s in sites}
    bars = {day: [colour[i] for i in sorted(ids)[:3]] for day, ids in day_sites.items()}
    return render(
        "events/month.html",
        closed=closed,
        closed_on_chosen=closed_on_chosen,
        year=year,
        month_no=month_no,
        first=first,
        weeks=weeks,
        counts=counts,
        bars=bars,
        chosen=chosen,
        events=events,
        site=site,
        site_args=args,
        sites=sites,
        today=today_local(),
        total=sum(counts.values()),
        prev_url=url_for(".month", ym=prev_first.strftime("%Y-%m"), **args),
        next_url=url_for(".month", ym=next_first.strftime("%Y-%m"), **args),
        ym=ym,
    )


@bp.route("/events/archive")
def archive():
    """Past events: one link per month (the last two years)."""
    today = today_local()
    months, cursor = [], today.replace(day=1)
    for _i in range(24):
        cursor = (cursor - timedelta(days=1)).replace(day=1)
        months.append(cursor)
    return render("events/archive.html", months=[today.replace(day=1)] + months)


def visible_event_or_404(event_id):
    """A public event, or a draft/proposal its managers and proposer may preview."""
    event = event_with_place(event_id)
    if event is None:
        abort(404)
    if event.status not in ("published", "cancelled"):
        allowed = current_user.is_authenticated and (
            current_user.can_manage(event.site_id) or event.proposed_by_id == current_user.id
        )
        if not allowed:
            abort(404)
    return event


def my_registration(event):
    if not current_user.is_authenticated:
        return None
    return Registration.get_or_none(
        (Registration.event == event.id) & (Registration.user == current_user.id) & (Registration.status != "cancelled")
    )


def google_calendar_url(event):
    fmt = "%Y%m%dT%H%M%SZ"
    params = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{event.starts_at.strftime(fmt)}/{event.ends_at.strftime(fmt)}",
        "details": sharing.canonical_url(event),
        "location": f"{event.site.name}, {event.site.full_address}",
        "ctz": "Europe/Rome",
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params)


def render_event(event, form=None, status=200, error=None):
    waiting = None
    mine = my_registration(event)
    if mine is not None and mine.status == "waitlist":
        waiting = (
            Registration.select()
            .where(
                (Registration.event == event.id)
                & (Registration.status == "waitlist")
                & (
                    (Registration.created_at < mine.created_at)
                    | ((Registration.created_at == mine.created_at) & (Registration.id < mine.id))
                )
            )
            .count()
            + 1
        )
    return render(
        "events/event.html",
        event=event,
        form=form or GuestRegistrationForm(formdata=None),
        mine=mine,
        waiting_position=waiting,
        error=error,
        status=status,
        description_html=render_description(event.description),
        google_url=google_calendar_url(event),
        canonical=sharing.canonical_url(event),
        preview_image=sharing.preview_image_url(event),
        jsonld=sharing.event_jsonld(event),
        share=sharing.share_links(event),
        can_manage=current_user.is_authenticated and current_user.can_manage(event.site_id),
        course=course_for(event) if event.registration_open else None,
    )


@bp.route("/events/<int:event_id>")
@bp.route("/events/<int:event_id>-<slug>")
@public_page(stamp=event_page_stamp)
def event_page(event_id, slug=None):
    """One event: when, where, who organises it, accessibility, seats, registration."""
    return render_event(localize_one(visible_event_or_404(event_id)))


@bp.route("/events/<int:event_id>/register", methods=["POST"])
def register_view(event_id):
    """Take a seat (or a waitlist place): members in one tap, guests with name and a contact, then confirm."""
    event = visible_event_or_404(event_id)
    if not current_user.is_authenticated:
        return _guest_register(event)
    person = dict(name=current_user.name, email=current_user.email, phone=current_user.phone, user=current_user.id)
    try:
        reg = sign_up(event, **person)
    except Refusal as refusal:
        return render_event(event, status=refusal.status, error=refusal.message)
    if reg.status == "confirmed":
        flash(_("Fatto: hai un posto. Ti aspettiamo!"), "success")
    else:
        flash(_("L'evento è al completo: sei in lista d'attesa. Se si libera un posto ti avvisiamo."), "info")
    return redirect(url_for(".event_page", event_id=event.id, slug=event.slug), 303)


def _guest_register(event):
    form = GuestRegistrationForm()
    if not form.validate():
        return render_event(event, form=form, status=422)
    try:
        via = guest_sign_up(event, form.name.data, form.email.data, form.phone.e164)
    except Refusal as refusal:  # over the limits (429) or closed: the form back with the input kept
        return render_event(event, form=form, status=refusal.status, error=refusal.message)
    return redirect(url_for(".guest_check", event_id=event.id, via=via), 303)


@bp.route("/events/<int:event_id>/check")
def guest_check(event_id):
    """After a guest's request: "check your mail" (or "we will call you"), the same whoever asked."""
    event = visible_event_or_404(event_id)
    via = "phone" if request.args.get("via") == "phone" else "mail"
    series = course_for(event) if request.args.get("course") else None
    return render(
        "events/guest_check.html", event=event, via=via, series=series, minutes=setting("GUEST_CONFIRM_MINUTES")
    )


@bp.route("/events/registration/<token>", methods=["GET", "POST"])
def guest_cancel(token):
    """A guest's own registration through its signed link: see it, confirm it, cancel it."""
    reg = registration_from_token(token)
    if reg is None:
        return render("events/registration_invalid.html", status=404)
    event = Event.with_place().where(Event.id == reg.event_id).first()
    if request.method == "POST":
        if reg.status != "cancelled":
            cancel_registration(reg.id)
            flash(_("Iscrizione annullata. Grazie di averci avvisato: il posto passa a un'altra persona."), "success")
        return redirect(url_for(".guest_cancel", token=token), 303)
    return render("events/registration.html", reg=reg, event=event, token=token)


@bp.route("/events/registration/<token>/confirm", methods=["POST"])
def guest_confirm(token):
    """The guest confirms the place from the mailed link (a GET only shows the button)."""
    reg = registration_from_token(token)
    if reg is None:
        return render("events/registration_invalid.html", status=404)
    if confirm_registration(reg):
        flash(_("Grazie: il tuo posto è confermato."), "success")
    return redirect(url_for(".guest_cancel", token=token), 303)


@bp.route("/events/<int:event_id>/card.png")
def preview_card(event_id):
    """The picture a link preview shows for an event without a poster (title, date, centre)."""
    event = visible_event_or_404(event_id)
    response = make_response(sharing.preview_card_png(event))
    response.mimetype = "image/png"
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.route("/events/poster/<key>.jpg")
def poster(key):
    """A poster image, small enough for phones (the flyer uses the print version)."""
    stored = poster_key(key)
    response = storage.send(storage.uploads(), stored, "image/jpeg") if stored else None
    if response is None:
        abort(404)
    return response


@bp.route("/events/mine")
@login_required
def my_registrations():
    """The member's registrations and proposals."""
    regs = list(
        Registration.select(Registration, Event, Site)
        .join(Event)
        .join(Site)
        .where(Registration.user == current_user.id)
        .order_by(Event.starts_at.desc())
        .limit(200)
    )
    now = utcnow()
    upcoming = [r for r in regs if r.event.ends_at >= now and r.status != "cancelled"]
    upcoming.reverse()
    past = [r for r in regs if r not in upcoming]
    proposals = list(
        Event.select(Event, Site)
        .join(Site)
        .where(Event.proposed_by == current_user.id)
        .order_by(Event.created_at.desc())
        .limit(50)
    )
    return render("events/mine.html", upcoming=upcoming, past=past, proposals=proposals)


@bp.route("/events/mine/<int:reg_id>/cancel", methods=["POST"])
@login_required
def my_cancel(reg_id):
    """Cancel one of my registrations (someone else's: 404)."""
    reg = get_object_or_404(Registration, (Registration.id == reg_id) & (Registration.user == current_user.id))
    cancel_registration(reg.id)
    flash(_("Iscrizione annullata."), "success")
    if back_to_account():
        return account_redirect()
    if request.form.get("back") == "event":
        return redirect(url_for(".event_page", event_id=reg.event_id), 303)
    return redirect(url_for(".my_registrations"), 303)


def _proposal_choices(form):
    form.site.choices = [(s.id, s.name) for s in Site.ordered()]
    form.partner.choices = [(0, _("Nessuna: propongo a titolo personale"))] + [
        (p.id, p.name) for p in Partner.select().order_by(Partner.name)
    ]


@bp.route("/events/propose", methods=["GET", "POST"])
@login_required
def propose():
    """Residents and partner organisations propose an event; staff approve or reject it."""
    form = ProposalForm()
    _proposal_choices(form)
    if request.method == "POST":
        if not form.validate():
            return render("events/propose.html", form=form, status=422)
        propose_event(
            current_user,
            dict(
                site=form.site.data,
                partner=form.partner.data or None,
                title=form.title.data,
                description=form.description.data,
                category=form.category.data,
                audience=form.audience.data,
                capacity=form.capacity.data,
            ),
            form.day.data,
            form.start_time.data,
            form.end_time.data,
        )
        flash(_("Grazie! La proposta è arrivata al personale del centro: ti diremo se viene accolta."), "success")
        return redirect(url_for(".my_registrations"), 303)
    return render("events/propose.html", form=form)


# --- a whole course in one step -----------------------------------------------------------------
def visible_series_or_404(series_id):
    """A series with public dates, or one its managers may preview."""
    series = get_object_or_404(Series.select(Series, Site).join(Site), Series.id == series_id)
    public = Event.select().where((Event.series == series.id) & Event.status.in_(("published", "cancelled")))
    if not public.exists() and not (current_user.is_authenticated and current_user.can_manage(series.site_id)):
        abort(404)
    return series


def render_course(series, form=None, status=200, error=None):
    dates = localize(remaining_dates(series.id))
    mine = my_course_registrations(series.id, current_user.id) if current_user.is_authenticated else {}
    return render(
        "events/course.html",
        series=series,
        dates=dates,
        mine=mine,
        summary=summarise(series, from_day=today_local()),
        form=form or GuestRegistrationForm(formdata=None),
        error=error,
        status=status,
    )


@bp.route("/events/series/<int:series_id>")
def course(series_id):
    """A course's remaining dates with their seats (and mine); where staff allow it, register for all of them."""
    return render_course(visible_series_or_404(series_id))


@bp.route("/events/series/<int:series_id>/register", methods=["POST"])
def course_register(series_id):
    """Register for every remaining date in one step: a seat where there is one, else that date's waitlist."""
    series = visible_series_or_404(series_id)
    if not current_user.is_authenticated:
        return _guest_course(series)
    person = dict(name=current_user.name, email=current_user.email, phone=current_user.phone, user=current_user.id)
    try:
        result = register_course(series, **person)
    except Refusal as refusal:
        return render_course(series, status=refusal.status, error=refusal.message)
    flash(
        _(
            "Fatto: %(seats)s, %(waiting)s. Qui sotto trovi ogni data.",
            seats=ngettext("%(num)d data con il posto", "%(num)d date con il posto", len(result.confirmed)),
            waiting=ngettext("%(num)d in lista d'attesa", "%(num)d in lista d'attesa", len(result.waitlist)),
        ),
        "success" if not result.waitlist else "info",
    )
    return redirect(url_for(".course", series_id=series.id), 303)


def _guest_course(series):
    form = GuestRegistrationForm()
    if not form.validate():
        return render_course(series, form=form, status=422)
    try:
        via, result = guest_course_sign_up(series, form.name.data, form.email.data, form.phone.e164)
    except Refusal as refusal:  # over the limits (429) or closed: the form back with the input kept
        return render_course(series, form=form, status=refusal.status, error=refusal.message)
    first = remaining_dates(series.id)[:1]
    if not first:
        abort(404)
    return redirect(url_for(".guest_check", event_id=first[0].id, via=via, course=1), 303)


@bp.route("/events/series/<int:series_id>/cancel", methods=["POST"])
@login_required
def course_cancel(series_id):
    """Cancel all my remaining dates of a course in one step."""
    series = visible_series_or_404(series_id)
    count = cancel_my_course(series.id, current_user.id)
    flash(ngettext("Annullata %(num)d data del corso.", "Annullate %(num)d date del corso.", count), "success")
    return redirect(url_for(".course", series_id=series.id), 303)


def _guest_course_regs(token):
    key = course_key_from_token(token)
    regs = course_registrations(key) if key else []
    return regs or None


@bp.route("/events/course/<token>", methods=["GET", "POST"])
def course_guest(token):
    """A guest's whole-course request through its mailed link: the dates, confirm all, cancel all (or one)."""
    regs = _guest_course_regs(token)
    if regs is None:
        return render("events/registration_invalid.html", status=404)
    if request.method == "POST":
        count = cancel_course(regs)
        flash(ngettext("Annullata %(num)d data del corso.", "Annullate %(num)d date del corso.", count), "success")
        return redirect(url_for(".course_guest", token=token), 303)
    return render(
        "events/course_guest.html",
        regs=regs,
        series=Series.get_or_none(Series.id == regs[0].event.series_id),
        token=token,
        tokens={r.id: cancel_token(r) for r in regs},
        now=utcnow(),
    )


@bp.route("/events/course/<token>/confirm", methods=["POST"])
def course_guest_confirm(token):
    """The guest confirms every date of the course request at once (a GET only shows the button)."""
    regs = _guest_course_regs(token)
    if regs is None:
        return render("events/registration_invalid.html", status=404)
    live = [r for r in regs if r.status != "cancelled"]
    if live and confirm_registration(live[0]):
        flash(_("Grazie: i tuoi posti sono confermati."), "success")
    return redirect(url_for(".course_guest", token=token), 303)
