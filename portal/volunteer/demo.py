"""Demo volunteering: the Saturday food-hub distribution at Faenza, after-school help at
S. Erlembaldo, event crews at Visconti, accompanying elderly people, and a few dozen
volunteers with profiles, past attendance (hours) and coming sign-ups. Dates are
relative to today."""

import random
from datetime import time, timedelta

from portal.clock import to_utc, today_local, utcnow
from portal.db import database
from portal.models import User, closed_days, new_member_code

from .models import ACTIVE, WAITLIST, Opportunity, Profile, Shift, Signup, csv_codes

# Believable neighbours of Barona, Precotto and Certosa: old Milanese families and newer ones.
VOLUNTEERS = [
    ("Giovanna Brambilla", "haccp,cooking", "it", "saturday,weekday_morning"),
    ("Roberto Colombo", "lifting,driving", "it", "saturday"),
    ("Fatima Zahra El Idrissi", "haccp,translation", "it,ar,fr", "saturday,weekday_afternoon"),
    ("Mohamed Abdelrahman", "lifting,driving", "ar,it", "saturday,sunday"),
    ("Maricel Santos", "elderly,cooking", "tl,en,it", "weekday_afternoon,sunday"),
    ("Chen Jing", "homework,it", "zh,it,en", "weekday_afternoon"),
    ("Luis Fernando Quispe", "lifting,sound", "es,it", "saturday,weekday_evening"),
    ("Andreea Popescu", "children,homework", "ro,it,en", "weekday_afternoon"),
    ("Oksana Kovalenko", "elderly,first_aid", "uk,ru,it", "weekday_morning"),
    ("Nimal Perera", "driving,lifting", "en,it", "saturday"),
    ("Rahima Begum", "children,cooking", "bn,en,it", "weekday_morning,weekday_afternoon"),
    ("Arben Hoxha", "sound,lifting", "sq,it", "weekday_evening,saturday"),
    ("Aminata Diop", "children,translation", "fr,it", "weekday_afternoon"),
    ("Yonas Tesfaye", "lifting,haccp", "ti,en,it", "saturday"),
    ("Francesca Galli", "homework,children", "it,en", "weekday_afternoon"),
    ("Pietro Fumagalli", "driving,elderly", "it", "weekday_morning"),
    ("Elena Bianchi", "first_aid,admin", "it,en,es", "saturday,weekday_evening"),
    ("Davide Mauri", "sound,it", "it,en", "weekday_evening,sunday"),
    ("Samira Haddad", "translation,admin", "ar,fr,it", "weekday_afternoon,saturday"),
    ("Karim Benjelloun", "lifting", "ar,it", "saturday"),
    ("Rosa Maria Vargas", "cooking,haccp", "es,it", "saturday,weekday_morning"),
    ("Jomar Reyes", "sound,lifting", "tl,en", "weekday_evening"),
    ("Li Wei", "it,homework", "zh,en", "weekday_afternoon"),
    ("Ioana Dumitru", "elderly,cooking", "ro,it", "weekday_morning"),
    ("Sofia Ricci", "homework,children", "it,fr", "weekday_afternoon"),
    ("Matteo Sala", "driving,lifting", "it", "saturday"),
    ("Chiara Villa", "admin,first_aid", "it,en", "saturday,weekday_morning"),
    ("Tommaso Riva", "sound", "it,en", "weekday_evening,saturday"),
    ("Aisha Mohammed", "children,translation", "ar,en,it", "weekday_afternoon"),
    ("Gabriel Oliveira", "lifting,sound", "pt,es,it", "weekday_evening"),
    ("Ana Lucía Torres", "haccp,admin", "es,it", "saturday"),
    ("Giuseppe Cattaneo", "elderly,driving", "it", "weekday_morning"),
    ("Mariam Youssef", "cooking,children", "ar,it", "weekday_morning"),
    ("Bogdan Ionescu", "lifting,driving", "ro,it", "saturday,sunday"),
    ("Alessia Moretti", "homework,it", "it,en", "weekday_afternoon"),
    ("Tariq Hussain", "translation,admin", "bn,en,it", "weekday_afternoon,saturday"),
]

# Guests who signed up without an account (name + phone or e-mail).
GUESTS = [
    ("Lucia Ferrario", "+393401234001", ""),
    ("Hassan Amrani", "", "hassan.amrani@example.org"),
    ("Jenny Ramos", "+393401234003", ""),
    ("Paolo Bertolini", "", "paolo.bertolini@example.org"),
]


