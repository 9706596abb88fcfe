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


# Indexes a migration makes on one database only, which a model cannot declare (a GIN trigram
# index exists on PostgreSQL alone): the schema comparison leaves them out.
DATABASE_SPECIFIC_INDEXES = {"library_title_search_trgm"}


def schema_diff(db, models=None):
    """playhouse's diff of the database against the models, less DATABASE_SPECIFIC_INDEXES."""
    from playhouse.schema_diff import diff_models

    diff = diff_models(db, models or all_models())
    kept = [index for index in diff.drop_indexes if index.name not in DATABASE_SPECIFIC_INDEXES]
    return diff._replace(drop_indexes=kept)
