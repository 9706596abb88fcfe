"""Every page a resident reaches from the home page: within the data budget,
accessible basics (lang, one h1, labelled inputs), friendly error pages."""

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

BUDGET = 14 * 1024  # gzipped HTML + CSS per page
CSS = (Path(__file__).resolve().parent.parent / "portal" / "static" / "style.css").read_bytes()


class PageFacts(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.h1, self.inputs, self.labels, self.stylesheets, self.scripts = [], 0, [], set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href", "").startswith("/"):
            self.links.append(attrs["href"])
        elif tag == "h1":
            self.h1 += 1
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.inputs.append(attrs)
        elif tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs["href"])
        elif tag == "script" and attrs.get("type") != "application/ld+json":  # JSON-LD is data, never run
            self.scripts.append(attrs.get("src"))


def check_page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    if response.mimetype != "text/html":  # downloads (PDF, JSON, ICS...) are not pages
        return PageFacts()
    html = response.get_data()
    facts = PageFacts()
    facts.feed(html.decode())
    weight = len(gzip.compress(html, 9)) + len(gzip.compress(CSS, 9))
    assert weight <= BUDGET, f"{path}: {weight} bytes gzipped HTML+CSS"
    assert re.search(rb'<html lang="(it|en)"', html), path
    assert facts.h1 == 1, f"{path}: {facts.h1} h1"
    for attrs in facts.inputs:
        assert attrs.get("id") in facts.labels or attrs.get("aria-label") or attrs.get("aria-labelledby"), (
            f"{path}: unlabelled input {attrs}"
        )
    assert all(src and src.startswith("/static/") for src in facts.scripts), f"{path}: inline script"
    return facts


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def test_public_pages_reachable_from_home(client, demo):
    facts = check_page(client, "/")
    seen = {"/"}
    for link in facts.links:
        path = link.split("#")[0]
        if path in seen or path.endswith((".pdf", ".ics", ".atom", ".csv")) or path.startswith("/static/"):
            continue
        seen.add(path)
        check_page(client, path)
    assert len(seen) >= 6


@pytest.mark.parametrize("who", ["maria@binari.example", "visconti@staff.binari.example"])
def test_member_and_staff_pages_reachable_from_account(client, demo, auth, who):
    auth.login(who)
    seen = set()
    for start in ("/account", "/staff") if "staff" in who else ("/account",):
        facts = check_page(client, start)
        seen.add(start)
        for link in facts.links:
            path = link.split("#")[0]
            if path in seen or path.endswith((".pdf", ".ics", ".atom", ".csv")) or path.startswith("/static/"):
                continue
            seen.add(path)
            check_page(client, path)


def test_server_error_page_is_friendly(tmp_path):
    from conftest import test_settings

    from portal import create_app

    app = create_app(test_settings(tmp_path / "e.sqlite3", PROPAGATE_EXCEPTIONS=False, TESTING=False))

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Qualcosa è andato storto" in response.get_data(as_text=True)


def test_site_files_robots_sitemap_favicon(app, client, demo):
    """robots.txt points at the sitemap; the sitemap lists public pages from BASE_URL, never the request's Host."""
    from xml.etree import ElementTree

    app.config["BASE_URL"] = "https://binari.example.org"
    robots = client.get("/robots.txt", headers={"Host": "evil.example"})
    assert robots.status_code == 200 and robots.mimetype == "text/plain"
    assert "Disallow: /staff/" in robots.text and "Sitemap: https://binari.example.org/sitemap.xml" in robots.text
    response = client.get("/sitemap.xml", headers={"Host": "evil.example"})
    assert response.status_code == 200 and response.mimetype == "application/xml"
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in ElementTree.fromstring(response.data).findall("s:url/s:loc", ns)]
    assert locs and all(loc.startswith("https://binari.example.org/") for loc in locs)
    assert "https://binari.example.org/sites/faenza" in locs and "https://binari.example.org/volunteer" in locs
    assert any(re.search(r"/events/\d+-[a-z0-9-]+$", loc) for loc in locs)  # events at their canonical address
    assert not any("/staff" in loc or "/account" in loc for loc in locs)
    for loc in locs[:40]:  # every listed page answers
        assert client.get(loc.removeprefix("https://binari.example.org")).status_code == 200, loc
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.data[:4] == b"\x00\x00\x01\x00"  # an ICO file
