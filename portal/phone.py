"""The one phone list (`/staff/phone`): people without e-mail who must be told something.

Every area adds its entries through the `people_to_phone` slot (with the reason and a link to the
record); the reminders that could not be e-mailed come from `portal.reminders`. "Fatto: ho
telefonato" records who phoned and when (`PhoneCallLog`) and tells the area (`phone_done`).
Staff of a centre see their centres' entries only; admins see all.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from peewee import JOIN

from . import areas, reminders
from .areas import PhoneCall
from .auth import managed_site_ids, staff_required
from .clock import utcnow
from .db import database
from .models import PhoneCallLog, Site, User
from .phrases import shown, stored
from .rendering import render

bp = Blueprint("phone", __name__, url_prefix="/staff/phone")

REMINDERS = "reminders"  # the "area" of reminders whose kind names no area
REMINDER_KEY = "reminder:"  # keys of the reminders' entries (kept by the core, not by an area)
DONE_KEPT_DAYS = 7  # calls made stay on the list this long
OUTCOMES = {"told": _l("Fatto: ho telefonato"), "no_answer": _l("Non risponde")}


def _reminder_calls(site_ids: list[int]) -> list[PhoneCall]:
    """Reminders for people without e-mail, under the area they come from (the kind's prefix)."""
    names = {area.name for area in areas.all_areas()}

    def area_of(kind: str) -> str:
        prefix = kind.split("_", 1)[0]
        return prefix if prefix in names else REMINDERS

    return [
        PhoneCall(
            area=area_of(entry.kind),
            site_id=entry.site_id,
            name=entry.name,
            phone=entry.phone,
            reason=shown(entry.reason_phrase, entry.reason),
            link=entry.link,
            since=entry.sent_at,
            key=f"{REMINDER_KEY}{entry.id}",
        )
        for entry in reminders.phone_entries(site_ids)
    ]


def calls_for(site_ids: list[int]) -> list[tuple[PhoneCall, list[PhoneCallLog]]]:
    """Every entry at these centres, with the calls made (newest first); done entries last, then
    gone after a week."""
    calls = areas.people_to_phone(site_ids) + _reminder_calls(site_ids)
    logs: dict[tuple[str, str], list[PhoneCallLog]] = {}
    if calls:
        query = (
            PhoneCallLog.select(PhoneCallLog, User)
            .join(User, on=(PhoneCallLog.phoned_by == User.id), attr="staff", join_type=JOIN.LEFT_OUTER)
            .where(PhoneCallLog.site.in_(site_ids) | PhoneCallLog.site.is_null())
            .where(PhoneCallLog.record_key.in_([c.key for c in calls if c.key]))
            .order_by(PhoneCallLog.phoned_at.desc())
        )
        for log in query:
            logs.setdefault((log.area, log.record_key), []).append(log)
    found = []
    old = utcnow() - timedelta(days=DONE_KEPT_DAYS)
    for call in calls:
        history = logs.get((call.area, call.key), []) if call.key else []
        told = next((log for log in history if log.outcome == "told"), None)
        if told is not None and call.done_at is None:
            staff = getattr(told, "staff", None)
            call = replace(call, done_at=told.phoned_at, done_by=staff.name if staff and staff.id else "")
        if call.done_at is not None and call.done_at < old:
            continue
        found.append((call, history))
    found.sort(key=lambda pair: (pair[0].done_at is not None, pair[0].since or utcnow()))
    return found


def record_call(area: str, key: str, outcome: str, site_ids: list[int], staff: User) -> PhoneCall | None:
    """Record a call made on an entry the staff member may see; None when it is not on their list."""
    call = next((c for c, _h in calls_for(site_ids) if c.area == area and c.key == key), None)
    if call is None:
        return None
    reason_text, reason_phrase = stored(call.reason)  # a phrase is kept to be shown in each reader's language
    with database().atomic():
        # The names and reasons of calls older than the list shows are not kept (who phoned, when: yes).
        PhoneCallLog.update(name="", reason="", reason_phrase="").where(
            (PhoneCallLog.phoned_at < utcnow() - timedelta(days=DONE_KEPT_DAYS)) & (PhoneCallLog.name != "")
        ).execute()
        PhoneCallLog.create(
            area=area,
            record_key=key,
            site=call.site_id,
            phoned_by=staff.id,
            outcome=outcome,
            name=call.name[:120],
            reason=reason_text[:300],
            reason_phrase=reason_phrase,
        )
        if outcome == "told" and not key.startswith(REMINDER_KEY):
            hook = getattr(areas.get_area(area), "phone_done", None)
            if hook is not None:
                hook(key, staff)
    return call


def recent_calls(site_ids: list[int], shown: set[tuple[str, str]]) -> list[PhoneCallLog]:
    """The week's calls whose entry is no longer on the list (the area took it off once told)."""
    since = utcnow() - timedelta(days=DONE_KEPT_DAYS)
    query = (
        PhoneCallLog.select(PhoneCallLog, User)
        .join(User, on=(PhoneCallLog.phoned_by == User.id), attr="staff", join_type=JOIN.LEFT_OUTER)
        .where(PhoneCallLog.site.in_(site_ids) & (PhoneCallLog.phoned_at >= since))
        .order_by(PhoneCallLog.phoned_at.desc())
        .limit(200)
    )
    return [log for log in query if (log.area, log.record_key) not in shown]


def area_titles() -> dict[str, object]:
    titles: dict[str, object] = {area.name: area.title for area in areas.all_areas()}
    titles[REMINDERS] = _l("Promemoria")
    return titles


def _sites_asked() -> tuple[list[Site], Site | None]:
    managed = list(current_user.managed_sites())
    slug = request.values.get("site") or ""
    if not slug:
        return managed, None
    site = next((s for s in managed if s.slug == slug), None)
    if site is None:
        abort(403 if Site.select().where(Site.slug == slug).exists() else 404)
    return managed, site


@bp.route("")
@staff_required
def page():
    """People to phone at my centres (or one centre, one area), with the calls made."""
    managed, site = _sites_asked()
    site_ids = [site.id] if site else [s.id for s in managed]
    area = request.args.get("area") or ""
    every = calls_for(site_ids)
    entries = [(c, h) for c, h in every if not area or c.area == area]
    recent = [
        log for log in recent_calls(site_ids, {(c.area, c.key) for c, _h in every}) if not area or log.area == area
    ]
    return render(
        "staff/phone.html",
        entries=entries,
        recent=recent,
        sites=managed,
        site=site,
        area=area,
        titles=area_titles(),
        outcomes=OUTCOMES,
        site_names={s.id: s.short_name for s in managed},
    )


@bp.route("/done", methods=["POST"])
@staff_required
def done():
    """Record a call: who phoned, when, and how it went."""
    outcome = request.form.get("outcome", "told")
    if outcome not in OUTCOMES:
        abort(400)
    area, key = request.form.get("area", "")[:40], request.form.get("key", "")[:160]
    call = record_call(area, key, outcome, managed_site_ids(), current_user)
    if call is None:
        abort(404)
    flash(_("Telefonata registrata: %(name)s.", name=call.name), "success")
    back = {"site": request.form.get("site") or None, "area": request.form.get("area_filter") or None}
    return redirect(url_for(".page", **back), 303)
