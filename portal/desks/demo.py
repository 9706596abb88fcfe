"""Demo data: the help desks of the three centres, their operators, schedules and appointments.

Via S. Erlembaldo: Patronato ACLI, the Custodi sociali (drop-in), the legal, work and financial
desks; Viale Faenza: guidance for young people and for the elderly, two circular-economy desks;
Via A. Visconti: the housing–work desk. Slots follow the schedules and skip the closures.
"""

from datetime import time, timedelta

from portal.clock import today_local, utcnow
from portal.db import database
from portal.models import Partner, StaffSite, User

from . import services
from .models import MODE_APPOINTMENTS, MODE_DROP_IN, Appointment, Desk, DeskOperator, Schedule, Slot

APPT, DROP = MODE_APPOINTMENTS, MODE_DROP_IN
DESKS = [
    # (site, partner, name, topics, languages, mode, helps with, what to bring, drop-in hours, rules)
    (
        "erlembaldo",
        "ACLI Milano – Patronato",
        "Patronato ACLI",
        "pension,work",
        "it,ar,es",
        APPT,
        "Pensioni, invalidità, assegni familiari, ISEE, disoccupazione (NASpI), permessi di soggiorno.",
        "Documento d'identità, tessera sanitaria (codice fiscale), permesso di soggiorno se ce l'hai, "
        "le lettere dell'INPS o del Comune che hai ricevuto.",
        "",
        [(0, time(9), time(12), 30), (3, time(9), time(12), 30)],
    ),
    (
        "erlembaldo",
        "Comune di Milano – Custodi sociali",
        "Custodi sociali",
        "social,elderly",
        "it",
        DROP,
        "Aiuto a chi vive solo o è anziano: spesa, visite, pratiche, compagnia, un contatto con i servizi sociali.",
        "Niente: vieni e racconta di cosa hai bisogno.",
        "Lunedì–venerdì 9:30–12:30",
        [],
    ),
    (
        "erlembaldo",
        "Avvocati di Quartiere APS",
        "Sportello legale",
        "legal,housing",
        "it,en,fr",
        APPT,
        "Un primo consiglio gratuito di un avvocato: affitto e sfratti, multe, lavoro, famiglia, debiti.",
        "I documenti del problema (contratto, lettere, multe) e un documento d'identità.",
        "",
        [(2, time(14, 30), time(18), 45)],
    ),
    (
        "erlembaldo",
        "Rete Lavoro Municipio 2",
        "Sportello lavoro",
        "work",
        "it,en,ar",
        APPT,
        "Curriculum, lettere di presentazione, offerte di lavoro, corsi, diritti sul lavoro e busta paga.",
        "Il curriculum se ce l'hai (anche sul telefono) e le ultime buste paga se hai domande sul lavoro.",
        "",
        [(2, time(14, 30), time(18), 30)],
    ),
    (
        "erlembaldo",
        "Fondazione Bilancio Familiare",
        "Sportello finanziario",
        "financial",
        "it,es",
        APPT,
        "Bollette e debiti, bilancio di casa, bonus e agevolazioni, come evitare truffe e prestiti cari.",
        "Le ultime bollette, gli estratti conto o le lettere di pagamento, l'ISEE se ce l'hai.",
        "",
        [(2, time(15), time(18), 60)],
    ),
    (
        "faenza",
        "Cooperativa Sociale Il Cortile",
        "Orientamento giovani",
        "youth,work",
        "it,en,ar",
        APPT,
        "Per chi ha 16–29 anni: scuola e corsi, primo lavoro, servizio civile, bandi e borse di studio.",
        "Il curriculum se ce l'hai, o anche solo le tue idee.",
        "",
        [(1, time(15), time(18), 45)],
    ),
    (
        "faenza",
        "Municipio 2",
        "Orientamento anziani",
        "elderly,social",
        "it",
        DROP,
        "Servizi per chi è anziano: assistenza a casa, centri diurni, trasporti, telesoccorso, SPID e pratiche online.",
        "La tessera sanitaria e, per le pratiche online, il telefono.",
        "Giovedì 9:30–12:30",
        [],
    ),
    (
        "faenza",
        "Cooperativa Riuso Solidale",
        "Ripara e riusa",
        "circular",
        "it,es,zh",
        DROP,
        "Piccole riparazioni di elettrodomestici, biciclette e vestiti insieme ai volontari; scambio di oggetti.",
        "L'oggetto da riparare (e il suo caricatore o i pezzi che hai).",
        "Sabato 9:30–12:30",
        [],
    ),
    (
        "faenza",
        "Cooperativa Riuso Solidale",
        "Sportello economia circolare",
        "circular,financial",
        "it,en",
        APPT,
        "Come risparmiare riusando: mobili e vestiti usati, gruppi d'acquisto, noleggio di attrezzi, compostaggio.",
        "Niente di particolare.",
        "",
        [(4, time(14), time(17), 30)],
    ),
    (
        "visconti",
        "Municipio 8",
        "Sportello casa e lavoro",
        "housing,work",
        "it,en,ar,zh",
        APPT,
        "Bandi per le case popolari, affitti a canone concordato, contributi per l'affitto; curriculum e lavoro.",
        "Documento d'identità, ISEE, contratto d'affitto se ce l'hai.",
        "",
        [(3, time(9, 30), time(12, 30), 30)],
    ),
]

