"""A centre and its services in several languages (issue 13): staff of the centre write the
translation at /staff/sites/<slug>/languages; the home page and the centre page show the
reader's language, Italian otherwise; the Italian is never overwritten."""

import re

import pytest
from peewee import Database

from portal.i18n import COOKIE
from portal.models import Service, ServiceText, Site, SiteText

WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
URL = "/staff/sites/faenza/languages"


def page(client, path="/", **headers):
    return client.get(path, headers=headers).get_data(as_text=True)


def reader(client, language):
    other = client.application.test_client()
    other.set_cookie(COOKIE, language)
    return other


@pytest.fixture
def gym(seed):
    site = Site.get(Site.slug == "faenza")
    site.summary = "Centro di quartiere con palestra."
    site.how_to_get_there = "Tram 3, fermata Faenza."
    site.save()
    return Service.create(site=site, name="Palestra", description="Corsi per tutte le età.", schedule="Lun-Ven 9-21")


def ar_data(gym, **extra):
    data = {
        "language": "ar",
        "summary": "مركز الحي مع صالة رياضية.",
        "how_to_get_there": "",
        f"s{gym.id}_name": "صالة رياضية",
        f"s{gym.id}_description": "دورات لجميع الأعمار.",
        f"s{gym.id}_schedule": "",
    }
    data.update(extra)
    return data


def test_staff_translate_the_centre_and_an_arabic_reader_sees_it(client, gym, auth):
    auth.login("faenza@staff.binari.example")
    assert f'href="{URL}"' in page(client, "/sites/faenza")  # linked from the centre page for its staff
    form = page(client, URL + "?language=ar")
    assert "In italiano: Corsi per tutte le età." in form and 'lang="ar" dir="rtl"' in form
    response = client.post(URL, data=ar_data(gym))
    assert response.status_code == 303 and response.headers["Location"] == URL + "?language=ar"
    assert "صالة رياضية" in page(client, URL + "?language=ar")  # the form shows what is stored
    auth.logout()

    arabic = reader(client, "ar")
    for path in ("/", "/sites/faenza"):
        html = page(arabic, path)
        assert "مركز الحي مع صالة رياضية." in html and "صالة رياضية" in html
        assert "Centro di quartiere con palestra." not in html
    centre = page(arabic, "/sites/faenza")
    assert "دورات لجميع الأعمار." in centre
    assert "Tram 3, fermata Faenza." in centre and "Lun-Ven 9-21" in centre  # left empty: the Italian
    italian = page(client, "/sites/faenza")
    assert "Centro di quartiere con palestra." in italian and "Palestra" in italian and "صالة" not in italian
    assert "صالة" not in page(reader(client, "es"), "/sites/faenza")  # no Spanish text: the Italian
    # The Italian source is untouched.
    assert Site.get(Site.slug == "faenza").summary == "Centro di quartiere con palestra."
    assert Service.get_by_id(gym.id).name == "Palestra"

    # Emptying every field removes the translation.
    auth.login("faenza@staff.binari.example")
    empty = {key: ("" if key != "language" else "ar") for key in ar_data(gym)}
    assert client.post(URL, data=empty).status_code == 303
    assert SiteText.select().count() == 0 and ServiceText.select().count() == 0


def test_staff_of_another_centre_and_residents_are_refused(client, gym, auth):
    auth.login("erlembaldo@staff.binari.example")
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=ar_data(gym)).status_code == 403
    assert "/languages" not in page(client, "/sites/faenza")
    auth.logout()
    auth.login()  # a resident
    assert client.get(URL).status_code in (403, 302)
    assert SiteText.select().count() == 0 and ServiceText.select().count() == 0


def test_bad_input_keeps_the_form_and_saves_nothing(client, gym, auth):
    auth.login("faenza@staff.binari.example")
    too_long = client.post(URL, data=ar_data(gym, **{f"s{gym.id}_schedule": "x" * 201}))
    html = too_long.get_data(as_text=True)
    assert too_long.status_code == 422 and "Al massimo 200 caratteri." in html and "دورات لجميع الأعمار." in html
    italian = client.post(URL, data=ar_data(gym, language="it"))  # Italian is the source, not a translation
    assert italian.status_code == 422 and "Scegli una lingua." in italian.get_data(as_text=True)
    assert SiteText.select().count() == 0 and ServiceText.select().count() == 0


def test_another_centres_service_is_never_touched(client, gym, auth):
    other = Service.create(site=Site.get(Site.slug == "visconti"), name="Biblioteca")
    auth.login("faenza@staff.binari.example")
    assert client.post(URL, data=ar_data(gym, **{f"s{other.id}_name": "مكتبة"})).status_code == 303
    assert not ServiceText.select().where(ServiceText.service == other.id).exists()


def test_a_get_writes_nothing(client, gym, auth, monkeypatch):
    from portal.sitetexts import save_texts

    save_texts(gym.site, "zh", {"summary": "社区中心"}, {gym.id: {"name": "健身房"}})
    auth.login("faenza@staff.binari.example")
    writes = []
    original = Database.execute_sql

    def counting(self, sql, *args, **kwargs):
        if WRITE.match(sql):
            writes.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(Database, "execute_sql", counting)
    for path in (URL, URL + "?language=zh", URL + "?language=xx", "/sites/faenza", "/"):
        assert client.get(path).status_code == 200
    chinese = reader(client, "zh")
    assert "健身房" in page(chinese, "/sites/faenza") and "社区中心" in page(chinese, "/")
    assert writes == []


def test_a_translated_centre_cannot_be_saved(gym):
    from portal.sitetexts import localize, save_texts

    save_texts(gym.site, "es", {"summary": "Centro del barrio."}, {gym.id: {"name": "Gimnasio"}})
    site, service = Site.get_by_id(gym.site_id), Service.get_by_id(gym.id)
    localize([site], [service], language="es")
    assert site.summary == "Centro del barrio." and service.name == "Gimnasio"
    assert service.description == "Corsi per tutte le età."  # no Spanish description: the Italian
    with pytest.raises(RuntimeError):
        site.save()
    with pytest.raises(RuntimeError):
        service.save()


def test_the_staff_page_is_within_the_data_budget(client, gym, auth):
    from test_pages import check_page

    auth.login("faenza@staff.binari.example")
    for language in ("en", "ar"):
        facts = check_page(client, URL + "?language=" + language)
        assert len(facts.inputs) >= 2 + 3 * Service.select().where(Service.site == gym.site_id).count()


def test_saving_again_replaces_the_translation(gym):
    from portal.sitetexts import save_texts

    save_texts(gym.site, "en", {"summary": "A centre."}, {gym.id: {"name": "Gym"}})
    save_texts(gym.site, "en", {"how_to_get_there": "Tram 3."}, {gym.id: {"name": "Gym", "schedule": "Mon-Fri"}})
    site_text = SiteText.get()
    assert (site_text.summary, site_text.how_to_get_there) == ("", "Tram 3.")
    service_text = ServiceText.get()
    assert (service_text.name, service_text.schedule) == ("Gym", "Mon-Fri") and ServiceText.select().count() == 1
