"""A centre's staff translate its texts on a 360 px phone, with JavaScript on and off, and an
Arabic reader then sees them right to left. Screenshots go to BINARI_SCREENSHOTS (default: the
test's temporary folder) to be looked at."""

import os
from pathlib import Path

import pytest
from conftest import htmx_settled

from portal.i18n import COOKIE


@pytest.mark.xdist_group("browser")
def test_staff_translate_the_centre_on_a_phone(live_server, seed, phone_page, tmp_path):
    from portal.models import Service, Site

    gym = Service.create(site=Site.get(Site.slug == "faenza"), name="Ginnastica", description="Corsi per tutte le età.")
    page, url = phone_page, live_server.url
    folder = Path(os.environ.get("BINARI_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    mode = "js" if page.js_enabled else "nojs"
    page.goto(url + "/login")
    page.fill("#identifier", "faenza@staff.binari.example")
    page.fill("#password", "binari2026")
    page.locator("main form button.primary").first.click()
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(url + "/sites/faenza")
    page.get_by_role("link", name="Il centro in altre lingue").click()
    page.get_by_role("link", name="العربية").click()
    page.get_by_role("heading", name="Traduzione in: العربية").wait_for()
    htmx_settled(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("Presentazione del centro").fill("مركز الحي في شارع فاينزا.")
    page.locator(f"#s{gym.id}_name").fill("صالة رياضية")
    page.screenshot(path=str(folder / f"centre-texts-form-{mode}.png"), full_page=True)
    page.get_by_role("button", name="Salva la traduzione").click()
    page.get_by_text("Traduzione salvata.").wait_for()
    page.screenshot(path=str(folder / f"centre-texts-saved-{mode}.png"), full_page=True)

    page.context.clear_cookies()
    page.context.add_cookies([{"name": COOKIE, "value": "ar", "url": url}])
    page.goto(url + "/sites/faenza")
    page.get_by_text("مركز الحي في شارع فاينزا.").wait_for()
    page.get_by_role("heading", name="صالة رياضية").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(folder / f"centre-texts-arabic-{mode}.png"), full_page=True)
