"""Every CSV the portal offers is in one Excel-friendly dialect (portal.csvout): `;` between cells,
CRLF line ends, UTF-8 with a byte-order mark. The test walks every `.csv` route of the app, so a
new one must be added here (and written through csvout) to pass."""

import csv
import io
from datetime import time, timedelta

from portal import csvout
from portal.clock import local_date, to_utc, today_local


def seed_csv_data(seed):
    """An event registration and a volunteer sign-up whose names hold a `;`, quotes and accents."""
    from portal.events.models import Event, Registration
    from portal.volunteer.models import Opportunity, Shift, Signup

    site = seed["sites"]["faenza"]
    start = to_utc(today_local() + timedelta(days=3), time(10))
    event = Event.create(
        site=site, title="Cucina", starts_at=start, ends_at=start + timedelta(hours=2), status="published", capacity=9
    )
    Registration.create(event=event, name='Rossi; "Mària"', email="m@example.org", status="confirmed")
    opp = Opportunity.create(site=site, title="Mensa; sera", activity="food", description="d")
    shift = Shift.create(opportunity=opp, starts_at=start, ends_at=start + timedelta(hours=1), capacity=5)
    Signup.create(shift=shift, name='Rossi; "Mària"', email="m@example.org", phone="")
    return {
        "event_id": event.id,
        "shift_id": shift.id,
        "slug": site.slug,
        "day": local_date(start).isoformat(),
    }


def test_every_csv_route_writes_the_excel_dialect(app, client, auth, seed):
    values = seed_csv_data(seed)
    auth.login("admin@binari.example")
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.endswith(".csv") and "GET" in rule.methods]
    assert len(rules) >= 4  # reports, event registrations, a shift's roster, a centre's day (and their old addresses)
    for rule in rules:
        missing = rule.arguments - values.keys()
        assert not missing, f"{rule.rule}: add sample values for {missing} to this test"
        path = rule.build({name: values[name] for name in rule.arguments})[1]
        if rule.endpoint == "reports.csv_export":
            path += "?site=all&period=month"
        response = client.get(path, follow_redirects=True)  # old addresses answer 301 to the new one
        assert response.status_code == 200 and response.mimetype == "text/csv", path
        assert response.mimetype_params.get("charset") == "utf-8", path
        assert (
            response.headers["Content-Disposition"].startswith("attachment; filename=")
            and ".csv" in (response.headers["Content-Disposition"])
        ), path
        raw = response.get_data()
        assert raw.startswith(b"\xef\xbb\xbf"), path  # BOM: Excel reads UTF-8
        text = raw.decode("utf-8")[1:]
        assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), path  # CRLF only
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
        assert len(rows) >= 2 and len(rows[0]) >= 5, (path, rows[:2])  # a header with its columns
        assert all(len(row) == len(rows[0]) for row in rows), path
        if rule.endpoint != "reports.csv_export":
            assert 'Rossi; "Mària"' in [cell for row in rows for cell in row], path  # quoted, not split


def test_csvout_document_dialect_and_formulas():
    text = csvout.document([["a", "b;c", "=1+2"], [1, -2, 'x"y']])
    assert text == '\ufeffa;"b;c";\'=1+2\r\n1;-2;"x""y"\r\n'
