"""The community library: catalogue search, holds, loans, the circulation desk."""

from flask_babel import lazy_gettext as _l

from portal.areas import Area, Job, Link, Tile, register


def init_app(app):
    from . import (
        demo,
        mine,
        privacy,
        reminders,
        reports,
        services,
        staff_views,  # noqa: F401  (adds the staff pages to views.bp)
        views,
    )

    register(
        app,
        Area(
            name="library",
            title=_l("Biblioteca"),
            blueprints=[views.bp],  # one blueprint: staff_views adds its pages to it
            tiles=[
                Tile(
                    "library.search",
                    _l("Biblioteca"),
                    _l("Cerca un libro e prenotalo"),
                    service_key="library",
                    icon="book",
                )
            ],
            staff_links=[
                Link("library.desk", _l("Biblioteca: sportello prestiti")),
                Link("library.holds_shelf", _l("Biblioteca: scaffale prenotazioni")),
                Link("library.overdue", _l("Biblioteca: prestiti scaduti")),
                Link("library.catalogue", _l("Biblioteca: catalogo")),
                Link("library.import_csv", _l("Biblioteca: importa CSV")),
                Link("library.labels", _l("Biblioteca: etichette")),
                Link("library.figures", _l("Biblioteca: numeri del mese")),
            ],
            account_links=[Link("library.my_library", _l("La mia biblioteca"))],
            my_things=mine.my_things,
            find_links=[Link("library.search", _l("Cerca un libro"))],
            demo=demo.load,
            stores_personal_data=True,
            export=privacy.export,
            erase=privacy.erase,
            members_at=privacy.members_at,
            people_to_phone=services.people_to_phone,
            phone_done=services.phone_done,
            figures=reports.figures,
            people=reports.people,
            people_query=reports.people_query,
            jobs=[
                Job("library-expire-holds", services.expire_holds_job, every="15 minutes"),
                Job("library-open", services.open_libraries_job, every="minute"),
                Job("library-reminders", reminders.remind_job, every="hourly"),
            ],
            reminder_kinds=reminders.KINDS,
            staff_day=reminders.staff_day,
        ),
    )
