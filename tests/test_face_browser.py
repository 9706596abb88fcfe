"""The header on a 360 px phone and a 1280 px laptop, JavaScript on and off, Italian and Arabic: one row,
the menu and the language switch open as <details>, every target at least 24 px, nothing sideways; axe
on the pages this work touched (home, month, equipment, the staff tables) with the menu open and shut.
Screenshots go to BINARI_SCREENSHOTS (default: the test's temporary folder) to be looked at."""

import os
from pathlib import Path

import pytest
from test_a11y_browser import TAP_CHECK, axe, login, new_page, untriaged

PAGES = ["/", "/events/month/2026-12", "/equipment?site=visconti", "/staff/bookings/requests?site=visconti"]


@pytest.fixture
def demo_server(app, runner, live_server):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return live_server


def problems_on(page, where):
    result = axe(page)
    found = [f"{where}: {v['id']} {[n['target'] for n in v['nodes']][:3]}" for v in result["violations"]]
    found += [f"{where} needs review: {item}" for item in untriaged(result["incomplete"])]
    found += [f"{where} small target: {t}" for t in page.evaluate(TAP_CHECK)]
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    width = page.viewport_size["width"]
    if wide > width:
        found.append(f"{where}: page is {wide} px wide at {width}")
    return found


@pytest.mark.xdist_group("browser")
@pytest.mark.parametrize("js", [True, False], ids=["js", "nojs"])
def test_header_one_row_menu_and_language_on_phone_and_laptop(app, demo_server, browser, js, tmp_path):
    folder = Path(os.environ.get("BINARI_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    mode = "js" if js else "nojs"
    page = new_page(browser, js)
    login(page, demo_server.url, "admin")  # staff: the longest menu
    problems = []
    for lang in ("it", "ar"):
        page.context.add_cookies([{"name": "lang", "value": lang, "url": demo_server.url}])
        for path in PAGES:
            page.set_viewport_size({"width": 360, "height": 640})
            page.goto(demo_server.url + path)
            page.wait_for_function("() => !window.htmx || !document.querySelector('.htmx-request, .htmx-settling')")
            header = page.locator("header.top").bounding_box()
            assert header["height"] <= 60, (lang, path, header)  # one row
            brand, menu = page.locator(".top .brand").bounding_box(), page.locator(".menu summary").bounding_box()
            switch = page.locator(".langs summary").bounding_box()
            assert max(brand["y"], menu["y"], switch["y"]) < 10 and min(menu["height"], switch["height"]) >= 24
            if lang == "ar":  # right to left: the brand on the right, the language at the far left
                assert brand["x"] > menu["x"] > switch["x"]
            else:
                assert brand["x"] < menu["x"] < switch["x"]
            problems += problems_on(page, f"{lang} {mode} 360 {path}")
            page.locator(".menu summary").click()
            links = page.locator(".top nav a")
            assert links.count() >= 4
            for i in range(links.count()):
                box = links.nth(i).bounding_box()
                assert box and box["height"] >= 24 and box["x"] >= 0 and box["x"] + box["width"] <= 360
            problems += problems_on(page, f"{lang} {mode} 360 menu open {path}")
            if js and path == "/":  # with scripts, Escape closes the panel and gives the focus back to its summary
                page.keyboard.press("Escape")
                page.wait_for_function("() => !document.querySelector('details.pop[open]')")
                assert page.evaluate("() => document.activeElement.matches('.menu summary')")
                page.locator(".menu summary").click()
            if path == "/":
                page.screenshot(path=str(folder / f"face-menu-{lang}-{mode}.png"))
            page.locator(".langs summary").click()  # opening the switch closes the menu (same name) with JS or not
            page.get_by_role("button", name="English", exact=True).wait_for()
            problems += problems_on(page, f"{lang} {mode} 360 languages open {path}")
            page.set_viewport_size({"width": 1280, "height": 800})
            page.goto(demo_server.url + path)
            assert page.locator("header.top").bounding_box()["height"] <= 60
            assert page.locator(".top nav a").first.is_visible()  # the menu stands in the row, no disclosure
            assert not page.locator(".menu summary").is_visible()
            problems += problems_on(page, f"{lang} {mode} 1280 {path}")
            if path == "/" or "staff" in path:
                name = path.strip("/").split("?")[0].replace("/", "-") or "home"
                page.screenshot(path=str(folder / f"face-1280-{lang}-{mode}-{name}.png"))
    page.context.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])
