"""portal/db.py: queries whose SQL is built once (CompiledSelect)."""

import pytest

from portal.db import CompiledSelect


def test_a_compiled_select_gives_what_the_query_gives(app, seed):
    from test_events import make_event

    from portal.events.models import Event, event_with_place

    event = make_event(title="Merenda in cortile", site_slug="visconti")
    with app.app_context():
        kept = event_with_place(event.id)
        again = event_with_place(event.id)  # the second run reuses the SQL
        built = Event.with_place().where(Event.id == event.id).get()
        assert (kept.id, kept.title, kept.site.name) == (built.id, built.title, built.site.name)
        assert again.site.slug == "visconti" and kept.room_id == built.room_id
        assert event_with_place(event.id + 10_000) is None
        by_title = CompiledSelect(lambda title: Event.select(Event.id).where(Event.title == title).tuples())
        assert by_title.first("Merenda in cortile") == (event.id,)
        assert by_title.first("Nessun evento") is None


def test_a_compiled_select_refuses_a_query_with_values_of_its_own(app, seed):
    from portal.events.models import Event

    wrong = CompiledSelect(lambda event_id: Event.select().where((Event.id == event_id) & (Event.status == "draft")))
    with app.app_context(), pytest.raises(ValueError, match="other parameters"):
        wrong.first(1)
