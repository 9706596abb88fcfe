"""The area contract: every area registers through portal.areas, and the core reads only the registry."""

import importlib
from pathlib import Path

import pytest
from peewee import CharField, ForeignKeyField, TextField

ROOT = Path(__file__).resolve().parent.parent
PERSONAL_FIELD_NAMES = {"name", "email", "phone", "notes", "purpose", "companions"}


def area_models(area_name):
    from portal.db import BaseModel

    module = importlib.import_module(f"portal.{area_name}.models")
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
        and not getattr(value._meta, "abstract", False)
    ]


def keeps_personal_data(model):
    """A model keeps personal data when it points at an account or has contact or free-text fields."""
    from portal.models import User

    for field in model._meta.sorted_fields:
        if isinstance(field, ForeignKeyField) and field.rel_model is User:
            return True
        if isinstance(field, CharField | TextField) and field.name in PERSONAL_FIELD_NAMES:
            return True
    return False


def test_every_configured_area_is_registered(app):
    from portal.areas import all_areas

    names = [area.name for area in all_areas(app)]
    assert names == [p.rsplit(".", 1)[-1] for p in app.config["AREAS"]]


def test_areas_that_keep_personal_data_export_and_erase_it(app):
    """Fails when an area whose tables hold a person's data lacks export or erase."""
    from portal.areas import all_areas

    for area in all_areas(app):
        personal = [m.__name__ for m in area_models(area.name) if keeps_personal_data(m)]
        if personal:
            assert area.stores_personal_data, f"{area.name}: {personal} keep personal data"
            assert area.export is not None and area.erase is not None, f"{area.name} lacks export or erase"


def test_register_refuses_personal_data_without_erase(app):
    from flask import Blueprint, Flask

    from portal.areas import Area, AreaContractError, register

    other = Flask("other")
    with pytest.raises(AreaContractError):
        register(other, Area(name="x", title="X", blueprints=[Blueprint("x", __name__)], stores_personal_data=True))


def test_core_never_names_an_area():
    """The core reads the registry: no core module or core template names an area's endpoints."""
    core_files = [p for p in (ROOT / "portal").glob("*.py")] + [
        p for p in (ROOT / "portal" / "templates").glob("*.html")
    ]
    core_files += [
        p
        for d in ("account", "auth", "errors", "main", "sites", "staff")
        for p in (ROOT / "portal" / "templates" / d).glob("*.html")
    ]
    for path in core_files:
        text = path.read_text()
        for area in ("events", "bookings", "library", "volunteer"):
            for needle in (f"'{area}.", f'"{area}.', f"portal.{area}", f"from .{area}"):
                assert needle not in text or path.name == "config.py", f"{path.name} names {needle}"


def test_staff_pages_live_under_staff_area(app):
    """Every view of an area's staff_views module is under /staff/<area>/; former addresses are only
    redirects, declared with portal.moved."""
    from portal.areas import all_areas

    checked = 0
    for area in all_areas(app):
        for rule in app.url_map.iter_rules():
            view = app.view_functions[rule.endpoint]
            if view.__module__ == f"portal.{area.name}.staff_views":
                assert rule.rule.startswith(f"/staff/{area.name}"), rule.rule
                checked += 1
            elif view.__module__ == "portal.moved":
                assert view.__doc__.startswith(("The former address", "Pages that moved")), rule.rule
    assert checked > 40


def test_no_template_line_over_160_characters():
    long_lines = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in (ROOT / "portal" / "templates").rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if len(line) > 160
    ]
    assert not long_lines, long_lines


def test_home_and_centre_pages_read_the_registry(client, seed):
    home = client.get("/").get_data(as_text=True)
    for path in ("/events", "/coworking", "/equipment", "/library", "/volunteer"):
        assert f'href="{path}"' in home
    centre = client.get("/sites/visconti").get_data(as_text=True)
    assert "Vai al servizio online" in centre
