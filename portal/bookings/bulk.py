"""Bulk creation for demo data and the benchmark: rows written past the booking rules.

Not a way in for people: nothing here checks quotas, horizons or policies. The
unique indexes of the claims still apply, so an overlapping row raises
IntegrityError. `portal.bookings.demo` and `bench/bench_bookings.py` use it.
"""

from datetime import timedelta

from portal.clock import to_utc, utcnow
from portal.db import database
from portal.models import closed_days

from .models import HALVES, Booking, ItemClaim, Loan, LoanItem, SlotClaim, WeeklyCount, week_start
from .services import claim_days, day_slots, opening_spans


def next_open_days(site_id, start, count, step=1):
    """The first `count` days from `start` (going back when step is -1) with a morning and an afternoon."""
    spans = opening_spans(site_id)
    far = start + timedelta(days=step * count * 3 + step * 10)
    low, high = (start, far) if step > 0 else (far, start)
    closed = closed_days(site_id, low, high)
    days, day = [], start
    while len(days) < count and low <= day <= high:
        if day not in closed and "day" in day_slots(spans.get(day.weekday(), [])):
            days.append(day)
        day += timedelta(days=step)
    return days


def insert_booking(user_id, resource, day, slot, spans, status="booked", created_at=None):
    """Write a booking and its claims directly (demo and benchmark data; no policy checks).

    The unique indexes still apply: an overlapping row raises IntegrityError.
    """
    start, end = day_slots(spans.get(day.weekday(), []))[slot]
    with database().atomic():
        booking = Booking.create(
            user=user_id,
            resource=resource,
            day=day,
            slot=slot,
            starts_at=to_utc(day, start),
            ends_at=to_utc(day, end),
            status=status,
            created_at=created_at or utcnow(),
            checked_in_at=to_utc(day, start) if status == "checked_in" else None,
        )
        if status in ("booked", "checked_in"):
            SlotClaim.insert_many(
                [
                    {
                        "resource": resource.id,
                        "day": day,
                        "half": half,
                        "booking": booking.id,
                        "user": user_id,
                        "kind": resource.kind,
                    }
                    for half in HALVES[slot]
                ]
            ).execute()
            week = week_start(day)
            WeeklyCount.insert(
                user=user_id, site=resource.site_id, kind=resource.kind, week=week, taken=0
            ).on_conflict_ignore().execute()
            (
                WeeklyCount.update(taken=WeeklyCount.taken + 1)
                .where(
                    (WeeklyCount.user == user_id)
                    & (WeeklyCount.site == resource.site_id)
                    & (WeeklyCount.kind == resource.kind)
                    & (WeeklyCount.week == week)
                )
                .execute()
            )
    return booking


def insert_loan(
    user_id,
    site,
    items,
    pickup_day,
    pickup_time,
    return_day,
    return_time,
    status,
    buffer_days=1,
    kit=None,
    deposit=0,
    staff_id=None,
    purpose="",
):
    """Write a loan with its items and claims directly (demo and benchmark data)."""
    now = utcnow()
    with database().atomic():
        loan = Loan.create(
            user=user_id,
            site=site,
            kit=kit,
            pickup_at=to_utc(pickup_day, pickup_time),
            return_at=to_utc(return_day, return_time),
            status=status,
            purpose=purpose,
            decided_at=now if status != "requested" else None,
            decided_by=staff_id if status != "requested" else None,
            checked_out_at=to_utc(pickup_day, pickup_time) if status in ("out", "returned") else None,
            checked_out_by=staff_id if status in ("out", "returned") else None,
            deposit_taken=deposit if status in ("out", "returned") else 0,
            deposit_returned=deposit if status == "returned" else 0,
            returned_at=to_utc(return_day, return_time) if status == "returned" else None,
            returned_by=staff_id if status == "returned" else None,
        )
        LoanItem.insert_many(
            [
                {
                    "loan": loan.id,
                    "item": i.id,
                    "out_checked": status in ("out", "returned"),
                    "returned_at": loan.returned_at,
                }
                for i in items
            ]
        ).execute()
        if status in ("requested", "approved", "out", "returned"):
            ItemClaim.insert_many(
                [
                    {"item": i.id, "day": d, "loan": loan.id}
                    for i in items
                    for d in claim_days(pickup_day, return_day, buffer_days)
                ]
            ).execute()
    return loan
