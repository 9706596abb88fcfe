"""The outbox and its worker: a request only writes the message; `deliver_due` sends it over real
SMTP (aiosmtpd in the test process), retries with back-off, marks one that keeps failing, and
never sends one twice."""

import socket
import threading
import time
from datetime import timedelta

import pytest

from portal import outbox
from portal.db import database
from portal.mail import send_mail
from portal.models import OutboxMessage, Site, User, utcnow


def queue(n=1, **kwargs):
    with database().atomic():
        return [send_mail(f"p{i}@example.org", f"Messaggio {i}", f"Testo {i}", **kwargs) for i in range(n)]


def make_event():
    from portal.events.models import Event

    start = utcnow() + timedelta(days=3)
    return Event.create(
        site=Site.get(Site.slug == "faenza"),
        title="Ginnastica dolce",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        status="published",
        capacity=10,
    )


def test_smtp_down_at_registration_then_delivered_exactly_once(app, client, seed, smtp_server):
    event = make_event()
    smtp_server.stop()  # the mail server is down when the person registers
    started = time.monotonic()
    response = client.post(f"/events/{event.id}/register", data={"name": "Rosa", "email": "rosa@example.org"})
    elapsed = time.monotonic() - started
    assert response.status_code == 303 and elapsed < 1.0, elapsed
    message = OutboxMessage.get(OutboxMessage.to_address == "rosa@example.org")
    assert message.sent_at is None and message.next_attempt_at is not None and message.message_id

    assert outbox.deliver_due(utcnow()) == 0  # refused: recorded, retried later
    message = OutboxMessage.get_by_id(message.id)
    assert message.attempts == 1 and message.error and message.failed_at is None
    assert message.next_attempt_at >= utcnow() + timedelta(seconds=50)  # back-off: a minute
    assert outbox.deliver_due(utcnow()) == 0  # not due yet: no new try

    smtp_server.start()
    later = utcnow() + timedelta(minutes=2)
    assert outbox.deliver_due(later) == 1
    assert smtp_server.wait_for(1)
    assert outbox.deliver_due(later + timedelta(minutes=5)) == 0  # a third run sends nothing
    assert len(smtp_server.messages) == 1
    recipients, mail = smtp_server.messages[0]
    assert recipients == ["rosa@example.org"] and "Ginnastica dolce" in mail["Subject"]
    message = OutboxMessage.get_by_id(message.id)
    assert message.sent_at and message.next_attempt_at is None and message.error == ""


def test_a_hanging_server_costs_the_worker_one_timeout_and_the_request_nothing(app, client, seed, smtp_server):
    """A server that accepts and never answers: the page is quick, the worker gives up after
    SMTP_TIMEOUT and tries later."""
    event = make_event()
    blackhole = socket.socket()
    blackhole.bind(("127.0.0.1", 0))
    blackhole.listen(5)
    app.config.update(SMTP_PORT=blackhole.getsockname()[1], SMTP_TIMEOUT=1)
    try:
        started = time.monotonic()
        response = client.post(f"/events/{event.id}/register", data={"name": "Rosa", "email": "rosa@example.org"})
        assert response.status_code == 303 and time.monotonic() - started < 1.0
        started = time.monotonic()
        assert outbox.deliver_due(utcnow()) == 0
        assert time.monotonic() - started < 5
        assert OutboxMessage.get().attempts == 1
    finally:
        blackhole.close()