def _users(ctx):
    """Create the volunteers' accounts (one password hash shared: the demo password)."""
    template = User.create_account(VOLUNTEERS[0][0], ctx["password"], email="giovanna.brambilla@volontari.example")
    users = [template]
    for index, (name, *_rest) in enumerate(VOLUNTEERS[1:], start=1):
        first, last = name.lower().split(" ", 1)[0], name.lower().split(" ")[-1]
        with_email = index % 3 != 2  # a third of them only have a mobile number
        users.append(
            User.create(
                name=name,
                email=f"{first}.{last}@volontari.example".replace("í", "i").replace("ú", "u") if with_email else None,
                phone=f"+39347{1000000 + index * 7919:07d}",
                password_hash=template.password_hash,
                member_code=new_member_code(),
                role="resident",
            )
        )
    sites = list(ctx["sites"].values())
    for index, (user, (_name, skills, langs, avail)) in enumerate(zip(users, VOLUNTEERS, strict=False)):
        Profile.create(
            user=user,
            skills=csv_codes(skills.split(",")),
            languages=csv_codes(langs.split(",")),
            availability=csv_codes(avail.split(",")),
            site=sites[index % 3],
        )
    return users


def _shift_days(first, weekdays, weeks_back, weeks_ahead):
    start = first - timedelta(weeks=weeks_back)
    start -= timedelta(days=start.weekday())
    days = []
    for offset in range((weeks_back + weeks_ahead) * 7):
        day = start + timedelta(days=offset)
        if day.weekday() in weekdays:
            days.append(day)
    return days


