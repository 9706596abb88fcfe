"""Signed links that let a guest (no account) see and cancel their registration."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from portal.urls import external_url

from .models import Registration


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="event-registration-cancel")


def cancel_token(reg: Registration) -> str:
    # The creation time makes the token specific to this registration row.
    return _serializer().dumps({"r": reg.id, "t": reg.created_at.isoformat(timespec="seconds")})


def cancel_link(reg: Registration) -> str:
    return external_url("events.guest_cancel", token=cancel_token(reg))


def registration_from_token(token: str) -> Registration | None:
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    reg = Registration.get_or_none(Registration.id == data.get("r"))
    if reg is None or reg.created_at.isoformat(timespec="seconds") != data.get("t"):
        return None
    return reg


def _course_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="event-course-registration")


def course_token(key: str) -> str:
    """The signed link of a guest's whole-course request (every date made in that one step)."""
    return _course_serializer().dumps({"k": key})


def course_link(key: str) -> str:
    return external_url("events.course_guest", token=course_token(key))


def course_key_from_token(token: str) -> str | None:
    try:
        data = _course_serializer().loads(token)
    except BadSignature:
        return None
    key = data.get("k") if isinstance(data, dict) else None
    return key if isinstance(key, str) and key else None
