"""The list of every model, for migrations and the schema test."""

import importlib

from .db import BaseModel


def all_models():
    """Every table-backed model of the core and of the areas."""
    from . import guests, models  # noqa: F401  (importing registers the models)
    from .config import DEFAULT_AREAS

    # Every area's tables, configured or not: the schema is the same in every installation.
    for package in DEFAULT_AREAS:
        importlib.import_module(f"{package}.models")
    found, todo = [], list(BaseModel.__subclasses__())
    while todo:
        model = todo.pop()
        todo.extend(model.__subclasses__())
        if not getattr(model._meta, "abstract", False):
            found.append(model)
    return sorted(found, key=lambda m: m._meta.table_name)
