"""The event calendar: agenda, recurring activities, registration with waitlist,
feeds, flyers and monthly programmes."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.areas import Area, HomeSection, Job, Link, ReminderKind, SiteSection, Tile, register
from portal.guests import forget_guest_actions

bp = Blueprint("events", __name__)


def _home_section():
    from .models import upcoming_for_home
    from .texts import localize

    upcoming = localize(upcoming_for_home())
    return {"upcoming": upcoming} if upcoming else None


def _site_section(site):
    from .models import upcoming_for_home

    upcoming = upcoming_for_home(site_id=site.id)
    return {"upcoming": upcoming, "site": site} if upcoming else None


def _setup(app):
    from flask_babel import format_date

    # "novembre 2026": the month's stand-alone name (the calendar's headings).
    app.jinja_env.filters["format_month"] = lambda d: format_date(d, "LLLL y") if d else ""
    app.jinja_env.filters["month_abbr"] = lambda d: format_date(d, "LLL") if d else ""
    # "8 dicembre", "martedì": for a series in words ("ogni martedì … tranne 8 dicembre").
    app.jinja_env.filters["day_month"] = lambda d: format_date(d, "d MMMM") if d else ""
    app.jinja_env.filters["day_month_year"] = lambda d: format_date(d, "d MMMM y") if d else ""
    app.jinja_env.filters["weekday"] = lambda d: format_date(d, "EEEE") if d else ""


def init_app(app):
    from . import demo, feeds, mine, privacy, reports, services, staff_views, views  # noqa: F401  (the modules register their routes on bp)
    from .day import staff_day

    register(
        app,
        Area(
            name="events",
            title=_l("Calendario"),
            blueprints=[bp],
            tiles=[
                Tile(
                    "events.agenda",
                    _l("Calendario degli eventi"),
                    _l("Cosa succede nei tre centri"),
                    service_key="events",
                    icon="calendar",
                    per_site=True,
                )
            ],
            menu=[Link("events.agenda", _l("Eventi"))],
            staff_links=[
                Link("events.staff_list", _l("Calendario: eventi e iscrizioni")),
                Link("events.staff_moderation", _l("Proposte di eventi da approvare")),
            ],
            account_links=[Link("events.my_registrations", _l("Le mie iscrizioni agli eventi"))],
            my_things=mine.my_things,
            find_links=[Link("events.agenda", _l("Guarda il calendario"))],
            home_sections=[HomeSection("events/_home_section.html", _home_section)],
            site_sections=[SiteSection("events/_site_section.html", _site_section)],
            demo=demo.load,
            stores_personal_data=True,
            export=privacy.export,
            erase=privacy.erase,
            members_at=privacy.members_at,
            people_to_phone=services.people_to_phone,
            phone_done=services.phone_done,
            jobs=[
                Job("events-remind-day-before", services.remind_day_before, every="hourly"),
                Job("events-purge-guests", services.purge_guests_job, every="daily"),
                Job("events-expire-unconfirmed-guests", services.expire_unconfirmed_job, every="minute"),
                Job("guest-actions-retention", forget_guest_actions, every="hourly"),  # core table, hosted here
            ],
            reminder_kinds=[ReminderKind(services.REMINDER_KIND, _l("Eventi: il giorno prima"))],
            staff_day=staff_day,
            figures=reports.figures,
            people=reports.people,
            people_query=reports.people_query,
            sitemap=feeds.sitemap,
            setup=_setup,
        ),
    )
