"""Valid HTML: the Nu HTML Checker (vnu-jar from npm, Java from Debian) reports zero errors on every
page a stranger, a resident, staff and an administrator reach in the demo data, error pages included."""

import json
import shutil
import subprocess
from collections import Counter

import pytest
from a11y_pages import ROLES, crawl, slug
from conftest import ROOT

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
DOWNLOADS = (".pdf", ".ics", ".atom", ".csv", ".json", ".xml", ".txt", ".jpg")
# GET routes the sweeps do not visit, each with the reason; any other route must be reached.
NOT_SWEPT = {
    "static": "files",
    "main.healthz": "JSON for monitoring",
    "bookings.photo": "an image",
    "events.preview_card": "an image (the link-preview picture)",
    "main.favicon": "an image",
    "pwa.manifest": "the web app manifest (JSON; tests/test_mythings.py)",
    "pwa.service_worker": "the service worker (JavaScript; tests/test_mythings.py)",
    "events.guest_cancel": "only from a signed e-mail link; an invalid link gets the swept 404 page",
    "events.course_guest": "only from a signed e-mail link; an invalid link gets the swept 404 page",
    "volunteer.guest_confirm": "only from a signed e-mail link; an invalid link gets the swept 404 page",
    "volunteer.guest_signup": "only from a signed e-mail link; an invalid link gets the swept 404 page",
    "auth.confirm_signup": "only from a signed e-mail link; the invalid-link page (400) is swept",
    "desks.guest_cancel": "only from a signed e-mail link",
    "reminders.unsubscribe": "only from a signed e-mail link",
    "bookings.staff_phone": "permanent redirect to the one phone list (swept)",
    "events.staff_calls": "permanent redirect to the one phone list (swept)",
    "library.to_phone": "permanent redirect to the one phone list (swept)",
    "volunteer.calls": "permanent redirect to the one phone list (swept)",
    "desks.staff_phone": "permanent redirect to the one phone list (swept)",
}


@pytest.fixture
def app_settings():
    """CSRF on, as in production: every form then carries its hidden token field."""
    return {"WTF_CSRF_ENABLED": True}


@pytest.fixture
def demo_app(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.mark.browser  # an external tool (Java): left out of `make test-fast`, run by `make test`
def test_every_page_is_valid_html(demo_app, tmp_path):
    if not VNU.exists() or not shutil.which("java"):
        pytest.fail("vnu.jar or java is missing: run `make test` (npm ci, default-jre-headless)")
    files, reached = {}, set()
    adapter = demo_app.url_map.bind("localhost")
    for role in ROLES:
        for url, html in crawl(demo_app, role).items():
            try:
                reached.add(adapter.match(url.split("?")[0], method="GET")[0])
            except Exception:  # an error page (404, 405)
                pass
            path = tmp_path / f"{role}-{slug(url)}.html"
            path.write_text(html)
            files[str(path)] = f"{role} {url}"
    assert len(files) > 200
    pages = {
        rule.endpoint
        for rule in demo_app.url_map.iter_rules()
        if "GET" in rule.methods and ".moved_" not in rule.endpoint and not rule.rule.endswith(DOWNLOADS)
    }
    missing = sorted(pages - reached - set(NOT_SWEPT))
    assert not missing, f"pages no crawl reaches (link them, or add them to a11y_pages.EXTRA): {missing}"
    run = subprocess.run(
        ["java", "-Xss1m", "-jar", str(VNU), "--format", "json", "--stdout", "--exit-zero-always", *files],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(run.stdout)["messages"]
    errors = [m for m in messages if m.get("type") == "error" or m.get("subType") == "fatal"]
    kinds = Counter(m["message"] for m in errors)
    detail = "\n".join(
        f"{files.get(m['url'].removeprefix('file:'), m['url'])}:{m.get('lastLine')}: {m['message']}"
        for m in errors[:30]
    )
    assert not errors, f"{len(errors)} errors {dict(kinds.most_common(10))}\n{detail}"