OPERATORS = [
    # (e-mail, name, centre, desks they run)
    ("patronato@staff.binari.example", "Paolo Greco", "erlembaldo", ["Patronato ACLI"]),
    ("legale@staff.binari.example", "Chiara Neri", "erlembaldo", ["Sportello legale"]),
    ("erlembaldo@staff.binari.example", "", "", ["Sportello lavoro", "Sportello finanziario"]),
    ("faenza@staff.binari.example", "", "", ["Orientamento giovani", "Sportello economia circolare"]),
    ("visconti@staff.binari.example", "", "", ["Sportello casa e lavoro"]),
]

SUBJECTS = [
    "Domanda di pensione di reversibilità",
    "Rinnovo del permesso di soggiorno",
    "Lettera di sfratto",
    "Curriculum per lavori in cucina",
    "Bolletta del gas troppo alta",
    "",
]


def load(ctx):
    """Desks, operators, schedules, slots for the coming weeks, and appointments past and future."""
    sites, users = ctx["sites"], ctx["users"]
    counts = {"desks": 0, "operators": 0, "slots": 0, "appointments": 0}
    with database().atomic():
        desks = {}
        for position, (slug, partner, name, topics, langs, mode, helps, bring, hours, rules) in enumerate(DESKS):
            partner_row, _created = Partner.get_or_create(name=partner, defaults={"kind": "association"})
            desk = Desk.create(
                site=sites[slug],
                partner=partner_row,
                name=name,
                topics=topics,
                languages=langs,
                mode=mode,
                helps_with=helps,
                what_to_bring=bring,
                drop_in_hours=hours,
                position=position,
            )
            for weekday, starts, ends, minutes in rules:
                Schedule.create(desk=desk, weekday=weekday, starts=starts, ends=ends, slot_minutes=minutes)
            desks[name] = desk
            counts["desks"] += 1
        for email, name, slug, desk_names in OPERATORS:
            user = users.get(email) or User.get_or_none(User.email == email)
            if user is None:
                user = User.create_account(name, ctx["password"], email=email, role="staff")
                StaffSite.create(user=user, site=sites[slug])
                users[email] = user
            for desk_name in desk_names:
                DeskOperator.create(desk=desks[desk_name], user=user)
                counts["operators"] += 1
        now = utcnow()
        for desk in desks.values():
            counts["slots"] += services.materialise(desk, now)
            counts["slots"] += _past_slots(desk, now)
        counts["appointments"] = _appointments(desks, users, now)
    return counts


def _past_slots(desk, now):
    """Slots of the last four weeks (the schedule, closures skipped), for the figures and the history."""
    first = today_local() - timedelta(days=28)
    wanted = services.wanted_slots(desk, first, today_local())
    rows = [{"desk": desk.id, "starts_at": s, "ends_at": e} for s, e in wanted.items() if s <= now]
    if rows:
        Slot.insert_many(rows).on_conflict_ignore().execute()
    return len(rows)


def _appointments(desks, users, now):
    people = [users.get("maria@binari.example"), users.get("+393331234567"), users.get("wei@binari.example")]
    people = [p for p in people if p is not None]
    guests = [("Giovanni Esposito", "+393401112233", ""), ("Fatima Zahra", "", "fatima.z@example.org")]
    made = 0
    for n, desk in enumerate(d for d in desks.values() if d.by_appointment):
        slots = list(Slot.select().where((Slot.desk == desk.id) & ~Slot.blocked).order_by(Slot.starts_at))
        past = [s for s in slots if s.starts_at <= now][::3]
        future = [s for s in slots if s.starts_at > now][1::4][:3]
        for m, slot in enumerate(past + future):
            who = (n + m) % (len(people) + len(guests))
            user = people[who] if who < len(people) else None
            guest = guests[who - len(people)] if user is None else ("", "", "")
            status = "booked"
            if slot.starts_at <= now:
                status = "no_show" if m % 5 == 4 else "arrived"
            Appointment.create(
                slot=slot,
                desk=desk,
                user=user,
                guest_name=guest[0],
                guest_phone=guest[1],
                guest_email=guest[2],
                person_key=services.person_key(user, guest[2], guest[1]),
                subject=SUBJECTS[(n + m) % len(SUBJECTS)],
                status=status,
                created_at=min(now, slot.starts_at - timedelta(days=3 + m % 6)),
                changed_at=min(now, slot.starts_at),
                arrived_at=slot.starts_at if status == "arrived" else None,
                reminded_at=slot.starts_at - timedelta(days=1) if slot.starts_at <= now else None,
            )
            made += 1
    return made
