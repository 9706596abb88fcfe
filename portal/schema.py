"""The list of every model, for migrations and the schema test."""
import importlib

from .db import BaseModel


def all_models():
    """Every table-backed model of the core and of the areas that exist."""
    from . import AREAS, models  # noqa: F401  (importing registers the models)

    for name in AREAS:
        try:
            importlib.import_module(f"portal.{name}.models")
        except ModuleNotFoundError as exc:
            if not (exc.name or "").startswith(f"portal.{name}"):
                raise
    found, todo = [], list(BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if not getattr(model._meta, "abstract", False):
            found.append(model)
    return sorted(found, key=lambda m: m._meta.table_name)
