"""Accessibility in a real browser (Debian's Chromium) on the demo data.

- The sweep: axe-core on every page template (see `a11y_pages.crawl`), logged out, as a resident
  and as staff, JavaScript on and off, each at 360x640 and at 1280x800 (plus colour contrast in dark
  mode and in print): zero violations, and every
  "needs review" item either triaged below (with the reason) or failing the test. On the same visit:
  every link and control is at least 24x24 px (WCAG 2.5.8; inline links in running text excepted),
  and the page reflows at 320 CSS px (1280 px at 400 % zoom) without sideways scrolling, with the
  larger-text switch on too.
- Errors stay in view: a failed submit on a long form lands on the focused error summary.
- A keyboard-only walk: register for an event, book a desk, sign up for a shift (Tab, Enter, Space).

"JavaScript off" blocks the page's own scripts (htmx, a11y.js) instead of switching JavaScript
off in the browser, because axe itself is JavaScript; the page has no <noscript>, so the DOM is the
one a browser without JavaScript shows.
"""

import re
import time

import pytest
from a11y_pages import PASSWORD, ROLES, crawl
from conftest import ROOT, htmx_settled  # noqa: F401 (htmx_settled: keyboard test)

AXE = (ROOT / "node_modules" / "axe-core" / "axe.min.js").read_text()

# "Needs review" items we looked at and accept, by rule and by axe's reason (messageKey), each with why.
INCOMPLETE_OK = {
    # ⇶ in the brand is aria-hidden decoration: a glyph, not text, so it has no contrast requirement.
    ("color-contrast", "nonBmp"): "decorative arrow glyph (aria-hidden)",
    # Text over a border/outline of a neighbouring element (the focused error summary, badges in tables).
    ("color-contrast", "bgOverlap"): "axe cannot tell the background under an overlapping box; checked by eye",
    # The month grid's day links and today's outline: a pseudo-element or outline, colours are from the palette.
    ("color-contrast", "pseudoContent"): "background painted by a pseudo-element; palette colours pass AA",
    ("color-contrast", "equalRatio"): "same colour as the background: hidden text of the visually-hidden class",
    ("color-contrast", "shortTextContent"): "one or two characters (·, ×): punctuation, not content",
    # Part of the element is scrolled out of its box (the phone header's menu, wide staff tables scroll sideways).
    ("color-contrast", "elmPartiallyObscured"): "inside a box that scrolls sideways; the visible part is checked",
    # Axis labels inside an SVG chart (role=img): dark grey on white, and the numbers are also in a table.
    ("color-contrast", "imgNode"): "text of an SVG chart; the same numbers are in the table below it",
    # SVG charts carry role=img with a <title>, and the same numbers are in a table next to them.
    ("svg-img-alt", None): "charts have a <title>, and a data table follows",
    # Data tables whose first column is a label are marked with th scope=row; axe only guesses here.
    ("th-has-data-cells", None): "empty header cells in the month grid of a short month",
}
TAP_CHECK = r"""() => {
  const out = [];
  const small = (r) => r.width < 23.5 || r.height < 23.5;
  for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || r.right < 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || el.closest('.visually-hidden')) continue;
    if (el.classList.contains('skip') && r.right < 0) continue;
    if (!small(r)) continue;
    // WCAG 2.5.8 "inline" exception: a link inside a sentence, its size set by the line of text.
    if (el.tagName === 'A' && style.display === 'inline') {
      const block = el.closest('p, li, td, dd, figcaption, caption');
      const own = (el.textContent || '').trim().length;
      const around = block ? (block.textContent || '').replace(/\s+/g, ' ').trim().length : 0;
      if (around > own + 20) continue;
    }
    // Checkbox and radio: the label next to it is part of the target (clicking it ticks the box).
    if ((el.type === 'checkbox' || el.type === 'radio') && el.labels && el.labels.length) {
      const lr = el.labels[0].getBoundingClientRect();
      if (lr.height >= 23.5) continue;
    }
    out.push(`${el.tagName.toLowerCase()} "${(el.textContent || el.name || '').trim().slice(0, 40)}" ` +
             `${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  return out;
}"""


