"""Demo calendar: a few weeks of believable activities in the three centres,
relative to today so the demo always looks current."""

from datetime import time, timedelta

from portal.clock import to_utc, today_local, utcnow
from portal.db import database
from portal.models import closed_days

from .models import Event, EventText, Registration, Series
from .posters import save_poster
from .series import materialise
from .services import register


def _next(weekday, from_day, weeks=0):
    """The first `weekday` (0 = Monday) on or after from_day, plus `weeks`."""
    return from_day + timedelta(days=(weekday - from_day.weekday()) % 7 + 7 * weeks)


def _fmt(day):
    return day.strftime("%d/%m/%Y")


GUESTS = [
    "Rosa Esposito",
    "Giuseppe Russo",
    "Fatima Zahra El Idrissi",
    "Lucia Bianchi",
    "Karim Mansour",
    "Elena Ferrari",
    "Jun Li",
    "Paolo Romano",
    "Ana María Quispe",
    "Samir Benali",
    "Giovanna Ricci",
    "Chiara Marino",
    "Omar Diallo",
    "Teresa Greco",
    "Maribel Santos",
    "Antonio Conti",
    "Irina Popescu",
    "Davide Gallo",
    "Nadia Haddad",
    "Franca Costa",
    "Milica Jovanović",
    "Bruno Fontana",
    "Aisha Kone",
]


