"""Languages: which one a page is in, its direction, the choice cookie, and locale-aware formats.

The interface language is, in order: the account's (members), the switch's cookie (anyone who
chose), the browser's Accept-Language, else Italian. Choosing is a POST (`main.language`): it sets
the `lang` cookie for a year and, for a member, `User.language`. Responses whose text depends on
the language say so: `Content-Language`, and `Vary: Accept-Language, Cookie` for shared caches.
"""

from functools import lru_cache
from pathlib import Path

from babel import Locale
from flask import current_app, g, request, session
from flask_babel import Babel, format_date, format_time, get_locale
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from .visitors import signed_in

babel = Babel()

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Each language written in itself, for the switch; the direction of its script.
LANGUAGE_NAMES = {"it": "Italiano", "en": "English", "ar": "العربية", "es": "Español", "zh": "中文"}
RIGHT_TO_LEFT = {"ar"}
# BCP 47 tags for <html lang> and Content-Language (our "zh" is simplified Chinese).
HTML_TAGS = {"zh": "zh-Hans"}


def _primary(tag):
    """A language tag's primary subtag, lower case ("en-GB" -> "en", "zh_CN" -> "zh")."""
    return str(tag).replace("_", "-").split("-")[0].lower()


def _supported(code):
    """Our code for a language tag ("en-GB" -> "en", "zh-CN" -> "zh"), or None."""
    if not code:
        return None
    primary = _primary(code)
    return primary if primary in current_app.config["LANGUAGES"] else None


def chosen_language():
    """The language a person chose with the switch (cookie, or the older session key), or None."""
    return _supported(request.cookies.get(COOKIE)) or _supported(session.get("lang"))


def browser_languages():
    """Our languages in the order the browser prefers them (Accept-Language, q > 0)."""
    header = request.headers.get("Accept-Language", "")
    languages = tuple(current_app.config["LANGUAGES"])
    if len(header) > MAX_REMEMBERED_HEADER:
        return list(_preferred(header, languages))
    return list(_remembered_preferences(header, languages))


# Browsers send a handful of different Accept-Language headers, and parsing one (werkzeug's
# parse_accept_header) cost about 15 µs of a 470 µs cache hit: the answers for the recent ones are kept.
MAX_REMEMBERED_HEADER = 200  # longer ones (never a real browser's) are parsed every time, not kept


def _preferred(header, languages):
    """Our codes among `languages`, in the order `header` (an Accept-Language value) prefers them."""
    found = []
    for tag, quality in parse_accept_header(header, LanguageAccept):
        primary = _primary(tag)
        if quality > 0 and primary in languages and primary not in found:
            found.append(primary)
    return tuple(found)


_remembered_preferences = lru_cache(maxsize=256)(_preferred)


def select_locale():
    """The account's language, else the switch's choice, else the browser's, else Italian.

    A PDF asked for with ?lang= (a flyer in Arabic printed from an Italian page) is in that language.
    """
    if request.path.endswith(".pdf") and _supported(request.args.get("lang")):
        g.lang_source = "document"
        return _supported(request.args.get("lang"))
    if signed_in() and _supported(current_user.language):
        g.lang_source = "account"
        return _supported(current_user.language)
    chosen = chosen_language()
    if chosen:
        g.lang_source = "choice"
        return chosen
    preferred = browser_languages()
    g.lang_source = "browser" if preferred else "default"
    return preferred[0] if preferred else "it"


@lru_cache(maxsize=32)
def _locale(code):
    """The Babel locale for one of our codes, made once: Flask-Babel parses what the selector returns on
    every request, and `Locale.parse` looks for the locale's data file on disk each time (about 13 µs,
    5 % of an event page served from the page cache, py-spy on 3 December). A Locale is not changed
    by its users (Flask-Babel's default locale is shared the same way)."""
    return Locale.parse(code)


def locale_for_request():
    """`select_locale`'s choice as a Babel locale (Flask-Babel's locale selector), recorded in
    `g.request_language` for language_headers (asking Flask-Babel again costs ~5 µs a request)."""
    code = g.request_language = select_locale()
    return _locale(code)


def current_lang():
    return str(get_locale() or "it")


def html_lang(code=None):
    code = code or current_lang()
    return HTML_TAGS.get(code, code)


def text_direction(code=None):
    return "rtl" if (code or current_lang()) in RIGHT_TO_LEFT else "ltr"


