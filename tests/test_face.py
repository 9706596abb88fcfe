"""The portal's face: the one-row header (menu and language as <details>, no script needed), the logos
from the settings, a colour per centre used the same way everywhere, line icons on the home tiles and
for equipment, and staff tables with the actions in the row."""

import re

import pytest

from portal.events.models import Event, Registration
from portal.models import Site

# Pinned to the suite's default instant (a Tuesday in November), whatever BINARI_TEST_NOW says:
# the demo data's staff tables and month bars depend on the day.
pytestmark = pytest.mark.clock("2026-11-17T10:00")

STAFF = "visconti@staff.binari.example"


def header_of(html):
    return html.split('<header class="top">', 1)[1].split("</header>", 1)[0]


@pytest.fixture
def demo(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output


def test_the_header_is_brand_menu_and_language_in_one_row(client, seed, auth):
    header = header_of(client.get("/").get_data(as_text=True))
    # Three things in the row, in this order; the menu and the switch are disclosures sharing a name (one open).
    parts = ('class="brand"', '<details class="pop menu" name="top">', 'class="pop langs"')
    order = [header.index(part) for part in parts]
    assert order == sorted(order)
    menu = header.split('<details class="pop menu" name="top">', 1)[1].split("</details>", 1)[0]
    assert re.match(r'\s*<summary><svg class="i"[^>]*aria-hidden="true"', menu) and "Menu</summary>" in menu
    assert '<nav aria-label="Menu principale">' in menu and ">Accedi</a>" in menu and ">Eventi</a>" in menu
    # Staff have more entries: still inside the one disclosure, no sideways scroller.
    auth.login(STAFF)
    header = header_of(client.get("/").get_data(as_text=True))
    menu = header.split('<details class="pop menu" name="top">', 1)[1].split("</details>", 1)[0]
    for label in ("Eventi", "Centri", "Personale", "Il mio account"):
        assert f">{label}</a>" in menu
    assert "overflow-x" not in header


def test_logos_come_from_the_settings_with_alt_text(app, client, seed):
    html = client.get("/").get_data(as_text=True)
    # The header mark is decoration (the name is written beside it); the footer logos say who they are.
    assert re.search(r'class="brand" href="/"><img src="/static/brand/binari-mark.svg\?v=\w+" alt="" width="28"', html)
    logo = r'<p class="logos"><img src="/static/brand/binari-mark.svg\?v=\w+" alt="Binari – Kaleidoscopi'
    assert re.search(logo, html)
    app.config["FOOTER_LOGOS"] = ["brand/binari-mark.svg|Comune di Milano", "brand/missing.png|Nessuno"]
    app.config["HEADER_LOGO"] = ""
    html = client.get("/").get_data(as_text=True)
    assert 'alt="Comune di Milano"' in html and "missing.png" not in html and "Nessuno" not in html
    assert '<a class="brand" href="/"> Binari</a>' in html


def test_each_centre_has_one_colour_everywhere(client, demo):
    sites = list(Site.ordered())
    classes = {site.slug: site.colour_class for site in sites}
    assert len(set(classes.values())) == len(sites) and all(re.fullmatch(r"c[0-5]", c) for c in classes.values())
    home = client.get("/").get_data(as_text=True)
    agenda = client.get("/events").get_data(as_text=True)
    for site in sites:
        assert f'<article class="card site {site.colour_class}">' in home
        assert f'<span class="tag {site.colour_class}">{site.short_name}</span>' in agenda
        page = client.get(f"/sites/{site.slug}").get_data(as_text=True)
        assert f'<h1 class="site-head {site.colour_class}"' in page
    month = client.get("/events/month/2026-12").get_data(as_text=True)
    bars = re.findall(r'<span\s+class="bars" aria-hidden="true">(.*?)</span>', month)
    assert bars and all(re.fullmatch(r'(<i class="c[0-5]"></i>){1,3}', b) for b in bars)
    assert "I colori dei centri" in month  # the legend
    css = client.get("/static/style.css").get_data(as_text=True)
    for n in range(6):
        assert f".c{n}{{--c:#" in css


def test_home_tiles_have_small_hidden_icons(client, seed):
    html = client.get("/").get_data(as_text=True)
    tiles = html.split('<ul class="tiles">', 1)[1].split("</ul>", 1)[0]
    links = tiles.count("<li><a ")
    icon = '<svg class="i" width="24" height="24" viewBox="0 0 24 24" aria-hidden="true">'
    assert links >= 5 and tiles.count(icon) == links


def test_staff_registrations_table_cancels_in_the_row(client, demo, auth):
    event = (
        Event.select()
        .join(Site)
        .where(Site.slug == "visconti")
        .join_from(Event, Registration)
        .where(Registration.status == "confirmed")
        .first()
    )
    auth.login(STAFF)
    html = client.get(f"/staff/events/{event.id}/registrations").get_data(as_text=True)
    assert '<main id="main" class="wide">' in html and '<table class="regs stack">' in html
    buttons = re.findall(r'<button class="danger" form="cx(\d+)" aria-label="Annulla iscrizione di ([^"]+)">', html)
    assert buttons
    for reg_id, _name in buttons:  # each button names an existing little form that posts to that registration
        action = f"/staff/events/registrations/{reg_id}/cancel"
        assert f'<form method="post" id="cx{reg_id}" hidden action="{action}">' in html
    reg_id = int(buttons[0][0])
    assert client.post(f"/staff/events/registrations/{reg_id}/cancel").status_code == 303
    assert Registration.get_by_id(reg_id).status == "cancelled"


def test_staff_loan_requests_approve_in_the_row(client, demo, auth):
    from portal.bookings.models import Loan

    auth.login(STAFF)
    html = client.get("/staff/bookings/requests?site=visconti").get_data(as_text=True)
    assert '<main id="main" class="wide">' in html and '<table class="stack">' in html
    inline = r'action="/staff/bookings/loans/(\d+)/decide"><input type="hidden" name="csrf_token"'
    loan_id = int(re.search(inline, html).group(1))
    assert client.post(f"/staff/bookings/loans/{loan_id}/decide", data={"decision": "approve"}).status_code == 303
    assert Loan.get_by_id(loan_id).status == "approved"


def test_staff_desk_tables_act_in_the_row(client, demo, auth):
    from portal.bookings import bulk, services
    from portal.bookings.models import Resource
    from portal.clock import today_local
    from portal.models import User

    site = Site.get(Site.slug == "visconti")
    desks = Resource.select().where((Resource.site == site) & (Resource.kind == "desk"))
    desk = desks.order_by(Resource.id.desc()).first()
    maria = User.get(User.email == "maria@binari.example")
    bulk.insert_booking(maria.id, desk, today_local(), "pm", services.opening_spans(site.id))
    auth.login(STAFF)
    html = client.get("/staff/bookings?site=visconti").get_data(as_text=True)
    assert '<main id="main" class="wide">' in html
    today = html.split("<h3>Co-working</h3>", 1)[1].split("<h3>", 1)[0]
    assert '<table class="stack">' in today
    assert 'class="act"><form method="post" action="/staff/bookings/booking/' in today
    assert re.search(r'<button class="primary" aria-label="È arrivata/o: [^"]+">È arrivata/o', today)
    assert re.search(r'<button class="danger" aria-label="Annulla: [^"]+">Annulla', today)
