"""Demo data: the Visconti co-working room (8 desks and the meeting room), 15
audio-video items in 3 kits, and a few weeks of bookings and loans around today."""

from datetime import time, timedelta

from portal.clock import today_local
from portal.db import database
from portal.models import User

from . import bulk, services
from .models import (
    KIND_DESK,
    KIND_EQUIPMENT,
    KIND_ROOM,
    POLICY_DEFAULTS,
    Booking,
    BookingSeries,
    Item,
    Kit,
    KitItem,
    Policy,
    Resource,
)

ITEMS = [
    # (name, category, description, condition, deposit); no demo photos: the pages draw an icon per kind
    (
        "Videocamera Sony HXR-NX80",
        "Video",
        "Videocamera 4K con due ingressi XLR, batteria e scheda da 64 GB.",
        "Buono, piccolo graffio sul display",
        100,
    ),
    (
        "Radiomicrofono lavalier A",
        "Audio",
        "Microfono a clip senza fili con ricevitore per la videocamera.",
        "Buono",
        30,
    ),
    (
        "Radiomicrofono lavalier B",
        "Audio",
        "Microfono a clip senza fili con ricevitore per la videocamera.",
        "Buono",
        30,
    ),
    ("Treppiede video", "Video", "Treppiede con testa fluida, fino a 4 kg.", "Buono", 20),
    (
        "Cuffie monitor",
        "Audio",
        "Cuffie chiuse per ascoltare la registrazione.",
        "Imbottiture consumate",
        10,
    ),
    (
        "Registratore Zoom H6",
        "Audio",
        "Registratore a sei tracce con due capsule e quattro ingressi XLR.",
        "Ottimo",
        40,
    ),
    (
        "Microfono Shure SM58 A",
        "Audio",
        "Microfono dinamico per voce, con cavo XLR da 5 m.",
        "Buono",
        15,
    ),
    (
        "Microfono Shure SM58 B",
        "Audio",
        "Microfono dinamico per voce, con cavo XLR da 5 m.",
        "Buono",
        15,
    ),
    (
        "Mixer Yamaha MG10XU",
        "Audio",
        "Mixer a 10 canali con scheda audio USB.",
        "Buono",
        50,
    ),
    (
        "Proiettore Epson",
        "Proiezione",
        "Proiettore Full HD, 3.000 lumen, ingresso HDMI.",
        "Buono",
        80,
    ),
    ("Schermo da proiezione 2 m", "Proiezione", "Schermo a treppiede, si monta in due minuti.", "Buono", 20),
    (
        "Impianto audio (2 casse attive)",
        "Audio",
        "Due casse attive da 300 W con stativi e cavi.",
        "Buono",
        80,
    ),
    (
        "Pannello LED A",
        "Luci",
        "Pannello LED bicolore con stativo e batteria.",
        "Buono",
        25,
    ),
    (
        "Pannello LED B",
        "Luci",
        "Pannello LED bicolore con stativo e batteria.",
        "Buono",
        25,
    ),
    (
        "Fotocamera mirrorless",
        "Video",
        "Fotocamera con obiettivo 15–45 mm.",
        "Otturatore da riparare",
        80,
    ),
]
KITS = [
    (
        "Kit intervista",
        "Videocamera, due radiomicrofoni, treppiede e cuffie: per interviste e video racconti.",
        [0, 1, 2, 3, 4],
    ),
    (
        "Kit podcast",
        "Registratore, due microfoni, mixer e cuffie: per registrare un podcast o una radio di quartiere.",
        [5, 6, 7, 8, 4],
    ),
    ("Kit proiezione", "Proiettore, schermo e impianto audio: per un cineforum in cortile.", [9, 10, 11]),
]
EXTRA_RESIDENTS = [
    ("Giorgio Bassi", "giorgio.bassi"),
    ("Fatima Ouali", "fatima.ouali"),
    ("Elena Moretti", "elena.moretti"),
    ("Karim Mansour", "karim.mansour"),
]