def offered_language():
    """A language to offer in a one-line banner, or None.

    Only to someone who never chose (no cookie, no account language) and whose browser also
    accepts one of our languages other than the page's: "هذه الصفحة متوفرة أيضًا بالعربية".
    """
    if getattr(g, "lang_source", None) not in ("browser", "default"):
        return None
    current = current_lang()
    return next((code for code in browser_languages() if code != current), None)


def weekday_short(index):
    """A weekday's name for a calendar's column head (0 = Monday): "lu", "Mo", "LU", "ن", "一"."""
    from babel.dates import get_day_names

    language = current_lang()
    if language in HOUSE_STYLE:  # the first two letters, as the month grid always had them
        from .templating import WEEKDAYS

        return str(WEEKDAYS[index])[:2]
    width = "narrow" if language in ("ar", "zh") else "short"  # one letter or character in those scripts
    return get_day_names(width, locale=get_locale())[index]


def language_offer_text(code):
    """The offer banner's words: the line and the button in the offered language, "no" in the page's."""
    from flask_babel import force_locale
    from flask_babel import gettext as _

    stay = _("No, grazie")
    with force_locale(code):
        # Translators: each language names itself here ("This page is also in English.").
        line = _("Questa pagina è anche in italiano.")
        # Translators: each language names itself here ("Switch to English").
        switch = _("Passa all'italiano")
    return {"line": line, "switch": switch, "stay": stay}


def remember_language(response, code):
    """Set the choice cookie on `response` (a year; not readable by scripts)."""
    response.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def language_headers(response):
    """Content-Language and Vary on every response whose words were chosen by language."""
    # The locale selector records its choice: a response that never asked for the language (a static
    # file, a redirect) is left alone.
    code = g.get("request_language")
    if code is None:
        return response
    response.headers["Content-Language"] = HTML_TAGS.get(code, code)
    vary_also(response, "Accept-Language", "Cookie")
    return response


def vary_also(response, *names):
    """Add `names` to the response's Vary header, each once (compared without case).

    As `response.vary.add` does, reading the header once rather than once per name: werkzeug parses
    and writes the whole header back on each call."""
    current = response.headers.get("Vary", "")
    present = {part.strip().lower() for part in current.split(",")}
    missing = [name for name in names if name.lower() not in present]
    if missing:
        response.headers["Vary"] = ", ".join([current.strip(), *missing] if current.strip() else missing)


def translation_directories():
    """The core catalogue plus one per area package (portal/<area>/translations).

    Each area keeps its own catalogue, so areas never edit one shared file.
    """
    root = Path(__file__).resolve().parent
    dirs = [root / "translations"] + sorted(root.glob("*/translations"))
    return [str(d) for d in dirs if d.is_dir()]


def _formatter(function, skeleton_or_format):
    return lambda value: function(value, skeleton_or_format) if value else ""


# Date and time formats: Italian and English keep the house style ("sabato 5 dicembre 2026",
# "05/12/2026", day before month as in Milan); Arabic, Spanish and Chinese use their own CLDR
# patterns through Babel ("sábado, 5 de diciembre de 2026", "2026年12月5日星期六"). Times are 24-hour.
HOUSE_STYLE = {"it", "en"}
HOUSE_DATE = {"long": "EEEE d MMMM y", "short": "dd/MM/y"}
CLDR_DATE = {"long": "full", "short": "short"}


def _date(value, width):
    if current_lang() in HOUSE_STYLE:
        return format_date(value, HOUSE_DATE[width])
    return format_date(value, CLDR_DATE[width])


def date_filter(width):
    return lambda value: _date(value, width) if value else ""


def datetime_filter(width):
    separator = ", " if width == "long" else " "
    return lambda value: f"{_date(value, width)}{separator}{format_time(value, 'HH:mm')}" if value else ""


def init_app(app):
    babel.init_app(
        app,
        locale_selector=locale_for_request,
        default_translation_directories=";".join(translation_directories()) or "translations",
    )
    for width in ("long", "short"):
        app.jinja_env.filters[f"date_{width}"] = date_filter(width)
        app.jinja_env.filters[f"datetime_{width}"] = datetime_filter(width)
    app.jinja_env.filters["time_hm"] = lambda t: t.strftime("%H:%M") if t else ""
    app.jinja_env.filters["time_local"] = lambda d: format_time(d, "HH:mm") if d else ""
    app.jinja_env.globals.update(
        language_names=LANGUAGE_NAMES,
        html_lang=html_lang,
        text_direction=text_direction,
        offered_language=offered_language,
        language_offer_text=language_offer_text,
        weekday_short=weekday_short,
    )
    app.after_request(language_headers)