LARGER_TEXT_WIDTH = """() => { const body = document.body, had = body.classList.contains('text-large');
  body.classList.add('text-large'); const wide = document.documentElement.scrollWidth;
  if (!had) body.classList.remove('text-large'); return wide; }"""


def login(page, base, role):
    identifier = ROLES[role]
    if not identifier:
        return
    page.goto(base + "/login")
    page.fill("#identifier", identifier)
    page.fill("#password", PASSWORD)
    page.locator("main form button").first.click()
    page.wait_for_url(lambda url: "/login" not in url)


def axe(page, only=None):
    if not page.evaluate("() => !!window.axe"):
        page.evaluate(AXE)
    return page.evaluate(
        """async (only) => {
          const options = {resultTypes: ['violations', 'incomplete']};
          if (only) options.runOnly = only;
          const r = await axe.run(document, options);
          const brief = (items) => items.map(v => ({id: v.id, impact: v.impact,
              nodes: v.nodes.map(n => ({target: n.target.join(' '), key: ((n.any[0] || n.all[0] || n.none[0] || {})
                  .data || {}).messageKey || null, html: n.html.slice(0, 120)}))}));
          return {violations: brief(r.violations), incomplete: brief(r.incomplete)};
        }""",
        only,
    )


def untriaged(incomplete):
    left = []
    for item in incomplete:
        for node in item["nodes"]:
            if (item["id"], node["key"]) not in INCOMPLETE_OK and (item["id"], None) not in INCOMPLETE_OK:
                left.append(f"{item['id']} [{node['key']}] {node['target']}: {node['html']}")
    return left


_PLANS: dict = {}


def sweep_urls(app):
    """{role: [url]}: each route once, under the first role (anon, resident, staff) that reaches it.

    Crawling costs ~12 s; the demo data are the same at the frozen clock, so each test worker crawls
    once and the sweep's parts reuse the plan (keyed by what the data hold, in case they ever differ)."""
    from portal.clock import utcnow
    from portal.models import User

    key = (utcnow(), User.select().count(), len(list(app.url_map.iter_rules())))
    if key in _PLANS:
        return _PLANS[key]
    adapter = app.url_map.bind("localhost")
    done, plan = set(), {}
    for role in ("anon", "resident", "admin"):
        plan[role] = []
        for url in crawl(app, role):
            try:
                endpoint = adapter.match(url.split("?")[0], method="GET")[0]
            except Exception:
                endpoint = url
            if endpoint not in done or url == "/":
                done.add(endpoint)
                plan[role].append(url)
    _PLANS[key] = plan
    return plan


@pytest.fixture
def demo_server(app, runner, live_server):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return live_server


def new_page(browser, js, width=360, height=640):
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="it-IT", timezone_id="Europe/Rome", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(20000)
    page.js_enabled = js
    if not js:
        page.route(re.compile(r".*/static/.*\.js(\?.*)?$"), lambda route: route.abort())
    return page