def test_headers_multipart_language_and_unsubscribe(app, seed, smtp_server):
    app.config["BASE_URL"] = "https://binari.example.org"
    user = User.get(User.email == "maria@binari.example")
    with database().atomic():
        send_mail(
            "maria@binari.example",
            "Promemoria: domani\ncena",
            "Ciao Maria, ci vediamo domani.",
            user=user,
            kind="reminder",
            language="en",
            html_body="<p>Ciao Maria, ci vediamo <strong>domani</strong>.</p>",
            unsubscribe_url="https://binari.example.org/account/unsubscribe/abc",
        )
        send_mail("rosa@example.org", "Solo testo", "Testo semplice.")
        send_mail("vol@example.org", "Turno", "Ci vediamo.", site=Site.get(Site.slug == "faenza"))
    assert outbox.deliver_due(utcnow()) == 3
    assert smtp_server.wait_for(3)
    by_to = {recipients[0]: mail for recipients, mail in smtp_server.messages}
    mail = by_to["maria@binari.example"]
    assert mail["Message-ID"].endswith("@binari.example.org>")
    assert mail["Date"] and mail["Content-Language"] == "en"
    assert mail["Subject"] == "Promemoria: domani cena"  # one line
    assert mail.get_content_type() == "multipart/alternative"
    assert mail.get_body(("plain",)).get_content().strip() == "Ciao Maria, ci vediamo domani."
    assert "<strong>domani</strong>" in mail.get_body(("html",)).get_content()
    assert mail["List-Unsubscribe"] == "<https://binari.example.org/account/unsubscribe/abc>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail["Auto-Submitted"] == "auto-generated"
    plain = by_to["rosa@example.org"]
    assert plain.get_content_type() == "multipart/alternative" and plain["List-Unsubscribe"] is None
    assert plain["Content-Language"] == "it" and plain["Message-ID"] != mail["Message-ID"]
    assert plain.get_body(("plain",)).get_content().strip() == "Testo semplice."
    assert "<p>Testo semplice.</p>" in plain.get_body(("html",)).get_content()
    # From is a no-reply address: an answer to mail about a centre goes to the centre.
    assert plain["Reply-To"] is None and by_to["vol@example.org"]["Reply-To"] == "faenza@binari.example"


def test_every_mail_has_a_simple_html_part_made_from_its_text(app, seed, smtp_server):
    """Without an html_body the worker writes one from the text: escaped, paragraphs and line breaks,
    http(s) links clickable, lang/dir from the message's language, nothing remote."""
    from html.parser import HTMLParser

    app.config["BASE_URL"] = "https://binari.example.org"
    link = "https://binari.example.org/events/3?a=1&b=2"
    body = f"Ciao Rosa,\n\n3 < 5 & <b>non grassetto</b>\nseconda riga: {link}.\n\nciao javascript:alert(1)"
    with database().atomic():
        send_mail("rosa@example.org", "Prova <1>", body, language="it")
        send_mail("amal@example.org", "تذكير", "مرحبا،\n\nالرابط: https://binari.example.org/x", language="ar")
        send_mail("li@example.org", "提醒", "你好", language="zh")
    assert outbox.deliver_due(utcnow()) == 3 and smtp_server.wait_for(3)
    by_to = {recipients[0]: mail for recipients, mail in smtp_server.messages}

    mail = by_to["rosa@example.org"]
    assert mail.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in mail.iter_parts()] == ["text/plain", "text/html"]
    assert mail.get_body(("plain",)).get_content().replace("\r\n", "\n").rstrip("\n") == body  # the text as written
    html = mail.get_body(("html",)).get_content()
    assert '<html lang="it" dir="ltr">' in html and "<title>Prova &lt;1&gt;</title>" in html
    assert "3 &lt; 5 &amp; &lt;b&gt;non grassetto&lt;/b&gt;<br>" in html and "<b>" not in html
    assert "<p>Ciao Rosa,</p>" in html
    assert '<a href="https://binari.example.org/events/3?a=1&amp;b=2" dir="ltr">' in html
    assert "</a>.<br>" not in html and "</a>.</p>" in html  # the full stop is not part of the link
    assert "javascript:alert(1)" in html and 'href="javascript' not in html

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.seen = []

        def handle_starttag(self, tag, attrs):
            self.seen.append((tag, dict(attrs)))

    tags = Tags()
    tags.feed(html)
    names = {tag for tag, _attrs in tags.seen}
    assert names <= {"html", "head", "meta", "title", "body", "p", "br", "a"}  # no img, link, style, script
    assert all(not attrs.get("src") and "style" not in attrs for _tag, attrs in tags.seen)
    assert [attrs["href"] for tag, attrs in tags.seen if tag == "a"] == ["https://binari.example.org/events/3?a=1&b=2"]

    arabic = by_to["amal@example.org"]
    assert arabic.get_content_type() == "multipart/alternative" and arabic["Content-Language"] == "ar"
    arabic_html = arabic.get_body(("html",)).get_content()
    assert '<html lang="ar" dir="rtl">' in arabic_html
    assert '<a href="https://binari.example.org/x" dir="ltr">' in arabic_html
    assert '<html lang="zh-Hans" dir="ltr">' in by_to["li@example.org"].get_body(("html",)).get_content()


