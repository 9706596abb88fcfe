"""The library's report figures against a fixed data set with known answers.

The clock stands at Tuesday 17 November 2026, 10:00 in Milan (conftest's default). Times below
are the naive UTC the database stores; Milan is UTC+1 in October after the 25th and in November.
"""

from datetime import date, datetime

import pytest
from conftest import count_queries
from report_cells_check import assert_cells_match

from portal import areas
from portal.areas import ReportQuery
from portal.library import reports, services
from portal.library.models import Copy, Hold, Library, LibraryMember, Loan, ReaderSettings, Title
from portal.models import Partner, Site

NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
FIRST_NOV_0030_MILAN = datetime(2026, 10, 31, 23, 30)  # 00:30 on 1 November in Milan
LAST_OCT_2330_MILAN = datetime(2026, 10, 31, 22, 30)  # 23:30 on 31 October in Milan


@pytest.fixture
def data(app, client, seed):
    """Two libraries (S. Erlembaldo, and Via Visconti for the site filter), loans, holds, readers.

    Wei keeps a loan history, then deletes her account through the real form.
    """
    erl_site, vis_site = Site.get(Site.slug == "erlembaldo"), Site.get(Site.slug == "visconti")
    erl, vis = Library.for_site(erl_site), Library.for_site(vis_site)
    users = seed["users"]
    maria, wei, ahmed = users["maria@binari.example"], users["wei@binari.example"], users["+393331234567"]
    copies = {}
    for library, code, language in [
        (erl, "E1", "it"),
        (erl, "E2", "en"),
        (erl, "E3", "it"),
        (erl, "E4", "it"),
        (erl, "E5", "ar"),
        (erl, "E6", "it"),
        (vis, "V1", "es"),
    ]:
        title = Title(library=library, title=f"Libro {code}", language=language)
        title.save()
        copies[code] = Copy.create(title=title, barcode=code)

    def loan(code, member, issued, returned=None):
        copy = copies[code]
        library = erl if code.startswith("E") else vis
        return Loan.create(
            copy=copy,
            member=member,
            library=library,
            language=copy.title.language,
            issued_at=issued,
            due_date=date(2026, 12, 15),
            returned_at=returned,
        )

    ReaderSettings.create(user=wei, keep_history=True)
    rows = {
        # Maria's returned loan no longer names her (she keeps no history).
        "a": loan("E1", None, FIRST_NOV_0030_MILAN, datetime(2026, 11, 10, 9)),
        "b": loan("E2", maria, datetime(2026, 11, 5, 10)),
        "c": loan("E3", wei, datetime(2026, 11, 6, 10), datetime(2026, 11, 12, 10)),
        "d": loan("E4", wei, datetime(2026, 10, 20, 10), datetime(2026, 10, 25, 10)),
        "e": loan("V1", ahmed, datetime(2026, 11, 3, 10)),
        "f": loan("E6", ahmed, LAST_OCT_2330_MILAN),
    }
    for library, user, joined in [
        (erl, maria, FIRST_NOV_0030_MILAN),
        (erl, wei, datetime(2026, 10, 20, 10)),
        (erl, ahmed, LAST_OCT_2330_MILAN),
        (vis, ahmed, datetime(2026, 11, 3, 10)),
    ]:
        LibraryMember.create(library=library, user=user, joined_at=joined)
    title = {code: copy.title for code, copy in copies.items()}
    Hold.create(
        title=title["E2"],
        member=maria,
        position=1,
        status="collected",
        created_at=datetime(2026, 11, 2, 9),
        closed_at=datetime(2026, 11, 5, 10),
    )
    Hold.create(title=title["E4"], member=ahmed, position=1, created_at=datetime(2026, 11, 8, 9))
    Hold.create(title=title["E5"], member=wei, position=1, created_at=datetime(2026, 11, 9, 9))  # stays, anonymous
    Hold.create(title=title["V1"], member=maria, position=1, created_at=datetime(2026, 11, 4, 9))
    Hold.create(title=title["E1"], member=maria, position=1, created_at=datetime(2026, 10, 30, 9))  # October

    assert client.post("/login", data={"identifier": "wei@binari.example", "password": "binari2026"}).status_code == 302
    response = client.post("/account/delete", data={"delete-password": "binari2026", "delete-confirm": "y"})
    assert response.status_code in (302, 303)
    assert Loan.get_by_id(rows["c"].id).member_id is None and Loan.get_by_id(rows["d"].id).member_id is None
    return {"erl": erl, "vis": vis, "maria": maria, "ahmed": ahmed, "rows": rows}


def values(found):
    return {f.key: f.value for f in found}


