"""The staff member's day (`/staff` and its printable daily sheet): every area's part of one
centre's day, read through the `staff_day` slot, and the phone list's count."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import abort

from . import areas, phone
from .clock import today_local
from .models import Site


def choose(sites: list[Site], slug: str | None, day_text: str | None) -> tuple[Site | None, date, str]:
    """The centre (`?site=` among mine, else my first) and the day (`?day=YYYY-MM-DD`, else today).

    A centre that is not mine is 403 (404 when it does not exist); a day that cannot be read gives
    today and a message for the form."""
    site = sites[0] if sites else None
    if slug:
        site = next((s for s in sites if s.slug == slug), None)
        if site is None:
            abort(403 if Site.select().where(Site.slug == slug).exists() else 404)
    day, error = today_local(), ""
    if day_text:
        try:
            day = date.fromisoformat(day_text.strip()[:10])
        except ValueError:
            error = "day"
    return site, day, error


def day_context(site: Site | None, day: date) -> dict[str, Any]:
    """What the day page and the daily sheet show."""
    if site is None:
        return {"site": None, "day": day, "sections": [], "to_phone": 0, "calls": []}
    sections = [section for _area, found in areas.staff_day(site.id, day) for section in found]
    calls = [call for call, _history in phone.calls_for([site.id]) if call.done_at is None]
    return {
        "site": site,
        "day": day,
        "today": today_local(),
        "prev_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "closed": bool(site.closed_days(day, day)),
        "sections": sections,
        "to_phone": len(calls),
        "calls": calls,
    }
