"""Demo content: the three centres, their rooms, services, partners, accounts.

Areas add their own demo data through the `demo` slot of their `portal.areas.Area`.
Addresses are the real streets; house numbers and coordinates are approximate.
"""

from datetime import date, time

from .areas import demo_loaders
from .db import database
from .models import OpeningHours, Partner, Room, Service, Site, SiteClosure, StaffSite, User

DEMO_PASSWORD = "binari2026"

SITES = [
    dict(
        slug="faenza",
        name="Centro di Viale Faenza",
        short_name="Viale Faenza",
        address="Viale Faenza 27",
        postcode="20142",
        municipio=6,
        latitude=45.4437,
        longitude=9.1532,
        phone="+39 02 0000 0101",
        email="faenza@binari.example",
        position=1,
        summary="Hub di mutualità solidale: filiera sociale del cibo, orientamento per giovani e anziani, "
        "palestra popolare, sportelli di economia circolare, formazione.",
        how_to_get_there="Tram 3 fermata Viale Faenza / Via Barona; autobus 47 e 74. Dalla fermata sono 3 "
        "minuti a piedi. Ingresso al piano terra dal cortile, senza gradini.",
    ),
    dict(
        slug="erlembaldo",
        name="Centro di Via S. Erlembaldo",
        short_name="Via S. Erlembaldo",
        address="Via Sant'Erlembaldo 4",
        postcode="20126",
        municipio=2,
        latitude=45.5067,
        longitude=9.2236,
        phone="+39 02 0000 0202",
        email="erlembaldo@binari.example",
        position=2,
        summary="Spazio bambini e mamme, biblioteca di comunità, Patronato ACLI e custodi sociali, laboratori "
        "artistici, sportelli legale, lavoro e finanziario.",
        how_to_get_there="Metro M1 fermata Precotto o Villa San Giovanni, poi 8 minuti a piedi; autobus 51 e 86. "
        "Rampa di accesso sul lato del cortile.",
    ),
    dict(
        slug="visconti",
        name="Centro di Via A. Visconti",
        short_name="Via A. Visconti",
        address="Via Aicardo Visconti 9",
        postcode="20151",
        municipio=8,
        latitude=45.4921,
        longitude=9.1307,
        phone="+39 02 0000 0303",
        email="visconti@binari.example",
        position=3,
        summary="Educazione informale, co-working, angolo caffè, eventi culturali, sportello casa e lavoro, "
        "servizio audio-video con prestito di attrezzatura.",
        how_to_get_there="Autobus 40 e 69 fermata Via Visconti; stazione Milano Certosa (treni S5, S6, S11) a "
        "12 minuti a piedi. Ascensore per il primo piano.",
    ),
]

SERVICES = {
    "faenza": [
        (
            "Hub del cibo solidale",
            "Distribuzione di alimenti e filiera sociale del cibo, con i volontari del quartiere.",
            "sabato 9:00–12:30",
            "volunteer",
        ),
        (
            "Palestra popolare",
            "Ginnastica dolce, pugilato, yoga: corsi a offerta libera per tutte le età.",
            "lunedì, mercoledì, venerdì 17:30–21:00",
            "events",
        ),
        (
            "Orientamento giovani e anziani",
            "Ascolto, orientamento ai servizi, aiuto con pratiche e documenti.",
            "martedì e giovedì 9:30–12:30",
            "desks",
        ),
        (
            "Sportello economia circolare",
            "Riparazioni, baratto, riuso: porta quello che non usi più.",
            "mercoledì 15:00–18:00",
            "desks",
        ),
        (
            "Formazione",
            "Corsi brevi: cucina, informatica di base, sicurezza alimentare (HACCP).",
            "calendario nel sito",
            "events",
        ),
    ],
    "erlembaldo": [
        (
            "Spazio bambini e mamme",
            "Gioco libero 0–6 anni e incontri per genitori.",
            "lunedì–venerdì 9:30–12:00",
            "events",
        ),
        (
            "Biblioteca di comunità",
            "Libri in italiano, inglese, arabo, spagnolo e cinese; tanti per bambini.",
            "martedì–sabato 15:00–19:00",
            "library",
        ),
        (
            "Patronato ACLI e custodi sociali",
            "Pensioni, invalidità, ISEE, permessi di soggiorno.",
            "lunedì e giovedì 9:00–12:00",
            "desks",
        ),
        ("Laboratori artistici", "Pittura, ceramica, teatro per ragazzi e adulti.", "calendario nel sito", "events"),
        (
            "Sportelli legale, lavoro e finanziario",
            "Consulenza gratuita su casa, lavoro, debiti e bilancio familiare.",
            "mercoledì 14:30–18:00 su appuntamento",
            "desks",
        ),
    ],
    "visconti": [
        (
            "Co-working",
            "8 postazioni e una sala riunioni, Wi-Fi e stampante.",
            "lunedì–venerdì 9:00–18:00",
            "coworking",
        ),
        (
            "Servizio audio-video",
            "Prestito di videocamere, microfoni, luci, proiettore e impianto audio.",
            "martedì e giovedì 14:00–18:00",
            "equipment",
        ),
        (
            "Educazione informale",
            "Doposcuola, italiano per stranieri, laboratori per ragazzi.",
            "lunedì–venerdì 15:00–18:30",
            "events",
        ),
        ("Angolo caffè", "Un caffè sospeso e due chiacchiere.", "lunedì–venerdì 9:00–18:00", ""),
        ("Sportello casa e lavoro", "Curriculum, ricerca lavoro, bandi per la casa.", "giovedì 9:30–12:30", "desks"),
        ("Eventi culturali", "Concerti, proiezioni, teatro, presentazioni.", "calendario nel sito", "events"),
    ],
}

