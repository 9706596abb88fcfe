"""Co-working desks and rooms, and the audio-video equipment loans (Via Visconti first).

Resources belong to a centre, so any centre can add rooms or equipment as data.
"""

from flask_babel import lazy_gettext as _l

from portal.areas import Area, Job, Link, Tile, register


def init_app(app):
    from . import demo, mine, privacy, reminders, reports, services, staff_views, views  # noqa: F401  (staff_views adds its routes to views.bp)

    register(
        app,
        Area(
            name="bookings",
            title=_l("Co-working e prestito audio-video"),
            blueprints=[views.bp],
            tiles=[
                Tile(
                    "bookings.coworking",
                    _l("Co-working"),
                    _l("Prenota una postazione in via Visconti"),
                    service_key="coworking",
                    icon="desk",
                ),
                Tile(
                    "bookings.equipment",
                    _l("Prestito audio-video"),
                    _l("Videocamere, microfoni, luci, proiettore"),
                    service_key="equipment",
                    icon="camera",
                ),
            ],
            staff_links=[
                Link("bookings.staff_desk", _l("Co-working e prestiti: sportello di oggi")),
                Link("bookings.staff_requests", _l("Richieste di prestito da approvare")),
                Link("bookings.staff_overdue", _l("Prestiti in ritardo")),
                Link("bookings.staff_resources", _l("Postazioni, sale e attrezzatura")),
                Link("bookings.staff_policies", _l("Regole di prenotazione")),
            ],
            account_links=[Link("bookings.my_bookings", _l("Le mie prenotazioni e i miei prestiti"))],
            my_things=mine.my_things,
            find_links=[
                Link("bookings.coworking", _l("Prenota una postazione")),
                Link("bookings.equipment", _l("Chiedi attrezzatura in prestito")),
            ],
            demo=demo.load,
            stores_personal_data=True,
            export=privacy.export,
            erase=privacy.erase,
            members_at=privacy.members_at,
            people_to_phone=privacy.people_to_phone,
            phone_done=privacy.phone_done,
            jobs=[
                Job("bookings-release-no-shows", services.release_no_shows_job, every="minute"),
                Job("bookings-extend-overdue", services.extend_overdue_job, every="hourly"),
                Job("bookings-reminders", reminders.remind_job, every="hourly"),
            ],
            reminder_kinds=reminders.KINDS,
            staff_day=reminders.staff_day,
            figures=reports.figures,
            people=reports.people,
            people_query=reports.people_query,
        ),
    )
