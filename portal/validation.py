"""Normalising what people type: phone numbers, e-mail addresses, safe redirects."""

from urllib.parse import urlsplit

import phonenumbers


def normalise_phone(raw, region="IT"):
    """Return a phone number in E.164 (+393331234567), or None if it is not valid.

    Italian numbers may be typed without the country code and with spaces.
    """
    raw = (raw or "").strip()
    if not raw or len(raw) > 30:
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164):
    """A stored number written the way people read it (+39 333 123 4567)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def safe_next(target, default="/"):
    """Only redirect to a path on this site: never to another host (open redirect)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target
