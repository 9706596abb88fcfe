"""Bad input never gets a 500: every POST and GET endpoint, fed junk as a stranger and
as an admin (who may reach everything), answers with a 2xx/3xx/4xx."""

import re
from html.parser import HTMLParser

import pytest

JUNK_FORMS = [
    {},
    {
        "name": "<script>alert(1)</script>",
        "email": "x" * 300,
        "phone": "☎☎☎",
        "q": "'\"%_\\",
        "day": "2026-02-30",
        "date": "31/02/2026",
        "start": "25:99",
        "capacity": "-5",
        "party": "999",
        "barcode": "' OR 1=1 --",
        "member_code": "\x00\x01",
        "isbn": "978-0",
        "slot": "night",
        "starts_at": "yesterday",
        "ends_at": "",
        "count": "1e9",
        "until": "0000-00-00",
        "lang": "xx",
        "site": "atlantide",
        "id": "NaN",
        "action": "explode",
        "codes": "\n" * 50,
    },
]
# PostgreSQL enforces varchar lengths that SQLite ignores: every field far too long.
LONG = "x" * 5000
JUNK_FORMS.append(
    {key: LONG for key in JUNK_FORMS[1]}
    | {
        "title": LONG,
        "description": LONG,
        "message": LONG,
        "notes": LONG,
        "reason": LONG,
        "authors": LONG,
        "password": LONG,
        "password_confirm": LONG,
        "identifier": LONG,
        "alt": LONG,
        "skills": LONG,
    }
)
PARAM_VALUES = {"int": ["1", "999999"], "default": ["1", "zz", "..%2F..%2Fetc"]}


def expand(rule):
    """URLs for a rule, with its arguments filled with plausible and implausible values."""
    urls = [rule.rule]
    for arg in rule.arguments:
        converter = rule._converters[arg].__class__.__name__.lower()
        values = PARAM_VALUES["int"] if "integer" in converter else PARAM_VALUES["default"]
        urls = [re.sub(r"<[^>]*\b" + arg + ">", value, u) for u in urls for value in values]
    return urls


@pytest.fixture
def demo_app(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.mark.parametrize("who", [None, "admin@binari.example"])
def test_no_endpoint_answers_500_to_junk(demo_app, who):
    client = demo_app.test_client()
    if who:
        assert client.post("/login", data={"identifier": who, "password": "binari2026"}).status_code == 302
    failures = []
    for rule in demo_app.url_map.iter_rules():
        # (logging out, deleting the account or resetting its own password would end the tour)
        if (
            rule.endpoint in ("static", "auth.logout", "account.delete", "staff.member_reset_password")
            or "<path:" in rule.rule
        ):
            continue
        for url in expand(rule):
            if "GET" in rule.methods:
                for query in ("", "?page=-1&q=%00&site=zz&day=2026-13-45&format=zzz"):
                    status = client.get(url + query).status_code
                    if status >= 500:
                        failures.append(f"GET {url}{query} -> {status}")
            if "POST" in rule.methods:
                for form in JUNK_FORMS:
                    status = client.post(url, data=form).status_code
                    if status >= 500:
                        failures.append(f"POST {url} {sorted(form)[:3]} -> {status}")
    assert not failures, "\n".join(failures[:40])
    if who:  # the whole tour ran logged in (nothing above logs the admin out)
        assert client.get("/account").status_code == 200


@pytest.mark.xdist_group("postgres")
def test_no_endpoint_answers_500_to_junk_on_postgres(pg_app):
    """PostgreSQL is stricter than SQLite (NUL bytes, out-of-range numbers): same junk, same rule."""
    result = pg_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    test_no_endpoint_answers_500_to_junk(pg_app, "admin@binari.example")


class FormFinder(HTMLParser):
    """The POST forms of a page: action and fields with their current values."""

    def __init__(self):
        super().__init__()
        self.forms, self._form = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": {}, "text": []}
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select") and attrs.get("name"):
            kind = attrs.get("type", "text" if tag != "select" else "select")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs or attrs["name"] not in self._form["fields"]:
                    self._form["fields"][attrs["name"]] = attrs.get("value", "y")
            elif kind not in ("submit", "file"):
                self._form["fields"][attrs["name"]] = attrs.get("value", "")
                if tag == "textarea" or kind in ("text", "email", "tel", "search", "password", "url"):
                    self._form["text"].append(attrs["name"])
        elif self._form is not None and tag == "option" and "selected" in attrs:
            pass

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


@pytest.mark.xdist_group("postgres")
def test_every_form_refuses_overlong_text_on_postgres(pg_app):
    """Each staff and member form, sent back with its text fields far too long, is refused
    with a message (or accepted), never a 500 from PostgreSQL's varchar limits."""
    result = pg_app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    client = pg_app.test_client()
    assert (
        client.post(
            "/login", data={"identifier": "coordinamento@staff.binari.example", "password": "binari2026"}
        ).status_code
        == 302
    )
    # Pages with forms: the member's and the staff's, two links deep from /staff.
    pages = ["/account", "/staff", "/staff/members/new", "/events/propose", "/volunteer/profile"]
    link = re.compile(r'href="(/(?:staff|[a-z]+/staff|volunteer/manage|events/staff)[^"#?]*)"')
    for _depth in range(2):
        for page in list(pages):
            found = link.findall(client.get(page).get_data(as_text=True))
            pages += [p for p in found if p not in pages and not p.endswith((".pdf", ".csv", ".ics"))]
    pages = pages[:150]
    failures, sent = [], 0
    for page in pages:
        response = client.get(page)
        if response.mimetype != "text/html":
            continue
        finder = FormFinder()
        finder.feed(response.get_data(as_text=True))
        for form in finder.forms:
            if not form["text"] or any(word in form["action"] for word in ("logout", "delete", "password")):
                continue
            data = dict(form["fields"])
            data.update({name: LONG for name in form["text"]})
            status = client.post(form["action"] or page, data=data).status_code
            sent += 1
            if status >= 500:
                failures.append(f"{page} -> POST {form['action']} {form['text']}: {status}")
    assert sent >= 30
    assert not failures, "\n".join(failures)