def load(ctx):
    sites, partners, rooms, users = ctx["sites"], ctx["partners"], ctx["rooms"], ctx["users"]
    today = today_local()
    staff = users["coordinamento@staff.binari.example"]
    three_weeks_ago = today - timedelta(days=21)
    series_specs = [
        dict(
            title="Ginnastica dolce over 60",
            site="faenza",
            room="Palestra",
            partner="Palestra Popolare Faenza ASD",
            category="sport",
            audience="anziani",
            capacity=20,
            weekday=0,
            start=time(10),
            end=time(11),
            description="Esercizi semplici per muoversi bene e stare in compagnia. Porta scarpe comode e un "
            "asciugamano.\n\nCon un'istruttrice diplomata ISEF.",
            skip=1,
        ),
        dict(
            title="Pugilato popolare",
            site="faenza",
            room="Palestra",
            partner="Palestra Popolare Faenza ASD",
            category="sport",
            audience="ragazzi",
            weekday=2,
            start=time(18, 30),
            end=time(20),
            description="Allenamento aperto a ragazze e ragazzi dai 14 anni. Guanti e bende li prestiamo noi.",
        ),
        dict(
            title="Distribuzione dell'hub del cibo",
            site="faenza",
            room="Sala grande",
            partner="Brigate di Mutuo Soccorso",
            category="cibo",
            audience="famiglie",
            weekday=5,
            start=time(9),
            end=time(12, 30),
            description="Pacchi di frutta, verdura e prodotti secchi per le famiglie iscritte all'hub.\n\n"
            "- porta la tessera Binari\n- porta borse riutilizzabili\n\n"
            "Per iscriverti all'hub passa allo sportello orientamento il martedì o il giovedì.",
            pause=(4, 1),
        ),
        dict(
            title="Doposcuola medie",
            site="visconti",
            room="Co-working",
            partner="Cooperativa Sociale Il Cortile",
            category="bambini",
            audience="ragazzi",
            weekday=1,
            start=time(15),
            end=time(18),
            description="Compiti insieme, con educatori e volontari. Merenda offerta dall'angolo caffè.",
        ),
        dict(
            title="Doposcuola elementari",
            site="visconti",
            room="Co-working",
            partner="Cooperativa Sociale Il Cortile",
            category="bambini",
            audience="bambini",
            weekday=3,
            start=time(16),
            end=time(18),
            capacity=12,
            description="Compiti e giochi per bambine e bambini dalla prima alla quinta. Posti limitati.",
        ),
        dict(
            title="Sportello Patronato ACLI",
            site="erlembaldo",
            room="Biblioteca",
            partner="ACLI Milano – Patronato",
            category="sportelli",
            audience="adulti",
            weekday=0,
            start=time(9),
            end=time(12),
            description="Pensioni, invalidità, ISEE, permessi di soggiorno. Porta un documento e il codice fiscale.",
        ),
        dict(
            title="Letture ad alta voce 0–6 anni",
            site="erlembaldo",
            room="Spazio bimbi",
            partner="Associazione Genitori Insieme",
            category="bambini",
            audience="famiglie",
            weekday=4,
            start=time(10),
            end=time(11),
            capacity=12,
            freq="biweekly",
            description="Storie in italiano e in altre lingue, per i più piccoli con mamme, papà, nonni.",
        ),
        dict(
            title="Italiano per stranieri – livello A1",
            site="visconti",
            room="Sala riunioni",
            partner="Scuola di Italiano Parole in Viaggio",
            category="formazione",
            audience="adulti",
            weekday=2,
            start=time(18),
            end=time(19, 30),
            capacity=10,
            description="Corso gratuito per chi comincia. Si parla, si legge, si scrive. Asilo per i bambini "
            "nella sala accanto.",
        ),
        dict(
            title="Repair café: si aggiusta insieme",
            site="faenza",
            room="Sala grande",
            partner="Cooperativa Riuso Solidale",
            category="comunita",
            audience="tutti",
            weekday=5,
            start=time(14, 30),
            end=time(18),
            freq="monthly",
            description="Porta un piccolo elettrodomestico, una bici, un vestito da sistemare: lo aggiustiamo "
            "insieme ai volontari.",
        ),
    ]
    count_series = 0
    with database().atomic():
        for spec in series_specs:
            first = _next(spec["weekday"], three_weeks_ago)
            skip, pauses = "", ""
            if spec.get("skip"):
                skip = _fmt(_next(spec["weekday"], today, weeks=spec["skip"]))
            if spec.get("pause"):
                start_w, length = spec["pause"]
                begin = _next(spec["weekday"], today, weeks=start_w)
                pauses = f"{_fmt(begin)} - {_fmt(begin + timedelta(days=7 * length - 1))}"
            freq = spec.get("freq", "weekly")
            series = Series.create(
                freq=freq,
                first_day=first,
                start_time=spec["start"],
                end_time=spec["end"],
                until=today + timedelta(days=120) if freq != "monthly" else None,
                count=6 if freq == "monthly" else None,
                skip_dates=skip,
                pauses=pauses,
                site=sites[spec["site"]],
                room=rooms[(spec["site"], spec["room"])],
                partner=partners[spec["partner"]],
                title=spec["title"],
                description=spec["description"],
                category=spec["category"],
                audience=spec["audience"],
                capacity=spec.get("capacity"),
                created_by=staff,
            )
            materialise(series, start_from=first)
            count_series += 1

        def one_off(days, hour, minute, hours, **fields):
            # The demo keeps to the centres' calendar: an event meant for a holiday moves to the next open day.
            day = _open_day(fields["site"], today + timedelta(days=days))
            start = to_utc(day, time(hour, minute))
            return Event.create(
                starts_at=start,
                ends_at=start + timedelta(hours=hours),
                status=fields.pop("status", "published"),
                created_by=staff,
                **fields,
            )

        theatre = one_off(
            _days_to(today, 5, 1),
            20,
            30,
            2,
            site=sites["visconti"],
            room=rooms[("visconti", "Sala eventi")],
            partner=partners["Teatro di Quartiere APS"],
            title="«Case di ringhiera»: teatro di cortile",
            category="cultura",
            audience="tutti",
            capacity=80,
            sign_language=True,
            description="Storie vere delle case popolari di Milano, raccolte nei cortili e messe in scena dagli "
            "abitanti con la compagnia del Teatro di Quartiere.\n\nIngresso a **offerta libera**. "
            "Dopo lo spettacolo, tisana e dolci.\n\nInfo: https://binari.example/teatro",
        )
        theatre.poster = _demo_poster()
        theatre.poster_alt = (
            "Disegno di una casa di ringhiera di sera: tre piani di ballatoi con le finestre accese e panni stesi."
        )
        theatre.save()
        ceramics = one_off(
            _days_to(today, 3, 1),
            17,
            30,
            2,
            site=sites["erlembaldo"],
            room=rooms[("erlembaldo", "Sala laboratori")],
            partner=partners["Associazione Genitori Insieme"],
            title="Laboratorio di ceramica per adulti",
            category="cultura",
            audience="adulti",
            capacity=10,
            is_free=False,
            price="8 € (materiali)",
            description="Due ore per imparare a modellare l'argilla: ciotole, piatti, piccoli vasi. Il pezzo "
            "cotto si ritira la settimana dopo.",
        )
        haccp = one_off(
            _days_to(today, 1, 2),
            9,
            30,
            4,
            site=sites["faenza"],
            room=rooms[("faenza", "Aula formazione")],
            partner=partners["Cooperativa Sociale Il Cortile"],
            title="Corso HACCP base (alimentaristi)",
            category="lavoro",
            audience="adulti",
            capacity=20,
            access_notes="Se hai difficoltà con le scale avvisaci: spostiamo il corso in Sala grande.",
            description="Il corso obbligatorio per lavorare con gli alimenti, con attestato. Serve per il "
            "volontariato all'hub del cibo e per molti lavori in cucina.",
        )
        one_off(
            _days_to(today, 4, 1),
            20,
            45,
            2,
            site=sites["visconti"],
            room=rooms[("visconti", "Sala eventi")],
            title="Cineforum: «Io capitano»",
            category="cultura",
            audience="tutti",
            subtitles=True,
            description="Proiezione con sottotitoli in italiano e dibattito con un mediatore culturale.",
        )
        one_off(
            _days_to(today, 2, 2),
            15,
            0,
            2,
            site=sites["erlembaldo"],
            room=rooms[("erlembaldo", "Biblioteca")],
            partner=partners["Consultorio Familiare di Zona"],
            title="Salute delle donne: ne parliamo insieme",
            category="salute",
            audience="donne",
            capacity=25,
            description="Incontro con l'ostetrica e la mediatrice del consultorio. Si può venire con i bambini.",
        )
        one_off(
            _days_to(today, 6, 3),
            16,
            0,
            3,
            site=sites["faenza"],
            room=None,
            partner=partners["Municipio 6"],
            title="Festa di quartiere in cortile",
            category="comunita",
            audience="tutti",
            description="Musica, giochi per bambini, cibo dal mondo portato dalle famiglie del quartiere.",
        )
        one_off(
            _days_to(today, 3, 3),
            18,
            0,
            2,
            site=sites["visconti"],
            room=rooms[("visconti", "Sala riunioni")],
            title="Curriculum e colloquio: come si fa",
            category="lavoro",
            audience="adulti",
            capacity=10,
            status="draft",
            description="Laboratorio pratico con lo sportello casa e lavoro.",
        )
        # Past one-offs for the archive.
        one_off(
            -12,
            18,
            0,
            2,
            site=sites["visconti"],
            room=rooms[("visconti", "Sala eventi")],
            title="Concerto: musiche dal Mediterraneo",
            category="cultura",
            audience="tutti",
            description="Con l'orchestra di quartiere.",
        )
        one_off(
            -26,
            10,
            0,
            3,
            site=sites["erlembaldo"],
            room=rooms[("erlembaldo", "Sala laboratori")],
            title="Laboratorio di pittura per bambini",
            category="bambini",
            audience="bambini",
            description="Colori e fantasia.",
        )
        proposal = Event.create(
            site=sites["erlembaldo"],
            title="Merenda condivisa in cortile",
            category="comunita",
            audience="famiglie",
            description="Vorrei organizzare una merenda in cortile: ognuno porta qualcosa di casa sua. "
            "Servono due tavoli e qualche sedia.",
            starts_at=to_utc(_open_day(sites["erlembaldo"], today + timedelta(days=16)), time(16, 30)),
            ends_at=to_utc(_open_day(sites["erlembaldo"], today + timedelta(days=16)), time(18, 30)),
            status="pending",
            proposed_by=users["maria@binari.example"],
        )
        del proposal

    registrations = 0
    for name in GUESTS[:10]:
        register(ceramics.id, name, phone=None, email=_mail(name))
        registrations += 1
    register(ceramics.id, "Wei Chen", email="wei@binari.example", user=users["wei@binari.example"])
    register(ceramics.id, "Ahmed Haddad", phone="+393331234567", user=users["+393331234567"])
    registrations += 2
    for name in GUESTS[10:]:
        register(theatre.id, name, email=_mail(name))
        registrations += 1
    register(theatre.id, "Maria Rossi", email="maria@binari.example", user=users["maria@binari.example"])
    for name in GUESTS[:6]:
        register(haccp.id, name, phone="+39347" + str(abs(hash(name)) % 10_000_000).zfill(7))
        registrations += 1
    # The first ginnastica dolce dates are near capacity: a realistic waiting room.
    gym = (
        Event.select()
        .join(Series)
        .where((Series.title == "Ginnastica dolce over 60") & (Event.starts_at > utcnow()))
        .order_by(Event.starts_at)
        .first()
    )
    if gym is not None:
        for name in GUESTS[:18]:
            register(gym.id, name, email=_mail(name))
            registrations += 1
    # The Italian course is translated into the languages of the people it is for.
    course = Event.select().where(Event.title == "Italiano per stranieri – livello A1")
    with database().atomic():
        for event in course:
            for language, (title, description) in COURSE_TEXTS.items():
                EventText.create(event=event, language=language, title=title, description=description)
    return {
        "events": Event.select().count(),
        "event series": count_series,
        "event registrations": Registration.select().count(),
        "event translations": EventText.select().count(),
    }


