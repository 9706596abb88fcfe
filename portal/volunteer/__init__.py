"""Volunteer sign-up for mutual-aid shifts: opportunities, shifts, waitlist, rosters, hours."""
from flask_babel import lazy_gettext as _l


def init_app(app):
    from . import manage, privacy, views  # noqa: F401  (manage adds its routes to the blueprint)

    app.register_blueprint(views.bp)
    app.extensions.setdefault("binari_account_links", []).append(("volunteer.mine", _l("I miei turni di volontariato")))
    staff_links = app.extensions.setdefault("binari_staff_links", [])
    staff_links.append(("volunteer.manage", _l("Volontariato: turni e registri")))
    staff_links.append(("volunteer.directory", _l("Volontariato: elenco volontari")))
    # Account export and deletion (portal/account.py calls these).
    app.extensions.setdefault("binari_personal_data", []).append(("volunteer", privacy.personal_data))
    app.extensions.setdefault("binari_erase_personal_data", []).append(("volunteer", privacy.erase))
