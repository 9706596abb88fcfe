"""Co-working desks and rooms, and the audio-video equipment loans (Via Visconti first).

Resources belong to a centre, so any centre can add rooms or equipment as data.
"""

from flask_babel import lazy_gettext as _l

from portal.areas import Area, Link, Tile, register


def init_app(app):
    from . import demo, staff, views

    register(
        app,
        Area(
            name="bookings",
            title=_l("Co-working e prestito audio-video"),
            blueprints=[views.bp, staff.bp],
            tiles=[
                Tile(
                    "bookings.coworking",
                    _l("Co-working"),
                    _l("Prenota una postazione in via Visconti"),
                    service_key="coworking",
                ),
                Tile(
                    "bookings.equipment",
                    _l("Prestito audio-video"),
                    _l("Videocamere, microfoni, luci, proiettore"),
                    service_key="equipment",
                ),
            ],
            staff_links=[
                Link("bookings_staff.desk", _l("Co-working e prestiti: sportello di oggi")),
                Link("bookings_staff.requests_list", _l("Richieste di prestito da approvare")),
                Link("bookings_staff.overdue", _l("Prestiti in ritardo")),
                Link("bookings_staff.resources", _l("Postazioni, sale e attrezzatura")),
                Link("bookings_staff.policies", _l("Regole di prenotazione")),
            ],
            account_links=[Link("bookings.my_bookings", _l("Le mie prenotazioni e i miei prestiti"))],
            demo=demo.load,
        ),
    )
