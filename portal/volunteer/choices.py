"""Fixed vocabularies: activities, skills, languages, availability (codes stored, labels translated)."""

from flask_babel import lazy_gettext as _l

ACTIVITIES = [
    ("food", _l("Distribuzione alimentare")),
    ("afterschool", _l("Doposcuola e bambini")),
    ("events", _l("Squadra eventi")),
    ("elderly", _l("Accompagnamento anziani")),
    ("brigade", _l("Brigate di mutuo soccorso")),
    ("other", _l("Altro")),
]

SKILLS = [
    ("haccp", _l("Formazione HACCP (sicurezza alimentare)")),
    ("lifting", _l("Carico e scarico merci")),
    ("driving", _l("Patente B")),
    ("first_aid", _l("Primo soccorso")),
    ("children", _l("Esperienza con bambini")),
    ("homework", _l("Aiuto compiti")),
    ("elderly", _l("Assistenza anziani")),
    ("cooking", _l("Cucina")),
    ("it", _l("Informatica di base")),
    ("sound", _l("Audio e luci")),
    ("translation", _l("Traduzione e mediazione")),
    ("admin", _l("Accoglienza e registrazione")),
]

LANGUAGES = [
    ("it", _l("italiano")),
    ("en", _l("inglese")),
    ("fr", _l("francese")),
    ("es", _l("spagnolo")),
    ("ar", _l("arabo")),
    ("zh", _l("cinese")),
    ("ro", _l("rumeno")),
    ("sq", _l("albanese")),
    ("tl", _l("tagalog")),
    ("uk", _l("ucraino")),
    ("bn", _l("bengalese")),
    ("pt", _l("portoghese")),
    ("ti", _l("tigrino")),
    ("ru", _l("russo")),
]

AVAILABILITY = [
    ("weekday_morning", _l("giorni feriali, mattina")),
    ("weekday_afternoon", _l("giorni feriali, pomeriggio")),
    ("weekday_evening", _l("giorni feriali, sera")),
    ("saturday", _l("sabato")),
    ("sunday", _l("domenica")),
]

REPEAT = [
    ("", _l("Non si ripete")),
    ("weekly", _l("Ogni settimana, stesso giorno")),
    ("biweekly", _l("Ogni due settimane")),
]


def label_map(choices):
    return dict(choices)


def labels(choices, codes):
    """Translated labels for stored codes, in vocabulary order."""
    wanted = set(codes)
    return [str(label) for code, label in choices if code in wanted]
