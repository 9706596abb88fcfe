"""Link previews and sharing: the canonical address, Open Graph tags for WhatsApp and Telegram,
schema.org Event data, and a generated preview picture for events without a poster.

Every absolute link comes from the configured BASE_URL, never from the request."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import quote

from flask_babel import format_date, format_time

from portal.urls import external_url

from .markdown import plain_description
from .models import Event
from .printouts import cached_file, events_etag

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def canonical_url(event: Event) -> str:
    """The one address of an event page (with its slug), for search engines and link previews."""
    return external_url("events.event_page", event_id=event.id, slug=event.slug)


def preview_image_url(event: Event) -> str:
    """The poster when there is one, else the generated preview card."""
    if event.poster:
        return external_url("events.poster", key=event.poster)
    return external_url("events.preview_card", event_id=event.id, v=card_etag(event)[:10])


def summary_line(event: Event) -> str:
    when = format_date(event.local_start.date(), "EEEE d MMMM") + ", " + format_time(event.local_start, "HH:mm")
    return f"{when} · {event.site.short_name}"


def share_links(event: Event) -> dict[str, str]:
    """Plain links that share the event without any script: WhatsApp and Telegram."""
    url = canonical_url(event)
    text = f"{event.title} – {summary_line(event)}"
    return {
        "url": url,
        "whatsapp": "https://wa.me/?text=" + quote(f"{text} {url}"),
        "telegram": "https://t.me/share/url?url=" + quote(url) + "&text=" + quote(text),
        "text": text,
    }


def event_jsonld(event: Event) -> str:
    """schema.org Event as JSON-LD: times with their UTC offset, the place with a PostalAddress,
    the organiser, the picture and the offer. Safe inside a <script> element."""
    site = event.site
    place = {
        "@type": "Place",
        "name": site.name + (f" – {event.room.name}" if event.room_id and event.room else ""),
        "address": {
            "@type": "PostalAddress",
            "streetAddress": site.address,
            "postalCode": site.postcode,
            "addressLocality": site.city,
            "addressCountry": "IT",
        },
    }
    if site.latitude and site.longitude:
        place["geo"] = {"@type": "GeoCoordinates", "latitude": site.latitude, "longitude": site.longitude}
    organizer = (
        {"@type": "Organization", "name": event.partner.name}
        if event.partner_id and event.partner
        else {"@type": "Organization", "name": site.name, "url": external_url("sites.site", slug=site.slug)}
    )
    offer: dict[str, object] = {
        "@type": "Offer",
        "url": canonical_url(event),
        "priceCurrency": "EUR",
        "availability": "https://schema.org/" + ("SoldOut" if event.is_full else "InStock"),
    }
    if event.is_free:
        offer["price"] = 0
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "startDate": event.local_start.isoformat(),
        "endDate": event.local_end.isoformat(),
        "eventStatus": "https://schema.org/" + ("EventCancelled" if event.is_cancelled else "EventScheduled"),
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": place,
        "organizer": organizer,
        "image": [preview_image_url(event)],
        "description": plain_description(event.description)[:500],
        "url": canonical_url(event),
        "offers": offer,
        "isAccessibleForFree": bool(event.is_free),
    }
    # Inside a <script> element "</script>" or "<!--" in a title would break out: escape < > & ' as JSON
    # allows (\u003c …), as Jinja's tojson does.
    text = json.dumps(data, ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escaped)
    return text


def card_etag(event: Event) -> str:
    return events_etag("preview-card", [(event.id, event.updated_at)], extra=f"{event.site.name}|{event.status}")


def preview_card_png(event: Event) -> bytes:
    """A 1200 x 630 picture for link previews: the title, the date and the centre (cached on disk)."""
    return cached_file(card_etag(event), lambda: _draw_card(event), "png")


def _font(name: str, size: int):
    from PIL import ImageFont

    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:  # fonts missing: Pillow's own (the picture stays readable)
        return ImageFont.load_default(size=size)


def _wrap(draw, text: str, font, width: int, lines: int) -> list[str]:
    words, out, line = text.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) <= width:
            line = trial
            continue
        if line:
            out.append(line)
        line = word
        if len(out) == lines:
            break
    if line and len(out) < lines:
        out.append(line)
    if len(out) == lines and " ".join(out) != " ".join(words):
        out[-1] = out[-1].rstrip(".,;:") + "…"
    return out


def _draw_card(event: Event) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 630), "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, 1200, 110], fill="#0a5a9c")
    draw.text((60, 34), "BINARI – KALEIDOSCOPI METROPOLITANI", font=_font("DejaVuSans-Bold.ttf", 34), fill="#ffffff")
    title_font = _font("DejaVuSans-Bold.ttf", 72)
    y = 160
    for line in _wrap(draw, event.title, title_font, 1080, 3):
        draw.text((60, y), line, font=title_font, fill="#111111")
        y += 86
    draw.text((60, y + 24), summary_line(event), font=_font("DejaVuSans.ttf", 44), fill="#0a5a9c")
    draw.rectangle([0, 600, 1200, 630], fill="#e0a100")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
