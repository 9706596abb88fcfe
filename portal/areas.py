"""The area contract: what a service area gives the core, declared in one place.

An *area* is a package under ``portal/`` (events, bookings, library,
volunteer, …) that offers one service online. The core never names an area: it
reads the registry built here. Each area builds one `Area` record in its
``__init__.py`` and registers it from ``init_app(app)``::

    def init_app(app):
        register(app, Area(name="library", blueprints=[views.bp, staff_views.bp], ...))

Which packages are loaded is configuration (``AREAS`` in `portal.config`).
Every slot is documented as a reference in ``docs/DEVELOPING.md``; a test
fails when an area that stores personal data lacks ``export`` or ``erase``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from flask import Blueprint

    from .models import Site, User

EXTENSION_KEY = "binari_areas"


@dataclass(frozen=True)
class Link:
    """A link to an endpoint with a label (lazy-translated)."""

    endpoint: str
    label: Any
    hint: Any = ""


@dataclass(frozen=True)
class Tile:
    """A home-page tile for a service, and the key that centres' services point at.

    ``service_key`` matches `portal.models.Service.area`: a centre page links
    each of its services that has a key to this tile's endpoint. With
    ``per_site`` the link carries ``site=<slug>`` (the area filters by centre).
    ``icon`` names a line icon of ``templates/_icons.html`` (none: no icon).
    """

    endpoint: str
    label: Any
    hint: Any
    service_key: str
    per_site: bool = False
    icon: str = ""  # a name from templates/_icons.html, drawn small on the tile


@dataclass(frozen=True)
class HomeSection:
    """A section of the home page: a template and the function that fills it.

    ``context()`` returns a dict for the template, or a falsy value to leave
    the section out (nothing to show).
    """

    template: str
    context: Callable[[], dict[str, Any] | None]


@dataclass(frozen=True)
class SiteSection:
    """A section of a centre's page: like `HomeSection`, but ``context(site)`` gets the centre."""

    template: str
    context: Callable[[Site], dict[str, Any] | None]


@dataclass(frozen=True)
class PhoneCall:
    """One person to phone, for the staff's phone list (people without e-mail)."""

    area: str
    site_id: int
    name: str
    phone: str
    #: What to tell: a `portal.phrases.phrase` (kept with a call, shown in each reader's language) or text.
    reason: Any
    link: str  # a relative URL of the record, for staff
    since: datetime | None = None
    done_at: datetime | None = None
    done_by: str = ""
    #: Stable key of the entry within its area (e.g. "hold:12"): the core phone list records the
    #: calls made against (area, key) and hands it back to the area's ``phone_done``.
    key: str = ""
    #: The whole message to read out, when there is more than the reason (shown folded).
    detail: str = ""


@dataclass(frozen=True)
class DataSection:
    """A part of a person's data export: rows of plain values under a heading.

    ``rows`` are dicts of JSON-able values (naive datetimes are UTC). The JSON
    export keys them as ``{area: {key: rows}}`` and keeps stored codes as they are; the readable
    page shows ``title`` and each row with ``labels`` (a key without a label is shown as is) and
    each code through ``values`` (``{field: {code: label}}``, e.g. a status in words).
    """

    key: str
    title: Any
    rows: list[dict[str, Any]]
    labels: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class ThingAction:
    """A one-tap action on one of a person's things: a POST to the area's own endpoint.

    The "Le mie cose" page sends it with the CSRF token and ``back=account``, and the area's
    endpoint then answers with a redirect to `/account` (`portal.mythings.back_to_account`).
    """

    label: Any
    url: str  # the relative URL of the area's POST endpoint
    danger: bool = False
    #: What the button does, for screen readers (the visible label alone, "Annulla", is vague in a list).
    describe: str = ""


@dataclass(frozen=True)
class MyThing:
    """One of a person's commitments for "Le mie cose" (`/account`) and the personal calendar.

    Times are naive UTC. ``starts_at`` None: undated (a book held, waiting in the queue), listed
    after the dated ones and left out of the calendar. ``all_day``: a day (a book's due date), then
    ``starts_at`` is that Milan day's midnight. ``key`` is stable ("<kind>-<id>"): the calendar
    entry's UID and the page's anchor.
    """

    key: str
    kind: Any  # what it is, in words: "Evento", "Turno di volontariato", …
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    changed_at: datetime
    all_day: bool = False
    where: str = ""
    note: Any = ""  # its state in words ("In lista d'attesa", "Da restituire")
    badge: str = ""  # "ok", "full" or "": the note's badge colour
    link: str = ""  # the relative URL of its page
    actions: Sequence[ThingAction] = ()
    in_calendar: bool = True  # False: shown on the page only (a pending request, a wait list)


