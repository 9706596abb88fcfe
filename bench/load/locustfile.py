"""The load benchmark's users (locust, headless; bench/load/run.py picks one class a run).

Each class requests one page as fast as it can (no think time); ``Writer`` is the write mix:
a logged-in member registers for events and books co-working desks through the real forms,
CSRF tokens included. BENCH_DATA names the JSON file run.py writes (event ids, accounts)."""

import itertools
import json
import os
import random
import re

from locust import FastHttpUser, constant, task

DATA = json.loads(open(os.environ["BENCH_DATA"]).read()) if os.environ.get("BENCH_DATA") else {}
UPCOMING = DATA.get("upcoming", [1])
FLYERS = UPCOMING[:20]  # a few flyers, so the PDF cache is exercised as a reader would
WORDS = "storia mare casa luna perche viaggio calv rodari famiglia inverno".split()
ACCOUNTS = itertools.count()
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SLOT_FORM = re.compile(r'<form method="post" action="([^"]*/coworking/book[^"]*)"(.*?)</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)"\s*value="([^"]*)"')


class Page(FastHttpUser):
    """One page, asked again and again: `path`, or what `address` returns, under the name `label`.

    The one task is here; a class changes the address, never adds a task of its own: locust gives a
    class its bases' tasks too, so a second @task would make half its requests this base's path
    (until 3 December 2026 the event page, library search and flyer runs were half home page)."""

    abstract = True
    wait_time = constant(0)
    path = "/"
    label = ""

    def address(self):
        return self.path

    @task
    def page(self):
        self.client.get(self.address(), name=self.label or self.path)


class Hello(Page):
    pass


class Home(Page):
    path = "/"


class Agenda(Page):
    path = "/events"


class AgendaFiltered(Page):
    path = "/events?site=visconti&category=cultura&price=free"


class EventPage(Page):
    label = "/events/[id]"

    def address(self):
        return f"/events/{random.choice(UPCOMING)}"


class Feed(Page):
    path = "/events.ics"


class LibrarySearch(Page):
    label = "/library?q="

    def address(self):
        return f"/library?q={random.choice(WORDS)}"


class Coworking(Page):
    path = "/coworking?site=visconti"


class Volunteering(Page):
    path = "/volunteer"


class Flyer(Page):
    label = "/events/[id]/flyer.pdf"

    def address(self):
        return f"/events/{random.choice(FLYERS)}/flyer.pdf"


class Writer(FastHttpUser):
    """A member (one bench account each) who registers for events and books desks."""

    wait_time = constant(0)

    def on_start(self):
        n = next(ACCOUNTS)
        page = self.client.get("/login", name="/login")
        token = CSRF.search(page.text).group(1)
        self.client.post(
            "/login",
            data={"csrf_token": token, "identifier": f"p{n}@bench.example", "password": "benchpass1"},
            name="POST /login",
        )

    @task
    def register(self):
        event_id = random.choice(UPCOMING)
        page = self.client.get(f"/events/{event_id}", name="/events/[id]")
        token = CSRF.search(page.text or "")
        if not token:
            return
        with self.client.post(
            f"/events/{event_id}/register",
            data={"csrf_token": token.group(1)},
            name="POST /events/[id]/register",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # Full (waiting list: still 303) or already registered (409): answers, not errors.
            if response.status_code in (303, 409, 422):
                response.success()

    @task
    def book(self):
        page = self.client.get("/coworking?site=visconti", name="/coworking")
        forms = SLOT_FORM.findall(page.text or "")
        if not forms:
            return
        action, form = random.choice(forms)
        with self.client.post(
            action.replace("&amp;", "&"),
            data=dict(HIDDEN.findall(form)),
            name="POST /coworking/book",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            # A refusal (slot taken, already booked: 409/422) is an answer, not an error.
            if response.status_code in (303, 409, 422):
                response.success()