ROOMS = {
    "faenza": [
        ("Sala grande", 60, "piano terra", True, False, True),
        ("Palestra", 30, "piano terra", True, False, True),
        ("Aula formazione", 20, "primo piano", False, False, False),
    ],
    "erlembaldo": [
        ("Biblioteca", 25, "piano terra", True, True, True),
        ("Sala laboratori", 20, "piano terra", True, False, True),
        ("Spazio bimbi", 15, "piano terra", True, False, True),
    ],
    "visconti": [
        ("Sala eventi", 80, "piano terra", True, True, True),
        ("Co-working", 12, "primo piano", True, False, True),
        ("Sala riunioni", 10, "primo piano", True, False, True),
    ],
}

PARTNERS = [
    ("Municipio 2", "public"),
    ("Municipio 6", "public"),
    ("Municipio 8", "public"),
    ("ACLI Milano – Patronato", "association"),
    ("Teatro di Quartiere APS", "theatre"),
    ("Cooperativa Sociale Il Cortile", "cooperative"),
    ("Brigate di Mutuo Soccorso", "volunteers"),
    ("Palestra Popolare Faenza ASD", "association"),
    ("Consultorio Familiare di Zona", "health"),
    ("Associazione Genitori Insieme", "association"),
    ("Cooperativa Riuso Solidale", "cooperative"),
    ("Scuola di Italiano Parole in Viaggio", "association"),
]

ACCOUNTS = [
    # (email, phone, name, role, sites)
    ("admin@binari.example", None, "Giulia Admin", "admin", []),
    ("faenza@staff.binari.example", None, "Marco Ferri", "staff", ["faenza"]),
    ("erlembaldo@staff.binari.example", None, "Amina Benali", "staff", ["erlembaldo"]),
    ("visconti@staff.binari.example", None, "Luca Rinaldi", "staff", ["visconti"]),
    ("coordinamento@staff.binari.example", None, "Sara Colombo", "staff", ["faenza", "erlembaldo", "visconti"]),
    ("maria@binari.example", None, "Maria Rossi", "resident", []),
    (None, "+393331234567", "Ahmed Haddad", "resident", []),
    ("wei@binari.example", "+393471112233", "Wei Chen", "resident", []),
]


def italian_holidays(year):
    """Milan's closing days: national holidays and Sant'Ambrogio (Easter Monday aside)."""
    from dateutil.easter import easter

    days = [(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 7), (12, 8), (12, 25), (12, 26)]
    result = [date(year, m, d) for m, d in days]
    result.append(easter(year) + (date(2000, 1, 2) - date(2000, 1, 1)))  # Pasquetta
    return result


def load():
    """Fill the database; returns counts by kind. Expects an empty database."""
    ctx = load_core()
    summary = {"sites": len(ctx["sites"]), "partners": len(ctx["partners"]), "accounts": len(ctx["users"])}
    for _name, load_area in demo_loaders():
        summary.update(load_area(ctx) or {})
    return summary


def load_core():
    """Centres, rooms, services, opening hours, holidays, partners, demo accounts.

    Returns the context the areas' demo loaders build on:
    sites (by slug), partners (by name), users (by e-mail or phone), rooms ((slug, name)).
    """
    ctx = {"password": DEMO_PASSWORD}
    with database().atomic():
        sites = {row["slug"]: Site.create(**row) for row in SITES}
        for slug, site in sites.items():
            for position, (name, description, schedule, area) in enumerate(SERVICES[slug]):
                Service.create(
                    site=site, name=name, description=description, schedule=schedule, area=area, position=position
                )
            for name, capacity, floor, step_free, loop, toilet in ROOMS[slug]:
                Room.create(
                    site=site,
                    name=name,
                    capacity=capacity,
                    floor=floor,
                    step_free=step_free,
                    hearing_loop=loop,
                    accessible_toilet=toilet,
                    accessibility_notes=""
                    if step_free
                    else "Primo piano senza ascensore: chiedi al personale, "
                    "l'attività può essere spostata al piano terra.",
                )
            for weekday in range(5):
                OpeningHours.create(site=site, weekday=weekday, opens=time(9), closes=time(13))
                OpeningHours.create(site=site, weekday=weekday, opens=time(14), closes=time(19))
        OpeningHours.create(site=sites["faenza"], weekday=5, opens=time(9), closes=time(13))
        OpeningHours.create(site=sites["erlembaldo"], weekday=5, opens=time(15), closes=time(19))
        this_year = date.today().year
        for year in (this_year, this_year + 1):
            for day in italian_holidays(year):
                SiteClosure.create(site=None, date=day, reason="Festività")
        partners = {name: Partner.create(name=name, kind=kind) for name, kind in PARTNERS}
        users = {}
        for email, phone, name, role, site_slugs in ACCOUNTS:
            user = User.create_account(name, DEMO_PASSWORD, email=email, phone=phone, role=role)
            for slug in site_slugs:
                StaffSite.create(user=user, site=sites[slug])
            users[email or phone] = user
    ctx.update(
        sites=sites,
        partners=partners,
        users=users,
        rooms={(r.site.slug, r.name): r for r in Room.select(Room, Site).join(Site)},
    )
    return ctx