#: How often a `Job` may ask to run (``every``), in seconds. The worker ticks once a minute and
#: runs each job whose last start is at least this long ago (`portal.jobs`).
JOB_INTERVALS: dict[str, int] = {
    "minute": 60,
    "5 minutes": 5 * 60,
    "15 minutes": 15 * 60,
    "hourly": 3600,
    "daily": 24 * 3600,
}


@dataclass(frozen=True)
class Job:
    """A piece of scheduled work: ``run(now)`` must be idempotent (running it twice does nothing
    twice, sends nothing twice).

    ``every`` is one of `JOB_INTERVALS` ("minute", "5 minutes", "15 minutes", "hourly", "daily");
    ``run(now)`` gets the scheduler's time (naive UTC) and returns how many things it did.
    ``name`` is unique across the app ("<area>-<what>").
    """

    name: str
    run: Callable[[datetime], int]
    every: str

    def __post_init__(self) -> None:
        if self.every not in JOB_INTERVALS:
            raise AreaContractError(f"job {self.name!r}: every={self.every!r} is not one of {sorted(JOB_INTERVALS)}")

    @property
    def seconds(self) -> int:
        return JOB_INTERVALS[self.every]


@dataclass(frozen=True)
class ReminderKind:
    """A kind of reminder an area sends: residents switch each one off in their account or with
    the one-click link in the message. ``key`` is stable ("<area>_<what>")."""

    key: str
    label: Any
    hint: Any = ""


@dataclass(frozen=True)
class DayRow:
    """One line of the staff member's day: a time (or ""), what, a note, and a link to act on it."""

    time: str
    text: str
    note: str = ""
    link: str = ""


@dataclass(frozen=True)
class DaySection:
    """A part of the staff member's day (`/staff` and the daily sheet), from one area."""

    title: Any
    rows: list[DayRow]
    link: str = ""  # the staff page where the whole thing is managed
    link_label: Any = ""
    empty: Any = ""  # what to say when there are no rows


@dataclass(frozen=True)
class ReportQuery:
    """What a report asks an area: Milan days `first`..`last` (inclusive), one centre or all
    (``site_id`` None), and optionally only the activities a partner organisation runs."""

    first: date
    last: date
    site_id: int | None = None
    partner_id: int | None = None
    #: Also split the answer by centre and/or by Milan month (`Figure.cells`): one aggregated
    #: query per figure family (`portal.report_cells`) instead of one call per centre and month.
    by_site: bool = False
    by_month: bool = False
    #: False: figures that count people (``people=True``) may leave out their cells (only the
    #: whole query's value), which spares a COUNT(DISTINCT …) per level; the bars and the split
    #: by centre of a page only draw counts.
    people_cells: bool = True
    #: False (with ``people_cells``): people are counted per centre but not per month (the PDF's
    #: centre pages need them; only the CSV needs them per month), sparing two COUNT(DISTINCT …).
    people_months: bool = True


#: A cell of a grouped answer: (centre id or None for all the query's centres, first day of the
#: Milan month or None for the whole period). (None, None) is the figure itself.
Cell = tuple[int | None, date | None]


@dataclass(frozen=True)
class Figure:
    """One number for the reports.

    ``key`` is stable, "<area>.<name>" (CSV columns, comparisons between periods); ``label`` and
    ``method`` (how it is counted, for the report's method note) are lazy text. A figure that
    counts people (``people``) is shown as "< 5" between 1 and 4 in anything that leaves the staff
    pages. ``breakdown`` splits the value, e.g. by category: ``((label, value), ...)``.
    """

    key: str
    label: Any
    value: int | float
    people: bool = False
    unit: str = ""  # "" for a count, "h" for hours
    method: Any = ""
    breakdown: tuple[tuple[Any, int | float], ...] = ()
    #: For a query with ``by_site``/``by_month``: the figure of each cell, ``{(site id or None,
    #: month or None): Figure}`` (a cell with no rows may be left out: it counts as zero). People
    #: are counted distinct within each cell. Empty when the area does not split its answer:
    #: then the report asks it again per centre and per month.
    cells: Mapping[Cell, Figure] = field(default_factory=dict, compare=False, hash=False)