def load(ctx):
    rng = random.Random(6)
    sites, users = ctx["sites"], ctx["users"]
    today = today_local()
    now = utcnow()
    with database().atomic():
        volunteers = _users(ctx)
        opportunities = [
            (
                Opportunity.create(
                    site=sites["faenza"],
                    title="Distribuzione del sabato all'Hub del cibo",
                    activity="food",
                    description="Ogni sabato mattina prepariamo e distribuiamo le borse della spesa solidale a circa "
                    "120 famiglie del quartiere: accoglienza, registrazione con la tessera, scarico del "
                    "furgone, composizione delle borse, pulizia finale.",
                    requirements="Scarpe chiuse. Per chi compone le borse con i freschi serve l'attestato HACCP "
                    "(il corso si fa al centro, chiedi al coordinamento).",
                    skills=csv_codes(["haccp", "lifting"]),
                    languages=csv_codes(["ar", "es"]),
                    coordinator=users["faenza@staff.binari.example"],
                    cancel_cutoff_hours=24,
                    max_party=2,
                ),
                [5],
                (time(8, 30), time(12, 30)),
                12,
            ),
            (
                Opportunity.create(
                    site=sites["faenza"],
                    title="Accompagnamento anziani a visite e commissioni",
                    activity="elderly",
                    description="Accompagniamo a piedi o coi mezzi le persone anziane del quartiere a visite mediche, "
                    "in posta, in farmacia. Si lavora in coppia.",
                    requirements="Pazienza e puntualità. Gradita la patente B.",
                    skills=csv_codes(["elderly"]),
                    coordinator=users["faenza@staff.binari.example"],
                    cancel_cutoff_hours=24,
                    max_party=1,
                ),
                [1, 3],
                (time(9, 30), time(12, 0)),
                4,
            ),
            (
                Opportunity.create(
                    site=sites["erlembaldo"],
                    title="Aiuto compiti al doposcuola",
                    activity="afterschool",
                    description="Seguiamo bambine e bambini delle elementari e delle medie nei compiti, in piccoli "
                    "gruppi, accanto alla biblioteca di comunità. Merenda alle 16:30.",
                    requirements="Maggiore età. Utile chi parla arabo, cinese o bengalese per parlare con le famiglie.",
                    skills=csv_codes(["homework", "children"]),
                    languages=csv_codes(["ar", "zh", "bn"]),
                    coordinator=users["erlembaldo@staff.binari.example"],
                    cancel_cutoff_hours=12,
                    max_party=0,
                ),
                [0, 2],
                (time(15, 0), time(18, 0)),
                6,
            ),
            (
                Opportunity.create(
                    site=sites["visconti"],
                    title="Squadra eventi: allestimento e smontaggio",
                    activity="events",
                    description="Prima e dopo concerti, proiezioni e spettacoli in Sala eventi: sedie, palco, impianto "
                    "audio e luci, accoglienza del pubblico, riordino.",
                    requirements="Chi si occupa dell'impianto riceve una breve formazione dal servizio audio-video.",
                    skills=csv_codes(["sound", "lifting"]),
                    coordinator=users["visconti@staff.binari.example"],
                    cancel_cutoff_hours=6,
                    max_party=3,
                ),
                [4],
                (time(17, 30), time(20, 0)),
                8,
            ),
            (
                Opportunity.create(
                    site=sites["visconti"],
                    title="Brigate di mutuo soccorso: consegne a domicilio",
                    activity="brigade",
                    description="Con le Brigate di Mutuo Soccorso portiamo la spesa e i farmaci a chi non può uscire "
                    "di casa. Si parte dal centro con le borse già pronte.",
                    requirements="Bicicletta o patente B.",
                    skills=csv_codes(["driving"]),
                    coordinator=users["coordinamento@staff.binari.example"],
                    cancel_cutoff_hours=12,
                    max_party=1,
                ),
                [2],
                (time(10, 0), time(12, 30)),
                5,
            ),
        ]
        shift_count = signup_count = 0
        resident = users["maria@binari.example"]
        for opp, weekdays, (start, end), capacity in opportunities:
            series = f"demo{opp.id}"
            days = _shift_days(today, weekdays, 6, 6)
            closed = closed_days(opp.site_id, days[0], days[-1])
            for day in [d for d in days if d not in closed]:  # no shifts on holidays or closures
                shift = Shift.create(
                    opportunity=opp,
                    starts_at=to_utc(day, start),
                    ends_at=to_utc(day, end),
                    capacity=capacity,
                    series=series,
                    location="Cortile e magazzino" if opp.activity == "food" else "",
                )
                shift_count += 1
                past = shift.ends_at < now
                # Popular shifts fill up: the next Saturday is full with a waitlist.
                full = opp.activity == "food" and 0 <= (day - today).days < 7
                fill = capacity if full else rng.randint(capacity // 4, capacity - 2)
                people = rng.sample(volunteers, min(len(volunteers), fill + (4 if full else 0)))
                taken = 0
                for person in people:
                    party = 2 if (opp.max_party and rng.random() < 0.15) else 1
                    if taken + party > capacity:
                        if past or taken < capacity:
                            continue
                        status = WAITLIST
                    else:
                        status = ACTIVE
                        taken += party
                    Signup.create(
                        shift=shift,
                        user=person,
                        name=person.name,
                        phone=person.phone or "",
                        email=person.email or "",
                        party=party,
                        status=status,
                        confirmed=True,
                        key_user=person.id,
                        key_phone=person.phone,
                        key_email=person.email,
                        attended=(rng.random() > 0.1) if past and status == ACTIVE else None,
                        minutes_served=0,
                        created_at=shift.starts_at - timedelta(days=rng.randint(2, 9)),
                    )
                    signup_count += 1
                if not past and taken < capacity and rng.random() < 0.4:
                    name, phone, email = GUESTS[shift_count % len(GUESTS)]
                    Signup.create(
                        shift=shift,
                        name=name,
                        phone=phone,
                        email=email,
                        party=1,
                        status=ACTIVE,
                        confirmed=bool(email),
                        key_phone=phone or None,
                        key_email=email or None,
                    )
                    taken += 1
                    signup_count += 1
                Shift.update(taken=taken).where(Shift.id == shift.id).execute()
                if past:
                    Signup.update(minutes_served=shift.minutes).where(
                        (Signup.shift == shift) & (Signup.attended == True)  # noqa: E712
                    ).execute()
        # Maria (demo resident) has served a few Saturdays and is signed up for one to come.
        food = opportunities[0][0]
        food_shifts = list(Shift.select().where(Shift.opportunity == food).order_by(Shift.starts_at))
        chosen = [s for s in food_shifts if s.ends_at < now and s.taken < s.capacity][-4:]
        chosen += [s for s in food_shifts if s.starts_at > now + timedelta(days=7)][:1]
        for shift in chosen:
            if (
                shift.taken + 1 > shift.capacity
                or Signup.select().where((Signup.shift == shift) & (Signup.key_user == resident.id)).exists()
            ):
                continue
            served = shift.ends_at < now
            Signup.create(
                shift=shift,
                user=resident,
                name=resident.name,
                email=resident.email,
                party=1,
                confirmed=True,
                key_user=resident.id,
                key_email=resident.email,
                attended=True if served else None,
                minutes_served=shift.minutes if served else 0,
            )
            Shift.update(taken=Shift.taken + 1).where(Shift.id == shift.id).execute()
            signup_count += 1
        Profile.create(
            user=resident,
            skills=csv_codes(["cooking", "admin"]),
            languages=csv_codes(["it", "en"]),
            availability=csv_codes(["saturday"]),
            site=sites["faenza"],
        )
    return {
        "volunteer opportunities": len(opportunities),
        "volunteer shifts": shift_count,
        "volunteers": len(volunteers),
        "volunteer sign-ups": signup_count,
    }
