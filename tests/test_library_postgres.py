"""The library on PostgreSQL: migration (partial unique indexes, no FTS5), the
LIKE search on the folded column, circulation and holds."""

from datetime import date, timedelta

import pytest
from peewee import IntegrityError

pytestmark = pytest.mark.xdist_group("postgres")


@pytest.fixture
def pg_lib(pg_app):
    """The app on a fresh PostgreSQL database (conftest's pg_app) with the core demo data."""
    from portal import demo

    return pg_app, demo.load_core()


def test_did_you_mean_on_postgres(pg_lib):
    from portal.library.models import Library, Title

    app, seed = pg_lib
    library = Library.for_site(seed["sites"]["erlembaldo"])
    Title(library=library, title="Il barone rampante", authors="Italo Calvino", language="it").save()
    html = app.test_client().get("/library?q=Calvnio").get_data(as_text=True)
    assert 'Forse cercavi: <a href="/library?q=Calvino" dir="auto">Calvino</a>' in html


def test_library_on_postgres(pg_lib):
    from portal.db import database, is_sqlite
    from portal.library.models import Copy, Hold, Library, Loan, Title
    from portal.schema import schema_diff

    app, seed = pg_lib
    assert not is_sqlite()
    assert not schema_diff(database().obj)
    library = Library.for_site(seed["sites"]["erlembaldo"])
    book = Title(
        library=library,
        title="Perché il cielo è blu",
        authors="Anna Rossi",
        language="it",
        age_group="children",
        isbn="9780306406157",
    )
    book.save()
    Copy.create(title=book, barcode="PG001")
    client = app.test_client()
    for q in ("perche", "PERCHÉ cielo", "ross", "0-306-40615-2"):
        assert "Perché il cielo è blu" in client.get("/library", query_string={"q": q}).get_data(as_text=True), q
    maria, wei = seed["users"]["maria@binari.example"], seed["users"]["wei@binari.example"]
    client.post("/login", data={"identifier": "erlembaldo@staff.binari.example", "password": "binari2026"})
    assert (
        client.post("/staff/library/desk", data={"barcode": "PG001", "member_code": maria.member_code}).status_code
        == 200
    )
    assert (
        client.post("/staff/library/desk", data={"barcode": "PG001", "member_code": wei.member_code}).status_code == 409
    )
    assert "Perché" not in client.get("/library?available=1").get_data(as_text=True)
    # The partial unique index holds on PostgreSQL too.
    with pytest.raises(IntegrityError):
        with database().atomic():
            Loan.create(
                copy=Copy.get(Copy.barcode == "PG001"),
                member=wei,
                library=library,
                language="it",
                due_date=date.today() + timedelta(days=30),
            )
    client.post("/logout")
    client.post("/login", data={"identifier": "wei@binari.example", "password": "binari2026"})
    assert client.post(f"/library/titles/{book.id}/hold").status_code == 303
    assert client.post(f"/library/titles/{book.id}/hold").status_code == 422
    assert "In lista: posizione 1" in client.get("/account/library").get_data(as_text=True)
    client.post("/logout")
    client.post("/login", data={"identifier": "erlembaldo@staff.binari.example", "password": "binari2026"})
    assert "Metti questa copia" in client.post("/staff/library/checkin", data={"in-barcode": "PG001"}).get_data(
        as_text=True
    )
    assert Hold.get(Hold.member == wei.id).status == "ready"
    for url in ("/staff/library/figures", "/staff/library/overdue", "/staff/library/holds", "/staff/phone"):
        assert client.get(url).status_code == 200, url


def test_demo_library_on_postgres(pg_lib):
    from portal.library import demo

    app, seed = pg_lib
    assert demo.load(seed)["library titles"] >= 290
    html = app.test_client().get("/library?q=soledad").get_data(as_text=True)
    assert "Cien años de soledad" in html


def test_search_uses_the_trigram_index(pg_lib):
    """Migration 0055: a pg_trgm GIN index on the folded column answers the catalogue's LIKE;
    words of one or two letters (no trigram) still match, by filtering."""
    from portal.db import database
    from portal.library.models import Library, Title
    from portal.library.search import search_titles

    app, seed = pg_lib
    library = Library.for_site(seed["sites"]["erlembaldo"])
    for name, authors in [("Perché il cielo è blu", "Anna Rossi"), ("Il mare d'inverno", "Yu Hua"), ("Cento_anni", "")]:
        Title(library=library, title=name, authors=authors, language="it", age_group="adults").save()
    (indexdef,) = (
        database()
        .execute_sql("SELECT indexdef FROM pg_indexes WHERE indexname = 'library_title_search_trgm'")
        .fetchone()
    )
    assert "gin" in indexdef and "gin_trgm_ops" in indexdef
    with database().atomic():
        database().execute_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in database().execute_sql(
                "EXPLAIN SELECT id FROM library_title WHERE search_text LIKE %s", ("%cielo%",)
            )
        )
    assert "library_title_search_trgm" in plan, plan
    assert [t.title for t in search_titles("CIELO")[0]] == ["Perché il cielo è blu"]
    assert [t.title for t in search_titles("yu mare")[0]] == ["Il mare d'inverno"]
    assert [t.title for t in search_titles("yu")[0]] == ["Il mare d'inverno"]
    assert [t.title for t in search_titles("cento_anni")[0]] == ["Cento_anni"]
    assert search_titles("cento_x")[1] == 0  # "_" is a letter here, not LIKE's wildcard