def test_november_at_erlembaldo_known_answers(app, data):
    with app.test_request_context():
        found = {f.key: f for f in reports.figures(ReportQuery(*NOVEMBER, site_id=data["erl"].site_id))}
    assert values(found.values()) == {
        "library.loans": 3,  # a (00:30 on 1 November in Milan), b, c (Wei's, anonymous now); not f (31 October)
        "library.returns": 2,  # a, c; d came back in October
        "library.new_readers": 1,  # Maria, joined at 00:30 on 1 November in Milan
        "library.holds_placed": 3,  # Maria's, Ahmed's, and Wei's: kept, anonymous, after she left
        "library.holds_collected": 1,
        "library.readers": 3,  # Maria (b), and a and c as one anonymous reader each
    }
    assert [(str(label), n) for label, n in found["library.loans"].breakdown] == [("Italiano", 2), ("Inglese", 1)]
    assert [n for _label, n in found["library.readers"].breakdown] == [1, 2]
    assert {key for key, f in found.items() if f.people} == {"library.new_readers", "library.readers"}
    assert all(str(f.label) and str(f.method) for f in found.values())


def test_people_keys(app, data):
    rows = data["rows"]
    with app.test_request_context():
        keys = reports.people(ReportQuery(*NOVEMBER, site_id=data["erl"].site_id))
    assert keys == {f"u{data['maria'].id}", f"alibrary:{rows['a'].id}", f"alibrary:{rows['c'].id}"}


def test_october_and_the_month_boundary_in_milan(app, data):
    with app.test_request_context():
        october = values(reports.figures(ReportQuery(*OCTOBER, site_id=data["erl"].site_id)))
    assert october == {
        "library.loans": 2,  # d, and f at 23:30 on 31 October in Milan; not a (00:30 on 1 November)
        "library.returns": 1,
        "library.new_readers": 2,  # Wei (deleted, still counted) and Ahmed at 23:30 on 31 October
        "library.holds_placed": 1,
        "library.holds_collected": 0,
        "library.readers": 2,
    }


def test_monthly_figures_page_counts_milan_months(app, data):
    with app.test_request_context():
        november, october = services.monthly_figures(data["erl"], months=2)
    assert (november["month"], november["loans"], november["returns"], november["members"]) == (
        date(2026, 11, 1),
        3,
        2,
        1,
    )
    assert (october["month"], october["loans"], october["returns"], october["members"]) == (date(2026, 10, 1), 2, 1, 2)


def test_site_filter_and_all_centres(app, data):
    with app.test_request_context():
        vis = values(reports.figures(ReportQuery(*NOVEMBER, site_id=data["vis"].site_id)))
        everywhere = values(reports.figures(ReportQuery(*NOVEMBER)))
        everyone = reports.people(ReportQuery(*NOVEMBER))
    assert vis == {
        "library.loans": 1,
        "library.returns": 0,
        "library.new_readers": 1,
        "library.holds_placed": 1,
        "library.holds_collected": 0,
        "library.readers": 1,
    }
    assert everywhere == {
        "library.loans": 4,
        "library.returns": 2,
        "library.new_readers": 2,
        "library.holds_placed": 4,  # Wei's hold stays, anonymous
        "library.holds_collected": 1,
        "library.readers": 4,
    }
    assert f"u{data['ahmed'].id}" in everyone and len(everyone) == 4


def test_partner_query_gets_nothing(app, data):
    partner = Partner.select().first().id
    with app.test_request_context():
        assert reports.figures(ReportQuery(*NOVEMBER, partner_id=partner)) == []
        assert reports.people(ReportQuery(*NOVEMBER, partner_id=partner)) == set()


def test_registered_through_the_contract(app, data):
    with app.test_request_context():
        library = areas.get_area("library")
        assert library.figures is reports.figures and library.people is reports.people
        assert f"u{data['maria'].id}" in areas.people_reached(ReportQuery(*NOVEMBER, data["erl"].site_id))


def test_a_fixed_number_of_queries_whatever_the_rows(app, data):
    query = ReportQuery(*NOVEMBER)
    with app.test_request_context():
        before = count_queries.of(lambda: reports.figures(query))
        title = Title(library=data["erl"], title="Molte copie", language="zh")
        title.save()
        for n in range(10):
            copy = Copy.create(title=title, barcode=f"M{n}")
            Loan.create(copy=copy, member=data["ahmed"], library=data["erl"], language="zh", due_date=date(2026, 12, 1))
        after = count_queries.of(lambda: reports.figures(query))
        assert values(reports.figures(query))["library.loans"] == 14
    assert before == after


