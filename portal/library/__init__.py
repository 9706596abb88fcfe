"""The community library: catalogue search, holds, loans, the circulation desk."""
from flask_babel import lazy_gettext as _l

STAFF_LINKS = [
    ("library.desk", _l("Biblioteca: sportello prestiti")),
    ("library.holds_shelf", _l("Biblioteca: scaffale prenotazioni")),
    ("library.to_phone", _l("Biblioteca: persone da chiamare")),
    ("library.overdue", _l("Biblioteca: prestiti scaduti")),
    ("library.catalogue", _l("Biblioteca: catalogo")),
    ("library.import_csv", _l("Biblioteca: importa CSV")),
    ("library.labels", _l("Biblioteca: etichette")),
    ("library.figures", _l("Biblioteca: numeri del mese")),
]


def init_app(app):
    from . import views

    app.register_blueprint(views.bp)
    app.extensions.setdefault("binari_account_links", []).append(("library.my_loans", _l("La mia biblioteca")))
    app.extensions.setdefault("binari_staff_links", []).extend(STAFF_LINKS)
