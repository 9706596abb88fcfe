"""Public and member pages: co-working slots, the equipment catalogue, my bookings, the ICS feed.

The staff pages (`staff_views`) share this module's blueprint: one `bookings` blueprint per area.
"""

from datetime import time, timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from playhouse.flask_utils import get_object_or_404

from portal import storage
from portal.clock import to_local, today_local, utcnow
from portal.ics import calendar_bytes, calendar_response
from portal.models import Site
from portal.moved import moved
from portal.mythings import or_account
from portal.pagecache import public_page
from portal.rendering import render, wants_fragment
from portal.robust import day_from
from portal.urls import external_url

from . import services, weekly
from .forms import LoanRequestForm, SlotForm, WeeklyForm
from .models import (
    KIND_DESK,
    KIND_EQUIPMENT,
    KIND_ROOM,
    POLICY_DEFAULTS,
    Booking,
    BookingSeries,
    CalendarToken,
    Item,
    Kit,
    KitItem,
    Loan,
    LoanItem,
    Policy,
    Resource,
)
from .photos import photo_key
from .services import BookingError

bp = Blueprint("bookings", __name__)

CALENDAR_DAYS = 28


def _sites_with(model):
    """Centres that have at least one row of `model` (rooms, desks, items)."""
    ids = model.select(model.site).distinct()
    return list(Site.select().where(Site.id.in_(ids)).order_by(Site.position, Site.name))


def _chosen_site(sites):
    slug = request.args.get("site") or request.form.get("site")
    if slug:
        for site in sites:
            if site.slug == slug:
                return site
        abort(404)
    return sites[0] if sites else None


# --- co-working -------------------------------------------------------------------------------


def _coworking_context(site, message=None, error=None, booked=None):
    desks = rooms = None
    if site is not None:
        desk_policy, desk_list, desks = services.availability(site, KIND_DESK, user=current_user)
        room_policy, room_list, rooms = services.availability(site, KIND_ROOM, user=current_user)
    else:
        desk_policy = room_policy = None
        desk_list = room_list = []
    return dict(
        site=site,
        desks=_only_open(desks),
        rooms=_only_open(rooms),
        desk_policy=desk_policy,
        room_policy=room_policy,
        desk_count=len(desk_list),
        room_list=room_list,
        message=message,
        error=error,
        booked=booked,
    )


def _only_open(days):
    """Keep the slots with something free (or booked by me), and the days that have any."""
    result = []
    for day, entries in days or []:
        kept = [entry for entry in entries if entry[3] or entry[4]]
        if kept:
            result.append((day, kept))
    return result


@bp.route("/coworking")
@public_page
def coworking():
    """The next free desk and room slots as a simple list, booked in one tap."""
    sites = _sites_with(Resource)
    site = _chosen_site(sites)
    return render("bookings/coworking.html", block="slots", sites=sites, **_coworking_context(site))


@bp.route("/coworking/book", methods=["POST"])
@login_required
def book():
    """Book a slot; htmx swaps the list in place, without JavaScript the page reloads."""
    sites = _sites_with(Resource)
    site = _chosen_site(sites)
    if site is None:
        abort(404)
    form = SlotForm()
    if not form.validate():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        return render(
            "bookings/coworking.html",
            block="slots",
            status=422,
            sites=sites,
            **_coworking_context(site, error=error),
        )
    try:
        booking = services.book_slot(
            current_user, site, form.kind.data, form.day.data, form.slot.data, resource_id=form.resource.data
        )
    except BookingError as exc:
        return render(
            "bookings/coworking.html",
            block="slots",
            status=exc.status,
            sites=sites,
            **_coworking_context(site, error=exc.message),
        )
    message = _("Prenotato: %(name)s, %(when)s.", name=booking.resource.name, when=_slot_text(booking))
    if not wants_fragment():
        flash(message, "success")
        return redirect(url_for(".coworking", site=site.slug)), 303
    return render(
        "bookings/coworking.html",
        block="slots",
        sites=sites,
        **_coworking_context(site, message=message, booked=booking),
    )


