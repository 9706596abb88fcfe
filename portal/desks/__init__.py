"""Help desks (sportelli): appointments with the legal, work, housing, financial and ACLI desks.

Residents find every desk of the three centres at /sportelli and book a time (members in one tap,
guests with a name and a phone or e-mail); operators run their day at /staff/desks. Subjects and
notes are private to the desk's operators and admins, every read is audited, and a job empties
them after DESK_NOTE_RETENTION_MONTHS.
"""

from flask_babel import lazy_gettext as _l

from portal.areas import Area, Job, Link, Tile, register


def init_app(app):
    from . import demo, mine, privacy, reminders, reports, services, staff_views, views  # noqa: F401  (staff_views adds routes to views.bp)

    register(
        app,
        Area(
            name="desks",
            title=_l("Sportelli"),
            blueprints=[views.bp],
            tiles=[
                Tile(
                    "desks.index",
                    _l("Sportelli"),
                    _l("Patronato, legale, lavoro, casa, soldi: prendi un appuntamento"),
                    service_key="desks",
                    icon="chat",
                    per_site=True,
                )
            ],
            staff_links=[
                Link("desks.staff_index", _l("Sportelli: appuntamenti di oggi e orari")),
            ],
            account_links=[Link("desks.my_appointments", _l("I miei appuntamenti agli sportelli"))],
            my_things=mine.my_things,
            find_links=[Link("desks.index", _l("Prendi un appuntamento a uno sportello"))],
            demo=demo.load,
            stores_personal_data=True,
            export=privacy.export,
            erase=privacy.erase,
            people_to_phone=privacy.people_to_phone,
            phone_done=privacy.phone_done,
            jobs=[
                Job("desks.slots", services.run_materialise, every="daily"),
                Job("desks.reminders", reminders.remind_job, every="hourly"),
                Job("desks.retention", services.run_retention, every="daily"),
            ],
            reminder_kinds=reminders.KINDS,
            staff_day=reminders.staff_day,
            figures=reports.figures,
            people=reports.people,
            people_query=reports.people_query,
            setup=_setup,
        ),
    )


def _setup(app):
    from portal.clock import local_date

    app.jinja_env.filters["local_iso_date"] = lambda moment: local_date(moment).isoformat()
