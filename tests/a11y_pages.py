"""The pages the accessibility and HTML-validity sweeps visit: every GET page template, found by
crawling the demo data as a stranger, a resident and staff (at most two addresses per route), plus
the error pages (404, and 405 for GET on a POST-only address)."""

import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

ROLES = {
    "anon": None,
    "resident": "maria@binari.example",
    "staff": "faenza@staff.binari.example",
    "admin": "admin@binari.example",
}
PASSWORD = "binari2026"
PER_ROUTE = 2
# Routes that are not pages, or that end the tour.
SKIP_ENDPOINTS = {"static", "auth.logout", "main.healthz"}
DOWNLOADS = (".pdf", ".ics", ".atom", ".csv", ".json", ".xml", ".txt")
# Entry points a crawl does not reach by links alone (search results, filters, months, errors).
EXTRA = [
    "/library?q=calvino",
    "/events?q=zzzz-nothing",
    "/pagina-che-non-esiste",
    "/events/registration/link-non-valido",
    "/events/course/link-non-valido",
    "/volunteer/s/link-non-valido",
    "/volunteer/c/link-non-valido",
    "/password/reset/link-non-valido",
    "/register/confirm/link-non-valido",
    "/offline",  # the service worker's page without a connection (no link reaches it)
]


def extra_urls(role):
    """Pages reached only through a search box (a member's record)."""
    from portal.events.models import Event
    from portal.models import User
    from portal.volunteer.models import Shift

    # The "check your mail" pages a guest lands on after a registration or a sign-up (after a POST).
    event = Event.select().where(Event.status == "published").order_by(Event.id).first()
    urls = [f"/events/{event.id}/check", f"/volunteer/shifts/{Shift.select().order_by(Shift.id).first().id}/check"]
    if role not in ("staff", "admin"):
        return urls
    urls += [f"/staff/members/{User.get(User.email == ROLES['resident']).id}", f"/staff/events/{event.id}/delete"]
    try:  # an appointment at a help desk (linked from the desk's day through forms)
        from portal.desks.models import Appointment

        first = Appointment.select().order_by(Appointment.id).first()
        if first:
            urls += [f"/staff/desks/appointments/{first.id}", f"/staff/desks/appointments/{first.id}/move"]
    except ImportError:  # the desks area is not installed
        pass
    return urls


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href") if tag == "a" else None
        if href and href.startswith("/") and not href.startswith("//"):
            self.links.append(urldefrag(href)[0])


def post_only_paths(app):
    """One address per POST-only route without arguments (GET on it must give the 405 page)."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods and not rule.arguments and rule.endpoint not in SKIP_ENDPOINTS:
            paths.append(rule.rule)
    return sorted(paths)[:3]


def login(client, role):
    identifier = ROLES[role]
    if identifier:
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)
        )
        data = {"identifier": identifier, "password": PASSWORD, "csrf_token": token.group(1) if token else ""}
        response = client.post("/login", data=data)
        assert response.status_code in (302, 303), response.status_code


def crawl(app, role, limit=400):
    """{url: html} of the pages `role` reaches; error pages keep their status in the key's order."""
    client = app.test_client()
    login(client, role)
    adapter = app.url_map.bind("localhost")
    seeds = ["/", "/account", "/staff"] if role != "anon" else ["/"]
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint not in SKIP_ENDPOINTS:
            seeds.append(rule.rule)
    seeds += EXTRA + extra_urls(role) + post_only_paths(app)
    queue, seen, per_route, pages = list(dict.fromkeys(seeds)), set(), {}, {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        path = urlsplit(url).path
        if url in seen or path.endswith(DOWNLOADS) or path.startswith("/static/"):
            continue
        seen.add(url)
        try:
            endpoint, _ = adapter.match(path, method="GET")
        except Exception:  # 404 or 405: an error page, kept as it is
            endpoint = "error"
        if endpoint in SKIP_ENDPOINTS:
            continue
        key = endpoint if endpoint != "error" else url
        if per_route.get(key, 0) >= PER_ROUTE:
            continue
        response = client.get(url)
        if response.mimetype != "text/html" or response.status_code in (301, 302, 303):
            continue
        if response.status_code >= 400:  # each error page once (403 for every staff page is one template)
            key = response.status_code
            if per_route.get(key, 0) >= 1:
                continue
        per_route[key] = per_route.get(key, 0) + 1
        html = response.get_data(as_text=True)
        pages[url] = html
        parser = Links()
        parser.feed(html)
        queue.extend(link for link in parser.links if link not in seen)
    return pages


def slug(url):
    return re.sub(r"[^A-Za-z0-9]+", "_", url).strip("_")[:120] or "home"
