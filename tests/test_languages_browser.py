"""Arabic on a 360 px phone, with JavaScript on and off: the switch in the header works without
scripts, the page turns right-to-left, and forms, tables and the month grid keep inside the screen.
Screenshots go to BINARI_SCREENSHOTS (default: the test's temporary folder) to be looked at."""

import os
import re
from pathlib import Path

import pytest
from conftest import htmx_settled
from playwright.sync_api import expect


def shots_dir(tmp_path):
    folder = Path(os.environ.get("BINARI_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.xdist_group("browser")
def test_arabic_is_right_to_left_on_a_phone(live_server, seed, phone_page, tmp_path):
    page, url = phone_page, live_server.url
    folder = shots_dir(tmp_path)
    mode = "js" if page.js_enabled else "nojs"
    page.goto(url + "/sites/faenza")
    htmx_settled(page)
    # The header is one row; its globe opens the switch at the very top, every language button on the first screen.
    assert page.locator("header.top").bounding_box()["height"] <= 60
    page.locator(".langs summary").click()
    for name in ("Italiano", "English", "العربية", "Español", "中文"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box["y"] + box["height"] <= 320 and box["height"] >= 24 and box["width"] >= 24
    page.get_by_role("button", name="العربية", exact=True).click()
    # expect() retries across the navigation; a bare wait_for_function can land between documents.
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert page.url.endswith("/sites/faenza")
    assert page.evaluate("document.documentElement.lang") == "ar"
    page.get_by_role("heading", name=re.compile("مواعيد العمل")).wait_for()
    # Right to left: the brand starts at the right edge, the hours table's first column is on the right.
    brand = page.locator(".top .brand").bounding_box()
    assert brand["x"] + brand["width"] > 300, brand
    cells = page.locator("table.hours tr").first.locator("th, td").all()
    assert cells[0].bounding_box()["x"] > cells[-1].bounding_box()["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(folder / f"rtl-site-{mode}.png"), full_page=True)

    # The month grid: Monday's column on the right, arrows pointing the reading way, nothing overflowing.
    page.goto(url + "/events/month/2026-12")
    htmx_settled(page)
    headers = page.locator("table.month thead th").all()
    assert headers[0].bounding_box()["x"] > headers[-1].bounding_box()["x"]
    arrow = page.locator(".monthnav .dir").first
    assert "matrix(-1" in arrow.evaluate("e => getComputedStyle(e).transform")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(folder / f"rtl-month-{mode}.png"), full_page=True)

    # A form: labels and fields start on the right, the error summary reads in Arabic.
    page.goto(url + "/register")
    htmx_settled(page)
    page.get_by_role("button", name=re.compile("أنشئ حسابي")).click()
    page.get_by_text("اكتب اسمك.").first.wait_for()
    field = page.locator("#name").bounding_box()
    label = page.locator("label[for=name]").bounding_box()
    assert label["x"] + label["width"] > 300 and field["x"] + field["width"] > 300
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(folder / f"rtl-register-{mode}.png"), full_page=True)

    # The choice is remembered (a cookie): a new visit is still in Arabic, and going back to Italian works.
    page.goto(url + "/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.locator("header.top").bounding_box()["height"] <= 60  # one row in Arabic too
    page.locator(".langs summary").click()
    page.get_by_role("button", name="Italiano", exact=True).click()
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert page.evaluate("document.documentElement.lang") == "it"
