"""Language and date formatting: Italian by default, English complete, Europe/Rome."""

from pathlib import Path

from flask import current_app, request, session
from flask_babel import Babel, format_date, format_datetime, format_time
from flask_login import current_user

babel = Babel()


def select_locale():
    """The account's language, else the switcher's choice, else the browser's, else Italian."""
    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "it"


def translation_directories():
    """The core catalogue plus one per area package (portal/<area>/translations).

    Each area keeps its own English catalogue, so areas never edit one shared file.
    """
    root = Path(__file__).resolve().parent
    dirs = [root / "translations"] + sorted(root.glob("*/translations"))
    return [str(d) for d in dirs if d.is_dir()]


def init_app(app):
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=";".join(translation_directories()) or "translations",
    )
    # Italian-style dates: "sabato 5 dicembre 2026", "18:30", "05/12/2026".
    app.jinja_env.filters["date_long"] = lambda d: format_date(d, "EEEE d MMMM y") if d else ""
    app.jinja_env.filters["date_short"] = lambda d: format_date(d, "dd/MM/y") if d else ""
    app.jinja_env.filters["datetime_long"] = lambda d: format_datetime(d, "EEEE d MMMM y, HH:mm") if d else ""
    app.jinja_env.filters["datetime_short"] = lambda d: format_datetime(d, "dd/MM/y HH:mm") if d else ""
    app.jinja_env.filters["time_hm"] = lambda t: t.strftime("%H:%M") if t else ""
    app.jinja_env.filters["time_local"] = lambda d: format_time(d, "HH:mm") if d else ""
