"""Volunteer sign-up for mutual-aid shifts: opportunities, shifts, waitlist, rosters, hours.

One blueprint: member and public pages under /volunteer (views.py), coordinators'
pages under /staff/volunteer (staff_views.py)."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from portal.areas import Area, Job, Link, Tile, register

bp = Blueprint("volunteer", __name__)


def init_app(app):
    from . import demo, mine, privacy, reminders, reports, services, staff_views, views  # noqa: F401  (the views register their routes on bp)

    register(
        app,
        Area(
            name="volunteer",
            title=_l("Volontariato"),
            blueprints=[bp],
            tiles=[
                Tile(
                    "volunteer.index",
                    _l("Volontariato"),
                    _l("Dai una mano nei turni di mutuo aiuto"),
                    service_key="volunteer",
                    icon="hands",
                    per_site=True,
                )
            ],
            staff_links=[
                Link("volunteer.manage", _l("Volontariato: turni e registri")),
                Link("volunteer.directory", _l("Volontariato: elenco volontari")),
            ],
            account_links=[Link("volunteer.mine", _l("I miei turni di volontariato"))],
            my_things=mine.my_things,
            find_links=[Link("volunteer.index", _l("Trova un turno"))],
            demo=demo.load,
            stores_personal_data=True,
            export=privacy.export,
            erase=privacy.erase,
            members_at=privacy.members_at,
            people_to_phone=services.people_to_phone,
            phone_done=services.phone_done,
            jobs=[
                Job("volunteer-reminders", reminders.remind_job, every="hourly"),
                Job("volunteer-expire-unconfirmed-guests", services.expire_unconfirmed_job, every="minute"),
            ],
            reminder_kinds=reminders.KINDS,
            staff_day=reminders.staff_day,
            figures=reports.figures,
            people=reports.people,
            people_query=reports.people_query,
            sitemap=views.sitemap,
        ),
    )