@pytest.mark.xdist_group("postgres")
def test_figures_on_postgres(pg_app):
    """The same aggregated queries on PostgreSQL."""
    from portal import demo
    from portal.db import is_sqlite

    assert not is_sqlite()
    users = demo.load_core()["users"]
    maria = users["maria@binari.example"]
    library = Library.for_site(Site.get(Site.slug == "erlembaldo"))
    title = Title(library=library, title="Libro", language="it")
    title.save()
    for n, (member, issued, returned) in enumerate(
        [
            (None, FIRST_NOV_0030_MILAN, datetime(2026, 11, 10, 9)),
            (maria, datetime(2026, 11, 5, 10), None),
            (maria, LAST_OCT_2330_MILAN, datetime(2026, 11, 2, 9)),
        ]
    ):
        copy = Copy.create(title=title, barcode=f"P{n}")
        Loan.create(
            copy=copy,
            member=member,
            library=library,
            language="it",
            issued_at=issued,
            due_date=date(2026, 12, 15),
            returned_at=returned,
        )
    LibraryMember.create(library=library, user=maria, joined_at=LAST_OCT_2330_MILAN)
    Hold.create(title=title, member=maria, position=1, created_at=datetime(2026, 11, 2, 9))
    with pg_app.test_request_context():
        november = values(reports.figures(ReportQuery(*NOVEMBER, site_id=library.site_id)))
        october = values(reports.figures(ReportQuery(*OCTOBER)))
        assert_cells_match(reports.figures, date(2026, 9, 1), date(2026, 12, 31), [library.site_id])
        assert areas.count_people([ReportQuery(*NOVEMBER)]) == len(reports.people(ReportQuery(*NOVEMBER))) == 2
    assert november == {
        "library.loans": 2,
        "library.returns": 2,
        "library.new_readers": 0,
        "library.holds_placed": 1,
        "library.holds_collected": 0,
        "library.readers": 2,
    }
    assert (october["library.loans"], october["library.new_readers"], october["library.readers"]) == (1, 1, 1)


def test_grouped_cells_equal_separate_queries(app, data):
    sites = [data["erl"].site_id, data["vis"].site_id]
    with app.test_request_context():
        grouped = assert_cells_match(reports.figures, date(2026, 9, 15), date(2026, 11, 30), sites)
    assert grouped["library.loans"].cells[(data["erl"].site_id, date(2026, 11, 1))].value == 3


def test_a_reader_counts_once_after_returns_and_after_deleting_the_account(app, client, seed):
    """Real desk loans: a returned loan no longer names its reader (no history kept), yet the
    reader key counts her once; her account's deletion changes no figure, holds included."""
    site = Site.get(Site.slug == "erlembaldo")
    library = Library.for_site(site)
    maria = seed["users"]["maria@binari.example"]
    staff = seed["users"]["admin@binari.example"]
    titles = []
    for code in ("K1", "K2", "K3"):
        title = Title(library=library, title=f"Libro {code}", language="it")
        title.save()
        titles.append(title)
        Copy.create(title=title, barcode=code)
    services.checkout(library, "K1", maria.member_code, staff)
    services.checkout(library, "K2", maria.member_code, staff)
    services.checkin(library, "K1")
    services.checkin(library, "K2")
    Hold.create(title=titles[2], member=maria, position=1, status="cancelled", closed_at=datetime(2026, 11, 17, 9))
    loans = list(Loan.select().where(Loan.library == library))
    assert len(loans) == 2 and all(loan.member_id is None for loan in loans)  # no history kept
    assert len({loan.reader_key for loan in loans}) == 1 and loans[0].reader_key
    query = ReportQuery(*NOVEMBER, site_id=site.id)
    with app.test_request_context():
        before = values(reports.figures(query))
        before_keys = reports.people(query)
    assert before["library.readers"] == 1 and before["library.holds_placed"] == 1
    assert before_keys == {f"u{maria.id}"}  # traced back through the key while the account exists

    assert client.post("/login", data={"identifier": maria.email, "password": "binari2026"}).status_code == 302
    response = client.post("/account/delete", data={"delete-password": "binari2026", "delete-confirm": "y"})
    assert response.status_code in (302, 303)
    with app.test_request_context():
        after = values(reports.figures(query))
        after_keys = reports.people(query)
    assert after == before
    assert len(after_keys) == 1 and next(iter(after_keys)).startswith("alibrary:k")
    hold = Hold.get(Hold.title == titles[2].id)
    assert hold.member_id is None  # kept, anonymous
    member = LibraryMember.get(LibraryMember.library == library.id)
    assert member.user_id is None and member.reader_key == loans[0].reader_key  # nothing links the key to her
