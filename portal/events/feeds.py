"""Feeds and printed matter: iCalendar, Atom, the embeddable agenda, flyers and
the monthly programme (PDF, cached and revalidated by ETag)."""

from datetime import date, timedelta

from flask import abort, current_app, g, make_response, render_template, request, url_for
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from playhouse.flask_utils import get_object_or_404

from portal.clock import month_bounds_utc, today_local, utcnow
from portal.ics import CalendarEntry, calendar_bytes, calendar_response
from portal.models import Site, closed_sites_by_day
from portal.moved import moved
from portal.pagecache import public_page
from portal.pdf import pdf_response, print_logos, qr_data_uri, render_pdf
from portal.rendering import render
from portal.text import xml_safe
from portal.urls import external_url

from . import bp
from .forms import parse_month
from .markdown import plain_description, render_description
from .models import CATEGORIES, Event, Series
from .posters import poster_src
from .printouts import cached_file, cached_pdf, events_etag
from .series import public_meetings, summarise
from .texts import localize, localize_one
from .views import by_day

FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 183
FEED_LIMIT = 500


def _feed_query(site=None, category=None, since=None):
    now = utcnow()
    query = Event.public().where(
        (Event.ends_at >= (since or now - timedelta(days=FEED_DAYS_BACK)))
        & (Event.starts_at <= now + timedelta(days=FEED_DAYS_AHEAD))
    )
    if site:
        query = query.where(Site.slug == site)
    if category:
        query = query.where(Event.category == category)
    return query.order_by(Event.starts_at, Event.id)


def _feed_events(site=None, category=None, limit=FEED_LIMIT, since=None):
    return localize(_feed_query(site, category, since).limit(limit))


def _feed_etag(kind, site, category, since=None, limit=FEED_LIMIT):
    """From the ids and stamps of the feed's events (a narrow query): calendar
    apps poll feeds often, and most of the time nothing changed."""
    rows = _feed_query(site, category, since).select(Event.id, Event.updated_at).limit(limit).tuples()
    return events_etag(kind, list(rows), extra=f"{site}|{category}|{get_locale()}|{utcnow().date()}")


def not_modified(etag):
    """True when the client already holds this version. If-None-Match compares weakly (RFC 9110 13.1.2):
    a compressing proxy in front turns our ETag into W/"…", and the client sends that back."""
    return bool(request.if_none_match) and request.if_none_match.contains_weak(etag)


def _valid_site(slug):
    if not slug:
        return None
    if not Site.select().where(Site.slug == slug).exists():
        abort(404)
    return slug


def calendar_entry(event):
    """One event for `portal.ics`: a link back, the place, the organising partner."""
    link = external_url("events.event_page", event_id=event.id)
    place = f"{event.site.name}" + (f" – {event.room.name}" if event.room_id and event.room else "")
    organizer = None
    if event.partner_id and event.partner:
        organizer = (event.site.email or "info@binari.example", event.partner.name)
    return CalendarEntry(
        uid=f"event-{event.id}",
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        summary=event.title,
        changed_at=event.updated_at,
        description=plain_description(event.description),
        location=f"{place}, {event.site.full_address}",
        url=link,
        cancelled=event.status == "cancelled",
        categories=[str(CATEGORIES.get(event.category, event.category))],
        geo=(event.site.latitude, event.site.longitude),
        organizer=organizer,
    )


def _calendar(events, name):
    return calendar_bytes([calendar_entry(e) for e in events], name)


@bp.route("/events.ics")
@public_page
def ical_feed():
    """The public calendar as iCalendar (?site=, ?category=): last month and the next six."""
    site = _valid_site(request.args.get("site"))
    category = request.args.get("category")
    if category and category not in CATEGORIES:
        abort(404)
    etag = _feed_etag("ics", site, category)
    if not_modified(etag):
        response = make_response("", 304)
    else:
        body = cached_file(etag, lambda: _calendar(_feed_events(site, category), _("Binari – eventi")), "ics")
        response = calendar_response(body, "binari-eventi.ics")
        # These bytes, compressed once per worker (portal/compressed.py); the base URL is in every link.
        g.compress_cache_key = f"events.ics:{etag}:{current_app.config['BASE_URL']}"
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/events/<int:event_id>.ics")
def ical_one(event_id):
    """One event as iCalendar, for "add to calendar"."""
    event = get_object_or_404(Event.public(), Event.id == event_id)
    return calendar_response(_calendar([event], event.title), f"evento-{event.id}.ics", cache="public, max-age=300")