def violations(where, result):
    return [f"{where}: {v['id']} {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]


@pytest.mark.parametrize("part", ["anon", "resident", "admin-1", "admin-2"])
def test_axe_tap_targets_and_reflow_on_every_page(app, demo_server, browser, part):
    """Zero axe violations, triaged "needs review", 24 px targets, reflow at 320 px, at 360x640 and
    1280x800, JS on and off; contrast in dark mode and in print (JS off: the colours do not depend on
    scripts). Staff pages are many: two halves, so that two test workers share them."""
    role, _, half = part.partition("-")
    urls = sweep_urls(app)[role]
    assert len(urls) >= 8
    if half:
        urls = urls[int(half) - 1 :: 2]
    problems, started = [], time.monotonic()
    for js in (True, False):
        page = new_page(browser, js)
        login(page, demo_server.url, role)
        for url in urls:
            where = f"{role} js={'on' if js else 'off'} {url}"
            page.set_viewport_size({"width": 360, "height": 640})
            page.goto(demo_server.url + url)
            if js:  # (the embeddable agenda has no script at all)
                page.wait_for_function("() => !window.htmx || !document.querySelector('.htmx-request, .htmx-settling')")
            result = axe(page)
            problems += violations(f"{where} @360", result)
            problems += [f"{where} @360 needs review: {item}" for item in untriaged(result["incomplete"])]
            problems += [f"{where} @360 small target: {t}" for t in page.evaluate(TAP_CHECK)]
            page.set_viewport_size({"width": 320, "height": 640})
            wide = page.evaluate("() => document.documentElement.scrollWidth")
            if wide > 320:
                problems.append(f"{where} @320: page is {wide} px wide (horizontal scrolling)")
            if not js:  # and with the larger-text switch on (the server only adds this class)
                wide = page.evaluate(LARGER_TEXT_WIDTH)
                if wide > 320:
                    problems.append(f"{where} @320 larger text: page is {wide} px wide (horizontal scrolling)")
                for media in ({"color_scheme": "dark"}, {"media": "print"}):
                    page.emulate_media(**media)
                    problems += violations(f"{where} {media}", axe(page, only=["color-contrast"]))
                    page.emulate_media(color_scheme="light", media="screen")
            page.set_viewport_size({"width": 1280, "height": 800})
            problems += violations(f"{where} @1280", axe(page))
        page.context.close()
    print(f"a11y sweep {part}: {len(urls)} pages x 2 (JS on/off) in {time.monotonic() - started:.0f} s")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


# --- larger text, dark mode ----------------------------------------------------------------------
MAIN_PAGES = ["/", "/events", "/events/month/2026-11", "/library?q=calvino", "/coworking", "/equipment", "/volunteer",
              "/sportelli", "/sites/faenza", "/accessibilita"]  # fmt: skip


def test_larger_text_reflows_and_dark_mode_keeps_contrast_on_the_main_pages(app, demo_server, browser):
    """The larger-text switch (a plain form POST, scripts blocked) survives a new page; with it the main
    pages reflow at 320 CSS px (1280 px at 400 %) without sideways scrolling, and in dark mode axe finds
    nothing at 360 and 1280 px (the sweep checks dark contrast on every page at 320 px)."""
    from portal.events.models import Event
    from portal.volunteer.models import Shift

    event = Event.select().where(Event.status == "published").order_by(Event.id).first()
    urls = [*MAIN_PAGES, f"/events/{event.id}", f"/volunteer/shifts/{Shift.select().order_by(Shift.id).first().id}"]
    page = new_page(browser, js=False, width=320)
    base, problems = demo_server.url, []
    page.goto(base + "/events")
    page.locator("footer button[name=size][value=large]").click()
    page.wait_for_url(base + "/events")
    assert page.evaluate("() => document.body.classList.contains('text-large')")
    for url in urls:
        page.goto(base + url)
        assert page.evaluate("() => document.body.classList.contains('text-large')"), url
        wide = page.evaluate("() => document.documentElement.scrollWidth")
        if wide > 320:
            problems.append(f"larger text @320 {url}: page is {wide} px wide")
    page.locator("footer button[name=size][value=normal]").click()
    page.emulate_media(color_scheme="dark")
    for url in urls[:6]:
        page.goto(base + url)
        for width, height in ((360, 640), (1280, 800)):
            page.set_viewport_size({"width": width, "height": height})
            problems += violations(f"dark @{width} {url}", axe(page))
    page.context.close()
    assert not problems, "\n".join(problems)


# --- errors stay in view ------------------------------------------------------------------------
def keyboard_login(page, base, identifier):
    page.goto(base + "/login")
    tab_to(page, "#identifier")
    page.keyboard.type(identifier)
    tab_to(page, "#password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def test_failed_submit_lands_on_the_focused_error_summary(app, demo_server, phone_page):
    """The kit request form sits ~1,700 px down a phone page: after a failed submit the error summary
    is focused and on screen (JavaScript on: htmx swap; off: a new page)."""
    from portal.bookings.models import Kit

    page, base = phone_page, demo_server.url
    keyboard_login(page, base, ROLES["resident"])
    kit = Kit.select().order_by(Kit.id).first()
    page.goto(f"{base}/equipment/kits/{kit.id}")
    assert page.evaluate("() => document.documentElement.scrollHeight") > 1500
    page.locator("main form button.primary").last.click()
    page.locator("#errors").wait_for()
    in_view = """() => { const e = document.activeElement; if (!e || e.id !== 'errors') return false;
        const r = e.getBoundingClientRect(); return r.top >= -1 && r.bottom <= innerHeight; }"""
    try:
        page.wait_for_function(in_view, timeout=5000)
    except Exception:
        where = page.evaluate(
            "() => [document.activeElement.id, document.getElementById('errors').getBoundingClientRect().top]"
        )
        raise AssertionError(
            f"error summary not focused and on screen: focus on {where[0]!r}, top at {where[1]} px"
        ) from None
    assert "Controlla i campi" in page.locator("#errors").inner_text()


# --- keyboard only --------------------------------------------------------------------------------
FOCUS = """(selector) => {
  const e = document.activeElement, s = getComputedStyle(e);
  const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
  const name = e.id || e.name || e.textContent.trim().slice(0, 30);
  return {match: e.matches(selector), ring, what: e.tagName + ' ' + name};
}"""


def tab_to(page, selector, limit=150):
    """Press Tab until `selector` has the focus; every stop on the way must show a focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(FOCUS, selector)
        if stop["what"].startswith("BODY"):
            continue
        assert stop["ring"], f"no visible focus on {stop['what']}"
        if stop["match"]:
            return
    raise AssertionError(f"{selector} not reached with {limit} Tab presses")


def test_keyboard_only_event_desk_and_shift(app, demo_server, phone_page):
    """Tab, Enter and Space only: register for an event as a guest, then as a resident book a desk
    and sign up for a volunteer shift, with a visible focus ring at every stop."""
    from portal.clock import utcnow
    from portal.events.models import Event
    from portal.volunteer.models import Shift

    page, base = phone_page, demo_server.url
    event = next(
        e
        for e in Event.select().where(Event.starts_at > utcnow()).order_by(Event.starts_at)
        if e.registration_open and not e.is_full and e.capacity
    )
    page.goto(f"{base}/events/{event.id}")
    tab_to(page, "#name")
    page.keyboard.type("Lina Keyboard")
    tab_to(page, "#email")
    page.keyboard.type("lina@example.org")
    tab_to(page, "main form button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url("**/events/*/check**")  # a guest's place waits for the mailed link
    assert "Controlla la posta" in page.locator("main").inner_text()

    keyboard_login(page, base, ROLES["resident"])
    page.goto(f"{base}/coworking")
    if page.js_enabled:
        htmx_settled(page)
    tab_to(page, "#slots button.primary")
    page.keyboard.press("Space")
    page.locator(".flash.success").wait_for()
    assert "Prenotato" in page.locator(".flash.success").inner_text()
    if page.js_enabled:  # the htmx swap is read out through the live region
        page.wait_for_function("() => /Prenotato/.test((document.getElementById('announce') || {}).textContent)")

    shift = next(
        s
        for s in Shift.select()
        .where(Shift.starts_at > utcnow(), Shift.cancelled_at.is_null())
        .order_by(Shift.starts_at)
        if s.places_left >= 1
    )
    page.goto(f"{base}/volunteer/shifts/{shift.id}")
    tab_to(page, "#signup button.primary, form[action$='#signup'] button.primary")
    page.keyboard.press("Space")
    signed_up = "() => /Sei iscritt|Iscrizione|lista/.test((document.querySelector('main') || {}).innerText)"
    page.wait_for_function(signed_up)
    assert Shift.get_by_id(shift.id).taken == shift.taken + 1
