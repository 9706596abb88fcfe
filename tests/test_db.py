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


def test_a_compiled_tuples_select_converts_its_rows_as_peewee_does(app, seed):
    """From the second row on, `first` converts a `.tuples()` row itself: the same values, the same types."""
    from peewee import JOIN
    from test_events import make_event

    from portal.events.models import Event, Series

    event = make_event(title="Tombola di quartiere")
    columns = (Event.id, Event.starts_at, Event.status, Event.capacity, Series.updated_at)
    query = CompiledSelect(
        lambda event_id: Event.select(*columns).join(Series, JOIN.LEFT_OUTER)
        .where(Event.id == event_id).tuples()
    )  # fmt: skip
    with app.app_context():
        by_peewee = Event.select(*columns).join(Series, JOIN.LEFT_OUTER)
        expected = by_peewee.where(Event.id == event.id).tuples().get()
        first, second = query.first(event.id), query.first(event.id)
        assert query.converters  # learnt from the first row
        assert first == second == expected
        assert [type(value) for value in second] == [type(value) for value in expected]
        assert type(second[1]).__name__ == "datetime" and second[4] is None  # a converted date; no series
        assert query.first(event.id + 10_000) is None