@bp.route("/events.atom")
@public_page
def atom_feed():
    """The upcoming events as an Atom feed (?site=, ?category=)."""
    site = _valid_site(request.args.get("site"))
    category = request.args.get("category")
    if category and category not in CATEGORIES:
        abort(404)
    now = utcnow()
    # The ETag follows exactly the events the feed lists (ids and stamps): feed readers poll often.
    etag = _feed_etag("atom", site, category, since=now, limit=100)
    if not_modified(etag):
        response = make_response("", 304)
    else:
        events = _feed_events(site, category, limit=100, since=now)
        updated = max((e.updated_at for e in events), default=now)
        filters = {key: value for key, value in (("site", site), ("category", category)) if value}
        # A title stored before control characters were refused must not make the feed ill-formed for everyone.
        response = make_response(
            xml_safe(
                render_template(
                    "events/feed.atom.xml",
                    events=events,
                    updated=updated,
                    plain_description=plain_description,
                    self_url=external_url("events.atom_feed", **filters),
                )
            )
        )
        response.headers["Content-Type"] = "application/atom+xml; charset=utf-8"
    response.set_etag(etag)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.route("/events/embed")
def embed():
    """A small agenda that partner web sites can show in an iframe (no script, no cookies needed)."""
    site = _valid_site(request.args.get("site"))
    query = Event.upcoming(site=site)
    events = localize(query.limit(15))
    response = render("events/embed.html", days=by_day(events), site=site)
    # Only here may other sites frame us; every other page keeps frame-ancestors 'self'.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self' data:; style-src 'self'; frame-ancestors *; base-uri 'none'; "
        "form-action 'self'"
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- PDFs ---------------------------------------------------------------------------
def _conditional_pdf(etag, build, filename):
    """304 when the reader already has this version; else the (cached) PDF."""
    if not_modified(etag):
        response = make_response("", 304)
    else:
        response = pdf_response(cached_pdf(etag, build), filename)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # always ask; a 304 costs nothing
    return response


@bp.route("/events/<int:event_id>/flyer.pdf")
def flyer(event_id):
    """An A4 poster (or ?format=a5 handout) for the notice board, with a QR code to the event."""
    event = get_object_or_404(Event.public(), Event.id == event_id)
    size = request.args.get("format") if request.args.get("format") in ("a5", "a5x2") else "a4"
    # A date of a weekly course: the flyer is for the course ("ogni martedì … dal … al …, tranne …"),
    # unless ?one=1 asks for this date alone.
    series = event.series if event.series_id and not event.detached and not request.args.get("one") else None
    today = today_local()
    stamps = [(event.id, event.updated_at)]
    if series:
        stamps = list(
            Event.select(Event.id, Event.updated_at).where(Event.series == series.id).order_by(Event.id).tuples()
        )
    lang = str(get_locale() or "it")
    etag = events_etag(
        f"flyer-{size}-{lang}-{'series' if series else 'one'}",
        stamps,
        extra=f"{event.site.name}|{event.site.full_address}|{event.room.name if event.room else ''}"
        f"|{event.partner.name if event.partner else ''}|{today if series else ''}|{print_logos()}",
    )

    def build():
        localize_one(event)
        link = external_url("events.event_page", event_id=event.id)
        return render_pdf(
            "events/flyer.html",
            event=event,
            size=size,
            qr=qr_data_uri(link, scale=6),
            link=link,
            poster_url=poster_src(event.poster) if event.poster else None,
            description=render_description(event.description),
            summary=summarise(series, from_day=today) if series else None,
            logos=print_logos(),
        )

    return _conditional_pdf(etag, build, f"volantino-{event.id}-{size}.pdf")