def test_two_workers_at_once_never_send_one_twice(app, seed, smtp_server):
    messages = queue(40)
    now = utcnow()
    barrier = threading.Barrier(3)
    errors = []
    sent = []

    def worker():
        with app.app_context(), database().connection_context():
            barrier.wait()
            try:
                sent.append(outbox.deliver_due(now))
            except Exception as exc:  # a failed thread must fail the test, not vanish
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(sent) == 40
    assert smtp_server.wait_for(40)
    ids = [mail["Message-ID"] for _recipients, mail in smtp_server.messages]
    assert len(ids) == 40 and len(set(ids)) == 40
    assert {m.message_id for m in messages} == set(ids)
    assert outbox.deliver_due(now + timedelta(hours=1)) == 0


def test_a_message_that_keeps_failing_is_marked_and_an_admin_retries_it(app, client, auth, seed, smtp_server):
    app.config["MAIL_MAX_ATTEMPTS"] = 3
    smtp_server.stop()
    (message,) = queue(1)
    # about a Faenza matter: Faenza staff see it (staff see only their centres' mail)
    OutboxMessage.update(site=seed["sites"]["faenza"].id).where(OutboxMessage.id == message.id).execute()
    now = utcnow()
    for _try in range(3):
        outbox.deliver_due(now)
        now += timedelta(hours=7)  # past any back-off
    message = OutboxMessage.get_by_id(message.id)
    assert message.failed_at is not None and message.attempts == 3 and message.next_attempt_at is None
    assert outbox.deliver_due(now) == 0  # given up: not tried again by itself

    auth.login("faenza@staff.binari.example")
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "non consegnato" in page and "Riprova" not in page  # only admins retry
    assert client.post(f"/staff/outbox/{message.id}/retry").status_code == 403
    auth.logout()
    auth.login("admin@binari.example")
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "non consegnato" in page and f"/staff/outbox/{message.id}/retry" in page
    assert client.post(f"/staff/outbox/{message.id}/retry").status_code == 303
    assert client.post(f"/staff/outbox/{message.id}/retry").status_code == 303  # twice: no harm
    smtp_server.start()
    assert outbox.deliver_due(utcnow()) == 1 and smtp_server.wait_for(1)
    assert OutboxMessage.get_by_id(message.id).sent_at is not None


def test_outbox_page_shows_each_status(app, client, auth, seed, smtp_server):
    pending, retrying, sent = queue(3)
    OutboxMessage.update(attempts=2, error="Connection refused", next_attempt_at=utcnow() + timedelta(minutes=5)).where(
        OutboxMessage.id == retrying.id
    ).execute()
    OutboxMessage.update(sent_at=utcnow(), next_attempt_at=None).where(OutboxMessage.id == sent.id).execute()
    auth.login("admin@binari.example")
    page = client.get("/staff/outbox").get_data(as_text=True)
    assert "in coda" in page and "in riprova" in page and "2 tentativi" in page and "inviato" in page
    assert "Connection refused" in page


def test_without_smtp_host_the_worker_logs_and_marks_sent(app, seed, caplog):
    app.config["SMTP_HOST"] = ""
    queue(2)
    with caplog.at_level("INFO", logger="portal.outbox"):
        assert outbox.deliver_due(utcnow()) == 2
    assert "no SMTP_HOST" in caplog.text and "Testo 1" in caplog.text
    assert OutboxMessage.select().where(OutboxMessage.sent_at.is_null()).count() == 0


def test_backoff_grows_and_is_capped():
    pauses = [outbox.backoff(n) for n in range(1, 12)]
    assert pauses[:4] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1)]
    assert pauses == sorted(pauses) and max(pauses) == outbox.BACKOFF[-1]


@pytest.mark.parametrize("days, kept", [(89, True), (91, False)])
def test_sent_messages_are_purged_after_the_retention(app, seed, days, kept):
    (message,) = queue(1)
    OutboxMessage.update(sent_at=utcnow(), next_attempt_at=None).execute()
    assert outbox.purge_sent(utcnow() + timedelta(days=days)) == (0 if kept else 1)
    assert OutboxMessage.select().where(OutboxMessage.id == message.id).exists() == kept
