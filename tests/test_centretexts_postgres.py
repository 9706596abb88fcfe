"""A centre's translations on PostgreSQL: migration 0065 gives the models' schema, and saves
from several threads at once end in one row per centre/service and language (an upsert on the
unique index), never an error."""

import threading

import pytest

pytestmark = pytest.mark.xdist_group("postgres")


def test_centre_texts_on_postgres(pg_app):
    from portal import demo
    from portal.db import database, is_sqlite
    from portal.models import Service, ServiceText, Site, SiteText
    from portal.schema import schema_diff
    from portal.sitetexts import localize, save_texts

    assert not is_sqlite()
    assert not schema_diff(database().obj)  # the models' schema (less the PostgreSQL-only search index)
    demo.load_core()
    site = Site.get(Site.slug == "faenza")
    service = Service.create(site=site, name="Palestra")
    errors = []

    def save(n):
        try:
            with pg_app.app_context():
                save_texts(site, "ar", {"summary": f"نص {n}"}, {service.id: {"name": f"صالة {n}"}})
                database().close()
        except Exception as error:  # noqa: BLE001  (any failure fails the test below)
            errors.append(error)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert SiteText.select().count() == 1 and ServiceText.select().count() == 1
    shown = Service.get_by_id(service.id)
    localize([], [shown], language="ar")
    assert shown.name.startswith("صالة ")