# --- the same slot every week -----------------------------------------------------------------


def _weekly_form(site, formdata=None):
    # The preview is a GET (nothing written): no CSRF token there; the booking POST has one.
    form = WeeklyForm(formdata=formdata, **({"meta": {"csrf": False}} if request.method == "GET" else {}))
    rooms = Resource.select().where((Resource.site == site) & (Resource.kind == KIND_ROOM) & Resource.active)
    form.what.choices = [("desk", _("Una postazione (quella libera)"))] + [
        (f"room-{r.id}", _("La sala %(name)s", name=r.name)) for r in rooms.order_by(Resource.position, Resource.name)
    ]
    return form


def _render_weekly(sites, site, form, weeks=None, error=None, status=200):
    return render(
        "bookings/weekly.html",
        sites=sites,
        site=site,
        form=form,
        weeks=weeks,
        bookable=[w for w in weeks or [] if not w.reason],
        error=error,
        max_weeks=weekly.MAX_WEEKS,
        status=status,
    )


def _refused(form, exc):
    field = getattr(form, exc.field or "", None)
    if field is None:
        return exc.message
    field.errors = list(field.errors) + [exc.message]
    return None


@bp.route("/coworking/weekly", methods=["GET", "POST"])
@login_required
def weekly_slot():
    """The same slot every week until a day: the weeks are shown first (GET, nothing written), then booked."""
    sites = _sites_with(Resource)
    site = _chosen_site(sites)
    if site is None:
        abort(404)
    asked = request.method == "POST" or "day" in request.args
    form = _weekly_form(site, formdata=(request.form if request.method == "POST" else request.args) if asked else None)
    if not asked:
        return _render_weekly(sites, site, form)
    if not form.validate():
        return _render_weekly(sites, site, form, status=422)
    kind, resource_id = form.kind_and_resource
    args = (current_user, site, kind, form.day.data, form.slot.data, form.until.data, resource_id)
    try:
        if request.method == "GET":
            return _render_weekly(sites, site, form, weeks=weekly.plan(*args))
        series, _weeks = weekly.book_weekly(*args)
    except BookingError as exc:
        weeks = weekly.plan(*args) if exc.status == 409 else None  # nothing left to book: show each week's reason
        return _render_weekly(sites, site, form, weeks=weeks, error=_refused(form, exc), status=exc.status)
    return redirect(url_for(".weekly_detail", series_id=series.id), 303)


@bp.route("/account/bookings/weekly/<int:series_id>")
@login_required
def weekly_detail(series_id):
    """A weekly slot: each week booked (cancel it) or not booked with the reason; cancel all remaining."""
    series = _own_or_404(BookingSeries, series_id)
    return render(
        "bookings/weekly_detail.html",
        series=series,
        weeks=weekly.series_weeks(series),
        weekday=format_date(series.first_day, "EEEE"),
        now=utcnow(),
        cutoff=lambda b: _cutoff(b, {(p.site_id, p.kind): p for p in Policy.select()}),
    )


@bp.route("/account/bookings/weekly/<int:series_id>/cancel", methods=["POST"])
@login_required
def weekly_cancel(series_id):
    """Cancel every remaining week of a weekly slot (weeks past the cut-off stay: call the centre)."""
    series = _own_or_404(BookingSeries, series_id)
    cancelled, kept = weekly.cancel_weekly(series)
    flash(ngettext("Annullata %(num)d settimana.", "Annullate %(num)d settimane.", cancelled), "success")
    if kept:
        flash(
            ngettext(
                "%(num)d settimana è troppo vicina per annullarla online: chiama il centro.",
                "%(num)d settimane sono troppo vicine per annullarle online: chiama il centro.",
                kept,
            ),
            "info",
        )
    return redirect(url_for(".weekly_detail", series_id=series.id), 303)