@dataclass
class Area:
    """One service area's record. Every slot but ``name`` and ``blueprints`` is optional."""

    name: str
    title: Any
    blueprints: Sequence[Blueprint]
    #: Tiles on the home page (and centre pages' "go to the service" links).
    tiles: Sequence[Tile] = ()
    #: Entries of the main menu in the header (kept short: a phone shows one row).
    menu: Sequence[Link] = ()
    #: Links on the staff dashboard.
    staff_links: Sequence[Link] = ()
    #: Links on the member's page ("my registrations", …).
    account_links: Sequence[Link] = ()
    #: Sections of the home page, in order.
    home_sections: Sequence[HomeSection] = ()
    #: Loads demo data: ``demo(ctx) -> {label: count}``; ctx as in `portal.demo.load_core`.
    demo: Callable[[dict[str, Any]], dict[str, int]] | None = None
    #: True when the area keeps data about a person (then export and erase are required).
    stores_personal_data: bool = False
    #: Everything the area keeps about a person: ``export(user) -> [DataSection]``.
    export: Callable[[User], list[DataSection]] | None = None
    #: Erases a person: frees future commitments, anonymises the past. Runs inside the
    #: account deletion's transaction, before the account row itself is anonymised. It may
    #: raise `portal.refusals.Refusal` (e.g. books still on loan): then nothing is erased.
    erase: Callable[[User], None] | None = None
    #: People to phone at these centres: ``people_to_phone(site_ids) -> [PhoneCall]``.
    people_to_phone: Callable[[Sequence[int]], list[PhoneCall]] | None = None
    #: The accounts tied to these centres through the area (a registration, booking, loan, sign-up,
    #: membership): ``members_at(site_ids) -> query selecting user ids``. Staff see only those.
    members_at: Callable[[Sequence[int]], Any] | None = None
    #: The area's part of a phone-list call being made: ``phone_done(key, staff_user) -> bool``
    #: (False when the key is not one of the area's entries).
    phone_done: Callable[[str, User], bool] | None = None
    #: Scheduled work (reminders, expiries, purges).
    jobs: Sequence[Job] = ()
    #: The reminder kinds the area's jobs send (the resident's preferences list them).
    reminder_kinds: Sequence[ReminderKind] = ()
    #: The staff member's day at a centre: ``staff_day(site_id, day) -> [DaySection]``.
    staff_day: Callable[[int, date], list[DaySection]] | None = None
    #: Figures for the reports: ``figures(ReportQuery) -> [Figure]``, with `Figure.cells` when the
    #: query asks ``by_site``/``by_month`` (optional: without them the report asks once per cell).
    figures: Callable[[ReportQuery], list[Figure]] | None = None
    #: The distinct people the area reached: ``people(ReportQuery) -> {key}``, keys ``"u<user id>"`` for
    #: accounts and ``"c<normalised e-mail or phone>"`` for guests, so the report can count distinct
    #: residents across areas. Keys never leave the server.
    people: Callable[[ReportQuery], set[str]] | None = None
    #: The same people as SQL: ``people_query(ReportQuery) -> SELECT of one column "person"`` (the
    #: keys of ``people``; None: nobody for this query). When every area with ``people`` has it,
    #: the report counts distinct people across areas with one COUNT(DISTINCT …) over their UNION
    #: ALL instead of fetching every key.
    people_query: Callable[[ReportQuery], Any] | None = None
    #: Sections of a centre's page (``/sites/<slug>``): its next events, …
    site_sections: Sequence[SiteSection] = ()
    #: Public pages for `/sitemap.xml`: ``sitemap() -> [(path, last change as naive UTC or None)]``.
    sitemap: Callable[[], list[tuple[str, datetime | None]]] | None = None
    #: The person's commitments that end at or after ``since`` (naive UTC): ``my_things(user,
    #: since) -> [MyThing]``, each with its one-tap actions. `/account` lists them soonest first,
    #: the personal calendar feed shows the dated ones.
    my_things: Callable[[User, datetime], list[MyThing]] | None = None
    #: Where to find something to do, for the "Le mie cose" page's empty state.
    find_links: Sequence[Link] = ()
    #: Further set-up of the app (Jinja filters, …), called once at registration.
    setup: Callable[[Flask], None] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class AreaContractError(RuntimeError):
    """An area's record breaks the contract (found at start-up, never at request time)."""


def register(app: Flask, area: Area) -> None:
    """Add an area to the app: its blueprints, its set-up, its record in the registry."""
    registry = app.extensions.setdefault(EXTENSION_KEY, {})
    if area.name in registry:
        raise AreaContractError(f"area {area.name!r} registered twice")
    if area.stores_personal_data and (area.export is None or area.erase is None):
        raise AreaContractError(f"area {area.name!r} stores personal data but lacks export or erase")
    for blueprint in area.blueprints:
        app.register_blueprint(blueprint)
    if area.setup:
        area.setup(app)
    registry[area.name] = area


def load_areas(app: Flask, packages: Iterable[str]) -> None:
    """Import each configured area package and let it register itself."""
    for dotted in packages:
        importlib.import_module(dotted).init_app(app)


def all_areas(app: Flask | None = None) -> list[Area]:
    """The registered areas, in registration order."""
    app = app or current_app
    return list(app.extensions.get(EXTENSION_KEY, {}).values())


def get_area(name: str, app: Flask | None = None) -> Area | None:
    app = app or current_app
    return app.extensions.get(EXTENSION_KEY, {}).get(name)