@bp.route("/events/programme/<ym>.pdf")
def programme(ym):
    """Every event of a month by day, A4, big type for notice boards (?site= for one centre)."""
    parsed = parse_month(ym)
    if parsed is None:
        abort(404)
    year, month_no = parsed
    # PDFs are costly to build: only the months people can really want (two years either side).
    today = today_local()
    if abs((year - today.year) * 12 + month_no - today.month) > 24:
        abort(404)
    site_slug = _valid_site(request.args.get("site"))
    site = Site.get(Site.slug == site_slug) if site_slug else None
    start, end = month_bounds_utc(year, month_no)
    # The ETag comes from the month's events' stamps: one narrow query, no PDF work.
    stamps = Event.select(Event.id, Event.updated_at).where(
        Event.status.in_(("published", "cancelled")) & (Event.starts_at >= start) & (Event.starts_at < end)
    )
    if site:
        stamps = stamps.where(Event.site == site.id)
    lang = str(get_locale() or "it")
    # The closed days are printed too (a notice board must not promise an open door on a holiday).
    sites = list(Site.ordered())
    shown = [s for s in sites if site is None or s.id == site.id]
    first = date(year, month_no, 1)
    last = date(year + (month_no == 12), month_no % 12 + 1, 1) - timedelta(days=1)
    closures = closed_sites_by_day(first, last, [s.id for s in shown])
    closed = [
        (day, [s.short_name for s in shown if s.id in ids] if len(ids) < len(shown) else [])
        for day, ids in sorted(closures.items())
    ]
    # The centres' names and addresses are printed too: a change there is a new version.
    places = "|".join(f"{s.name};{s.full_address};{s.phone}" for s in sites) + f"|{closed}"
    etag = events_etag(
        f"programme-{ym}-{site_slug or 'all'}-{lang}",
        [(e.id, e.updated_at) for e in stamps.order_by(Event.id)],
        extra=places,
    )

    def build():
        events = localize(Event.in_month(year, month_no, site=site_slug))
        weekly, one_offs = split_weekly(events, first, last)
        title_month = format_date(date(year, month_no, 1), "MMMM y")
        link = external_url("events.month", ym=ym, **({"site": site_slug} if site_slug else {}))
        return render_pdf(
            "events/programme.html",
            weekly=weekly,
            days=by_day(one_offs),
            # About a sheet's worth: balanced columns, each day kept whole (costly on a long month).
            short=len(weekly) + len(one_offs) <= SHORT_PROGRAMME,
            site=site,
            month_label=title_month,
            sites=sites,
            closed=closed,
            qr=qr_data_uri(link, scale=4),
            link=link,
        )

    return _conditional_pdf(etag, build, f"programma-{ym}{'-' + site_slug if site_slug else ''}.pdf")


SHORT_PROGRAMME = 40  # entries (a course or an event) that fit one A4 sheet of the programme


def split_weekly(events, first, last):
    """The month's events as ([(series, summary, a date of it)], one-off events): a course that meets
    more than once in the month is one entry of the "every week" block, not a line per date."""
    dates_of = {}
    for event in events:
        if event.series_id and not event.detached:
            dates_of.setdefault(event.series_id, []).append(event)
    repeating = {sid for sid, items in dates_of.items() if len(items) > 1}
    # Two queries for all the month's courses, not two per course (a big month has hundreds).
    series_of = {series.id: series for series in Series.select().where(Series.id.in_(repeating))}
    meetings_of = public_meetings(repeating)
    weekly = [
        (
            series_of[sid],
            summarise(series_of[sid], first, last, whole_window=True, occurrences=meetings_of.get(sid, [])),
            dates_of[sid][0],
        )
        for sid in sorted(
            repeating, key=lambda sid: (dates_of[sid][0].local_start.weekday(), series_of[sid].start_time)
        )
    ]
    one_offs = [e for e in events if not (e.series_id in repeating and not e.detached)]
    return weekly, one_offs


# --- former addresses (before the area contract) -------------------------------------------
moved(bp, "/embed/events", "events.embed")
moved(bp, "/programme/<ym>.pdf", "events.programme")


def sitemap():
    """Public event pages for /sitemap.xml: published events from the last 30 days on, at their canonical address."""
    since = utcnow() - timedelta(days=30)
    query = (
        Event.select(Event.id, Event.title, Event.updated_at)
        .where((Event.status == "published") & (Event.ends_at >= since))
        .order_by(Event.starts_at, Event.id)
    )
    return [(url_for("events.event_page", event_id=e.id, slug=e.slug), e.updated_at) for e in query]