def load(ctx):
    site = ctx["sites"]["visconti"]
    staff = ctx["users"].get("visconti@staff.binari.example")
    residents = [
        ctx["users"][key]
        for key in ("maria@binari.example", "+393331234567", "wei@binari.example")
        if key in ctx["users"]
    ]
    with database().atomic():
        for name, slug in EXTRA_RESIDENTS:
            residents.append(User.create_account(name, ctx["password"], email=f"{slug}@esempio.binari.example"))
        for kind in (KIND_DESK, KIND_ROOM, KIND_EQUIPMENT):
            Policy.create(site=site, kind=kind, **POLICY_DEFAULTS[kind])
        desks = [
            Resource.create(
                site=site,
                kind=KIND_DESK,
                name=f"Postazione {n}",
                position=n,
                description="Sala co-working, primo piano" + (", vicino alla finestra" if n <= 3 else ""),
            )
            for n in range(1, 9)
        ]
        room = Resource.create(
            site=site,
            kind=KIND_ROOM,
            name="Sala riunioni",
            seats=10,
            position=20,
            description="Tavolo per 10, schermo e lavagna",
        )
        items = []
        for position, (name, category, description, condition, deposit) in enumerate(ITEMS):
            items.append(
                Item.create(
                    site=site,
                    name=name,
                    category=category,
                    description=description,
                    condition=condition,
                    deposit=deposit,
                    position=position,
                    status="maintenance" if "riparare" in condition else "available",
                )
            )
        kits = []
        for position, (name, description, indexes) in enumerate(KITS):
            kit = Kit.create(site=site, name=name, description=description, position=position)
            for i in indexes:
                KitItem.create(kit=kit, item=items[i])
            kits.append(kit)

    spans = services.opening_spans(site.id)
    today = today_local()
    bookings = 0
    past_days = bulk.next_open_days(site.id, today - timedelta(days=1), 10, step=-1)
    future_days = bulk.next_open_days(site.id, today + timedelta(days=1), 10)
    for n, day in enumerate(sorted(past_days)):
        for k, person in enumerate(residents):
            if (n + k) % 3 == 0:
                continue
            slot = ("am", "pm", "day")[(n + k) % 3]
            status = "no_show" if (n * 7 + k) % 11 == 0 else "checked_in"
            bulk.insert_booking(person.id, desks[k % len(desks)], day, slot, spans, status=status)
            bookings += 1
    for n, day in enumerate(future_days):
        for k, person in enumerate(residents):
            if (n + k) % 2 == 0:
                continue
            slot = ("am", "pm", "day")[(n + 2 * k) % 3]
            bulk.insert_booking(person.id, desks[(k + n) % len(desks)], day, slot, spans)
            bookings += 1
        if n % 3 == 1:
            bulk.insert_booking(residents[n % len(residents)].id, room, day, "pm", spans)
            bookings += 1
    bookings += _weekly_room(site, room, residents, future_days[1], spans)

    buffer = POLICY_DEFAULTS[KIND_EQUIPMENT]["buffer_days"]
    pick = time(15, 0)
    back = time(17, 0)
    staff_id = staff.id if staff else None

    def kit_items(kit_index):
        return [items[i] for i in KITS[kit_index][2]]

    loans = [
        # returned last week
        (residents[0], kit_items(0), past_days[-1], past_days[-3], "returned", kits[0]),
        # overdue: should have been back yesterday
        (residents[1], [items[12], items[13]], past_days[4], past_days[0], "out", None),
        # out now, back in a few days
        (residents[2], kit_items(1), past_days[0], future_days[2], "out", kits[1]),
        # approved for next week
        (residents[3], kit_items(2), future_days[4], future_days[6], "approved", kits[2]),
        # waiting for a decision
        (residents[4], [items[0], items[3]], future_days[7], future_days[8], "requested", None),
    ]
    for person, things, start, end, status, kit in loans:
        bulk.insert_loan(
            person.id,
            site,
            things,
            start,
            pick,
            end,
            back,
            status,
            buffer_days=buffer,
            kit=kit,
            deposit=sum(i.deposit for i in things),
            staff_id=staff_id,
            purpose="Video per la festa del quartiere" if kit else "",
        )
    return {
        "co-working resources": len(desks) + 1,
        "AV items": len(items),
        "AV kits": len(kits),
        "desk bookings": bookings,
        "loans": len(loans),
    }


def _weekly_room(site, room, residents, first, spans):
    """Maria's meeting room every week for six weeks, mornings (the weeks the centre is closed listed)."""
    from .weekly import week_days

    maria = next((r for r in residents if r.email == "maria@binari.example"), None)
    if maria is None:
        return 0
    weeks = week_days(first, first + timedelta(weeks=5))
    held = [
        d
        for d in weeks
        if d in set(bulk.next_open_days(site.id, first, 60)) and "am" in services.day_slots(spans.get(d.weekday(), []))
    ]
    series = BookingSeries.create(
        user=maria.id,
        site=site.id,
        kind=KIND_ROOM,
        resource=room.id,
        slot="am",
        first_day=first,
        until=weeks[-1],
        outcome="\n".join(f"{d.isoformat()} closed" for d in weeks if d not in held),
    )
    for day in held:
        booking = bulk.insert_booking(maria.id, room, day, "am", spans)
        Booking.update(series=series.id).where(Booking.id == booking.id).execute()
    return len(held)