SLOT_LABELS = {"am": _l("Mattina"), "pm": _l("Pomeriggio"), "day": _l("Giornata intera")}


def _slot_text(booking):
    from flask_babel import format_date

    start, end = to_local(booking.starts_at), to_local(booking.ends_at)
    return "%s, %s %s–%s" % (
        format_date(booking.day, "EEEE d MMMM"),
        str(SLOT_LABELS[booking.slot]).lower(),
        start.strftime("%H:%M"),
        end.strftime("%H:%M"),
    )


# --- equipment --------------------------------------------------------------------------------


@bp.route("/equipment")
@public_page
def equipment():
    """The audio-video catalogue: kits and items with photo, condition and today's state."""
    sites = _sites_with(Item)
    site = _chosen_site(sites)
    kits, items, state = [], [], {}
    contents = {}
    if site is not None:
        kits = list(Kit.select().where((Kit.site == site) & Kit.active).order_by(Kit.position, Kit.name))
        items = list(
            Item.select()
            .where((Item.site == site) & (Item.status != "retired"))
            .order_by(Item.position, Item.category, Item.name)
        )
        contents = services.kit_items([k.id for k in kits])
        today = today_local()
        busy = services.item_busy_days([i.id for i in items], today, today)
        for item in items:
            if item.status == "maintenance":
                state[item.id] = "maintenance"
            elif item.id in busy:
                state[item.id] = "busy"
            else:
                state[item.id] = "free"
    return render(
        "bookings/equipment.html", sites=sites, site=site, kits=kits, items=items, state=state, contents=contents
    )


def picked_days():
    """The days (and times) chosen on the calendar or offered after a refusal: ?start=&end=&pickup_time=&return_time=.

    A day that is not a date answers 400 (`day_from`); a time that is not one is ignored."""
    picked = {}
    for name, key in (("start", "pickup_day"), ("end", "return_day")):
        if request.args.get(name):
            picked[key] = day_from(request.args[name])
    for key in ("pickup_time", "return_time"):
        try:
            picked[key] = time.fromisoformat(request.args.get(key, ""))
        except ValueError:
            pass
    return picked


def _equipment_detail(kind, object_id, form=None, error=None, status=200, conflict=None):
    if kind == "kit":
        thing = get_object_or_404(Kit, (Kit.id == object_id) & Kit.active)
        items = services.kit_items([thing.id]).get(thing.id, [])
    else:
        thing = get_object_or_404(Item, (Item.id == object_id) & (Item.status != "retired"))
        items = [thing]
        kits = list(Kit.select().join(KitItem).where((KitItem.item == thing.id) & Kit.active))
    site = thing.site
    overdue = services.overdue_item_ids([i.id for i in items])
    policy = Policy.for_site(site, KIND_EQUIPMENT)
    picked = picked_days() if request.method == "GET" else {}
    if form is None:
        form = LoanRequestForm(formdata=None, **picked)
    today = today_local()
    first = today - timedelta(days=today.weekday())
    weeks, start, end = services.calendar_days(
        site,
        items,
        first,
        today + timedelta(days=CALENDAR_DAYS),
        overdue,
        start=picked.get("pickup_day"),
        end=picked.get("return_day"),
    )
    endpoint, id_arg = ("bookings.kit_detail", "kit_id") if kind == "kit" else ("bookings.item_detail", "item_id")

    def pick_url(anchor, **args):
        return url_for(endpoint, **{id_arg: thing.id}, **args, _anchor=anchor)

    return render(
        "bookings/equipment_detail.html",
        status=status,
        kind=kind,
        thing=thing,
        items=items,
        site=site,
        weeks=weeks,
        chosen_start=start,
        chosen_end=end,
        pick_url=pick_url,
        conflict=conflict,
        alternatives=pick_offers(conflict, form, pick_url),
        overdue=overdue,
        policy=policy,
        form=form,
        error=error,
        hours=site.opening_hours_by_day(),
        today=today,
        in_kits=kits if kind == "item" else [],
    )


