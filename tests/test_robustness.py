"""Bad input never gets a 500: every POST and GET endpoint, fed junk as a stranger and
as an admin (who may reach everything), answers with a 2xx/3xx/4xx."""
import re

import pytest

JUNK_FORMS = [
    {},
    {"name": "<script>alert(1)</script>", "email": "x" * 300, "phone": "☎☎☎", "q": "'\"%_\\",
     "day": "2026-02-30", "date": "31/02/2026", "start": "25:99", "capacity": "-5", "party": "999",
     "barcode": "' OR 1=1 --", "member_code": "\x00\x01", "isbn": "978-0", "slot": "night",
     "starts_at": "yesterday", "ends_at": "", "count": "1e9", "until": "0000-00-00", "lang": "xx",
     "site": "atlantide", "id": "NaN", "action": "explode", "codes": "\n" * 50},
]
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
        if rule.endpoint in ("static", "auth.logout", "account.delete", "staff.member_reset_password") \
                or "<path:" in rule.rule:
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
