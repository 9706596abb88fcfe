"""Co-working desks and rooms, and the audio-video equipment loans (Via Visconti first).

Resources belong to a centre, so any centre can add rooms or equipment as data.
"""
from flask_babel import lazy_gettext as _l


def init_app(app):
    from . import staff, views

    app.register_blueprint(views.bp)
    app.register_blueprint(staff.bp)
    app.extensions.setdefault("binari_account_links", []).append(
        ("bookings.my_bookings", _l("Le mie prenotazioni e i miei prestiti")))
    links = app.extensions.setdefault("binari_staff_links", [])
    links += [
        ("bookings_staff.desk", _l("Co-working e prestiti: sportello di oggi")),
        ("bookings_staff.requests_list", _l("Richieste di prestito da approvare")),
        ("bookings_staff.overdue", _l("Prestiti in ritardo")),
        ("bookings_staff.resources", _l("Postazioni, sale e attrezzatura")),
        ("bookings_staff.policies", _l("Regole di prenotazione")),
    ]