def pick_offers(conflict, form, pick_url, anchor="richiesta"):
    """[(pickup day, return day, link)]: the free periods a refusal offers, each a link that fills the form again."""
    if conflict is None:
        return []
    times = {
        name: getattr(form, name).data.strftime("%H:%M")
        for name in ("pickup_time", "return_time")
        if getattr(form, name).data
    }
    return [(a, b, pick_url(anchor, start=a.isoformat(), end=b.isoformat(), **times)) for a, b in conflict.alternatives]


@bp.route("/equipment/items/<int:item_id>", methods=["GET", "POST"])
def item_detail(item_id):
    """An item: photo, description, condition, availability calendar, request form."""
    return _equipment_page("item", item_id)


@bp.route("/equipment/kits/<int:kit_id>", methods=["GET", "POST"])
def kit_detail(kit_id):
    """A kit: its items, availability calendar, request form (all-or-nothing)."""
    return _equipment_page("kit", kit_id)


def _equipment_page(kind, object_id):
    if request.method == "GET":
        return _equipment_detail(kind, object_id)
    if not current_user.is_authenticated:
        from portal.auth import login_manager

        return login_manager.unauthorized()
    form = LoanRequestForm()
    if not form.validate():
        return _equipment_detail(kind, object_id, form=form, status=422)
    if kind == "kit":
        kit = get_object_or_404(Kit, (Kit.id == object_id) & Kit.active)
        items, site = services.kit_items([kit.id]).get(kit.id, []), kit.site
    else:
        kit = None
        item = get_object_or_404(Item, (Item.id == object_id) & (Item.status != "retired"))
        items, site = [item], item.site
    try:
        loan = services.request_loan(
            current_user,
            site,
            items,
            form.pickup_day.data,
            form.pickup_time.data,
            form.return_day.data,
            form.return_time.data,
            form.purpose.data or "",
            kit=kit,
        )
    except BookingError as exc:
        conflict = exc if isinstance(exc, services.LoanConflict) else None
        return _equipment_detail(kind, object_id, form=form, error=exc.message, status=exc.status, conflict=conflict)
    flash(_("Richiesta inviata: lo sportello ti risponde presto. Trovi lo stato in «Le mie prenotazioni»."), "success")
    return redirect(url_for(".my_bookings", _anchor=f"loan-{loan.id}")), 303


@bp.route("/equipment/photos/<name>")
def photo(name):
    """An item photo (re-encoded JPEG at upload, cached for a long time)."""
    if not name.endswith(".jpg") or "/" in name:
        abort(404)
    store = storage.uploads()
    if name.endswith("-t.jpg") and not store.exists(photo_key(name)):
        name = name[: -len("-t.jpg")] + ".jpg"  # photos stored before thumbnails existed
    # Names are random and never reused: the browser may keep them a year.
    response = storage.send(store, photo_key(name), "image/jpeg")
    if response is None:
        abort(404)
    return response


# --- my bookings ------------------------------------------------------------------------------


