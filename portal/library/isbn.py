"""ISBN-10 / ISBN-13: check digits, normalisation to the 13-digit form."""

import re


def _isbn13_check(digits12):
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits12))
    return str((10 - total % 10) % 10)


def _isbn10_valid(raw):
    total = 0
    for i, ch in enumerate(raw):
        value = 10 if ch == "X" else int(ch)
        total += value * (10 - i)
    return total % 11 == 0


def normalise_isbn(raw):
    """Return the ISBN as 13 digits, or raise ValueError (empty -> None).

    Accepts hyphens and spaces, ISBN-10 (final X allowed) and ISBN-13; an
    ISBN-10 is converted to its 978 ISBN-13 so one book has one key.
    """
    cleaned = re.sub(r"[\s\-‐‑–.]", "", (raw or "")).upper()
    if cleaned.startswith("ISBN"):
        cleaned = cleaned[4:].lstrip(":")
    if not cleaned:
        return None
    if re.fullmatch(r"\d{9}[\dX]", cleaned):
        if not _isbn10_valid(cleaned):
            raise ValueError("check digit")
        body = "978" + cleaned[:9]
        return body + _isbn13_check(body)
    if re.fullmatch(r"\d{13}", cleaned):
        if not cleaned.startswith(("978", "979")) or _isbn13_check(cleaned[:12]) != cleaned[12]:
            raise ValueError("check digit")
        return cleaned
    raise ValueError("format")
