"""Link previews and sharing: canonical address, Open Graph, schema.org Event, a preview picture,
share links that work without script. Absolute links from BASE_URL, never from the request's Host."""

import json
import re

import pytest
from PIL import Image
from test_events import make_event

BASE = "https://binari.example.org"


@pytest.fixture
def based(app):
    app.config["BASE_URL"] = BASE
    return app


def meta(html, prop):
    found = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    return found.group(1) if found else None


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_event_page_carries_canonical_open_graph_and_schema_org(client, seed, based):
    event = make_event(days=3, title="Cineforum: Io capitano", partner=seed["partners"]["Teatro di Quartiere APS"])
    for path in (f"/events/{event.id}", f"/events/{event.id}-cineforum-io-capitano"):
        html = client.get(path, headers={"Host": "evil.example"}).get_data(as_text=True)
        canonical = re.search(r'<link rel="canonical" href="([^"]+)"', html).group(1)
        assert canonical == f"{BASE}/events/{event.id}-cineforum-io-capitano"
    assert meta(html, "og:title") == "Cineforum: Io capitano"
    assert meta(html, "og:url") == canonical
    assert meta(html, "og:image").startswith(f"{BASE}/events/{event.id}/card.png")
    assert "Viale Faenza" in meta(html, "og:description") and "venerdì 20 novembre" in meta(html, "og:description")
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["@type"] == "Event" and data["name"] == "Cineforum: Io capitano"
    assert data["startDate"] == "2026-11-20T18:00:00+01:00"  # Milan time with its UTC offset
    assert data["location"]["address"]["@type"] == "PostalAddress"
    assert data["location"]["address"]["postalCode"] == "20142"
    assert data["organizer"]["name"] == "Teatro di Quartiere APS"
    assert data["offers"]["url"] == canonical and data["image"][0].startswith(BASE)
    assert "evil.example" not in html


@pytest.mark.clock("2026-11-17T10:00:00+01:00")
def test_share_links_work_without_script_and_the_preview_picture(client, seed, based, tmp_path):
    event = make_event(days=3, title="Repair café")
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert 'href="https://wa.me/?text=Repair%20caf%C3%A9' in html and "https://t.me/share/url?url=" in html
    assert f'value="{BASE}/events/{event.id}-repair-cafe"' in html  # the link to copy
    assert 'class="share-native" hidden' in html  # the share sheet button appears only with script
    card = client.get(f"/events/{event.id}/card.png")
    assert card.status_code == 200 and card.mimetype == "image/png"
    path = tmp_path / "card.png"
    path.write_bytes(card.data)
    assert Image.open(path).size == (1200, 630)
    assert len(card.data) < 60_000
    assert client.get("/events/999999/card.png").status_code == 404