@bp.route("/account/bookings")
@login_required
def my_bookings():
    """My desk and room bookings and my equipment loans, with cancel buttons and the calendar link."""
    today = today_local()
    upcoming = list(
        Booking.select(Booking, Resource, Site)
        .join(Resource)
        .join(Site)
        .where((Booking.user == current_user.id) & (Booking.day >= today))
        .order_by(Booking.starts_at)
        .limit(100)
    )
    past = list(
        Booking.select(Booking, Resource, Site)
        .join(Resource)
        .join(Site)
        .where((Booking.user == current_user.id) & (Booking.day < today))
        .order_by(Booking.starts_at.desc())
        .limit(20)
    )
    loans = list(
        Loan.select(Loan, Site)
        .join(Site)
        .where(
            (Loan.user == current_user.id)
            & (Loan.status.in_(["requested", "approved", "out"]) | (Loan.pickup_at >= utcnow() - timedelta(days=60)))
        )
        .order_by(Loan.pickup_at.desc())
        .limit(50)
    )
    lines = {}
    for li in (
        LoanItem.select(LoanItem, Item).join(Item).where(LoanItem.loan.in_([loan.id for loan in loans]))
        if loans
        else []
    ):
        lines.setdefault(li.loan_id, []).append(li)
    token = CalendarToken.get_or_none(CalendarToken.user == current_user.id)
    policies = {(p.site_id, p.kind): p for p in Policy.select()}
    weekly_slots = list(
        BookingSeries.select()
        .where((BookingSeries.user == current_user.id) & (BookingSeries.until >= today))
        .order_by(BookingSeries.first_day)
    )
    return render(
        "bookings/my_bookings.html",
        upcoming=upcoming,
        past=past,
        loans=loans,
        lines=lines,
        token=token,
        now=utcnow(),
        policies=policies,
        cutoff=lambda b: _cutoff(b, policies),
        weekly_slots=weekly_slots,
    )


def _cutoff(booking, policies):
    resource = booking.resource
    # No query per row: an unsaved policy carries the defaults.
    policy = policies.get((resource.site_id, resource.kind)) or Policy(
        site=resource.site_id, kind=resource.kind, **POLICY_DEFAULTS[resource.kind]
    )
    return booking.starts_at - timedelta(hours=policy.cancel_cutoff_hours)


def _own_or_404(model, object_id):
    # Someone else's booking is "not found": no hint that the id exists.
    return get_object_or_404(model, (model.id == object_id) & (model.user == current_user.id))


@bp.route("/account/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
def cancel(booking_id):
    """Cancel one of my desk or room bookings (until the cut-off)."""
    booking = _own_or_404(Booking, booking_id)
    # From a weekly slot's page, back there; else to my bookings.
    from_weekly = booking.series_id and request.form.get("back") == "weekly"
    back = url_for(".weekly_detail", series_id=booking.series_id) if from_weekly else url_for(".my_bookings")
    try:
        services.cancel_booking(booking)
    except BookingError as exc:
        flash(exc.message, "error")
        return or_account((redirect(back), 303))
    flash(_("Prenotazione annullata."), "success")
    return or_account((redirect(back), 303))


@bp.route("/account/bookings/loans/<int:loan_id>/cancel", methods=["POST"])
@login_required
def cancel_loan(loan_id):
    """Withdraw one of my equipment requests before the pickup."""
    loan = _own_or_404(Loan, loan_id)
    try:
        services.cancel_loan(loan)
    except BookingError as exc:
        flash(exc.message, "error")
        return or_account((redirect(url_for(".my_bookings")), 303))
    flash(_("Richiesta di prestito annullata."), "success")
    return or_account((redirect(url_for(".my_bookings")), 303))


moved(bp, "/account/loans/<int:loan_id>/cancel", "bookings.cancel_loan", methods=["POST"])  # former address


@bp.route("/account/bookings/calendar", methods=["POST"])
@login_required
def calendar_token():
    """Create (or replace, which revokes the old link) my private calendar link."""
    CalendarToken.for_user(current_user.id, renew=True)
    flash(_("Nuovo link del calendario creato: quello vecchio non funziona più."), "success")
    return redirect(url_for(".my_bookings", _anchor="calendario")), 303


@bp.route("/calendar/<token>.ics")
def ics(token):
    """My bookings and loans as an iCalendar feed (private token URL, no login)."""
    row = get_object_or_404(CalendarToken, CalendarToken.token == token)
    # The link back is built from BASE_URL, never from the request's Host header.
    link = external_url(".my_bookings")
    entries = services.calendar_entries(row.user_id, link)
    return calendar_response(calendar_bytes(entries, "Binari"), "binari.ics", cache="private, max-age=300")