def tiles() -> list[Tile]:
    return [tile for area in all_areas() for tile in area.tiles]


def tile_for_service(key: str) -> Tile | None:
    """The tile that a centre's service with this ``area`` key links to."""
    return next((tile for tile in tiles() if key and tile.service_key == key), None)


def menu_links() -> list[Link]:
    return [link for area in all_areas() for link in area.menu]


def staff_links() -> list[tuple[Area, list[Link]]]:
    return [(area, list(area.staff_links)) for area in all_areas() if area.staff_links]


def account_links() -> list[Link]:
    return [link for area in all_areas() for link in area.account_links]


def my_things(user: User, since: datetime) -> list[MyThing]:
    """Every area's things of a person that end at or after `since`: dated ones soonest first, then
    the undated ones."""
    things = [thing for area in all_areas() if area.my_things for thing in area.my_things(user, since)]
    return sorted(things, key=lambda t: (t.starts_at is None, t.starts_at or datetime.min, t.key))


def find_links() -> list[Link]:
    return [link for area in all_areas() for link in area.find_links]


def home_sections() -> list[tuple[HomeSection, dict[str, Any]]]:
    """The home sections that have something to show, with their context."""
    found = []
    for area in all_areas():
        for section in area.home_sections:
            context = section.context()
            if context:
                found.append((section, context))
    return found


def export_person(user: User) -> list[tuple[Area, list[DataSection]]]:
    """Every area's part of a person's data export."""
    return [(area, area.export(user)) for area in all_areas() if area.export]


def erase_person(user: User) -> None:
    """Every area erases the person (the caller holds the transaction)."""
    for area in all_areas():
        if area.erase:
            area.erase(user)


def people_to_phone(site_ids: Sequence[int]) -> list[PhoneCall]:
    """Everyone to phone at these centres, from every area, oldest first."""
    calls = [call for area in all_areas() if area.people_to_phone for call in area.people_to_phone(site_ids)]
    return sorted(calls, key=lambda c: (c.done_at is not None, c.since or datetime.min))


def members_at(site_ids: Sequence[int]) -> list[Any]:
    """Every area's query of the user ids tied to these centres (see `Area.members_at`)."""
    return [area.members_at(site_ids) for area in all_areas() if area.members_at]


def reminder_kinds() -> list[ReminderKind]:
    return [kind for area in all_areas() for kind in area.reminder_kinds]


def staff_day(site_id: int, day: date) -> list[tuple[Area, list[DaySection]]]:
    """Every area's part of a centre's day."""
    return [(area, area.staff_day(site_id, day)) for area in all_areas() if area.staff_day]


def site_sections(site: Site) -> list[tuple[SiteSection, dict[str, Any]]]:
    """The centre-page sections that have something to show for `site`, with their context."""
    found = []
    for area in all_areas():
        for section in area.site_sections:
            context = section.context(site)
            if context:
                found.append((section, context))
    return found


def sitemap_entries() -> list[tuple[str, datetime | None]]:
    """Every area's public pages for the sitemap."""
    return [entry for area in all_areas() if area.sitemap for entry in area.sitemap()]


def jobs() -> list[tuple[Area, Job]]:
    return [(area, job) for area in all_areas() for job in area.jobs]


def figures(query: ReportQuery) -> list[tuple[Area, list[Figure]]]:
    return [(area, area.figures(query)) for area in all_areas() if area.figures]


def people_reached(query: ReportQuery) -> set[str]:
    """Distinct people reached by every area in the query's period and place."""
    found: set[str] = set()
    for area in all_areas():
        if area.people:
            found |= area.people(query)
    return found


def count_people(queries: Sequence[ReportQuery]) -> int:
    """How many distinct people every area reached for these queries (e.g. one per centre).

    One SQL query when every area gives its people as SQL (`Area.people_query`), else the union
    of the areas' key sets.
    """
    with_people = [area for area in all_areas() if area.people]
    if not all(area.people_query for area in with_people):
        found: set[str] = set()
        for query in queries:
            found |= people_reached(query)
        return len(found)
    from functools import reduce

    from peewee import SQL, Select, fn

    from .db import database

    selects = [s for query in queries for area in with_people if (s := area.people_query(query)) is not None]  # type: ignore[misc]
    if not selects:
        return 0
    union = reduce(lambda a, b: a + b, selects).alias("reached")  # UNION ALL
    count = Select([union], [fn.COUNT(fn.DISTINCT(SQL('"reached"."person"')))]).bind(database())
    return int(count.scalar() or 0)


def demo_loaders() -> list[tuple[str, Callable[[dict[str, Any]], dict[str, int]]]]:
    return [(area.name, area.demo) for area in all_areas() if area.demo]