COURSE_TEXTS = {
    "en": (
        "Italian for newcomers – level A1",
        "A free course for beginners: speaking, reading and writing. Childcare in the room next door.",
    ),
    "ar": (
        "اللغة الإيطالية للقادمين الجدد – المستوى A1",
        "دورة مجانية للمبتدئين: نتحدث ونقرأ ونكتب. رعاية للأطفال في القاعة المجاورة.",
    ),
    "es": (
        "Italiano para recién llegados – nivel A1",
        "Curso gratuito para quien empieza: se habla, se lee, se escribe. Cuidado de niños en la sala de al lado.",
    ),
    "zh": ("新移民意大利语课 – A1 级", "面向初学者的免费课程：说、读、写。隔壁房间有人照看孩子。"),
}


def _demo_poster():
    """A drawn poster (a Milanese balcony house at dusk), stored like an upload."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 800), (24, 44, 82))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, 1200, 800), fill=(58, 52, 48))
    draw.ellipse((980, 60, 1080, 160), fill=(250, 236, 190))
    for floor in range(3):
        top = 150 + floor * 140
        draw.rectangle((80, top, 1120, top + 120), fill=(196, 120, 72))
        for window in range(9):
            left = 120 + window * 112
            lit = (window * 7 + floor * 3) % 4 != 0
            draw.rectangle((left, top + 18, left + 56, top + 96), fill=(255, 214, 120) if lit else (60, 60, 70))
        draw.line((80, top + 100, 1120, top + 100), fill=(30, 30, 30), width=6)
        for post in range(80, 1121, 26):
            draw.line((post, top + 100, post, top + 120), fill=(30, 30, 30), width=3)
        for cloth in range(3):
            x = 200 + cloth * 330 + floor * 40
            draw.line((x, top + 104, x + 90, top + 104), fill=(230, 230, 230), width=2)
            draw.rectangle((x + 10, top + 104, x + 38, top + 140), fill=(220, 80, 90))
            draw.rectangle((x + 50, top + 104, x + 78, top + 132), fill=(90, 160, 210))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    buffer.seek(0)
    return save_poster(buffer)


def _open_day(site, day):
    """`day`, or the next day the centre is open."""
    closed = closed_days(site.id, day, day + timedelta(days=14))
    while day in closed:
        day += timedelta(days=1)
    return day


def _days_to(today, weekday, weeks):
    """Days from today to a given weekday `weeks` weeks ahead (at least 1 day ahead)."""
    day = today + timedelta(days=1)
    return (_next(weekday, day, weeks - 1) - today).days


def _mail(name):
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return ".".join(plain.split()) + "@example.org"
