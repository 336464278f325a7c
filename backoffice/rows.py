"""Model instances read by SQL written once, for the few reads that nearly every request makes.

Django compiles a queryset into SQL on every evaluation: for a lookup by a unique key that
selects related rows, the compiling costs more than the database does (0.4-0.8 ms a query,
measured on the API's token check and one-order read). The reads that use this module write
their SQL by hand around select lists made once per process from the models' own fields, and
make instances as the ORM would: each column through the field's and the backend's converters,
then `Model.from_db`.

Only fixed-shape reads belong here, each named where it is used; everything else stays a
queryset.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.expressions import Col


@dataclass(frozen=True)
class Columns:
    """A model's concrete columns under a table alias, as a select list and back into instances."""

    model: type[models.Model]
    select: str  # '"t"."id", "t"."client_id", …'
    converters: tuple[tuple[int, tuple[Callable, ...], Col], ...]  # (position, converters, column)
    width: int
    pk_index: int  # where the primary key is among the columns
    names: tuple[str, ...]  # the fields' attribute names, in the columns' order

    def instance(self, row: Sequence[Any], start: int, connection: BaseDatabaseWrapper) -> Any:
        """The instance whose columns are `row[start:start + width]`, as the ORM would make it."""
        values = list(row[start : start + self.width])
        for position, converters, column in self.converters:
            for convert in converters:
                values[position] = convert(values[position], column, connection)
        return self.model.from_db(connection.alias, self.names, values)


_made: dict[tuple[type[models.Model], str, str], Columns] = {}


def columns(model: type[models.Model], alias: str, connection: BaseDatabaseWrapper) -> Columns:
    """`model`'s columns under `alias` on `connection`'s backend (made once per process and
    backend: the converters take the connection they convert for as an argument)."""
    key = (model, alias, connection.vendor)
    if key not in _made:
        _made[key] = _columns_of(model, alias, connection)
    return _made[key]


def _columns_of(model: type[models.Model], alias: str, connection: BaseDatabaseWrapper) -> Columns:
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    converters = []
    for position, field in enumerate(fields):
        column = field.get_col(alias)  # a foreign key's column converts as its target's does
        found = tuple(connection.ops.get_db_converters(column)) + tuple(column.get_db_converters(connection))
        if found:
            converters.append((position, found, column))
    select = ", ".join(f"{quote(alias)}.{quote(field.column)}" for field in fields)
    names = tuple(field.attname for field in fields)
    return Columns(model, select, tuple(converters), len(fields), fields.index(model._meta.pk), names)


def table(model: type[models.Model], connection: BaseDatabaseWrapper) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def prefetched(instance: models.Model, name: str, objects: list) -> None:
    """Leave `instance.<name>.all()` answering `objects` without a query, as `prefetch_related`
    leaves a reverse relation: the manager's own queryset, already evaluated (Django's
    `prefetch_one_level` sets the same two attributes)."""
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def key(model: type[models.Model], value: Any, connection: BaseDatabaseWrapper) -> Any:
    """`model`'s primary key `value` as the backend takes it as a parameter (a UUID is a hex
    string on SQLite)."""
    return model._meta.pk.get_db_prep_value(value, connection)


def placeholders(count: int) -> str:
    """`%s, %s, …`: `count` parameters, as in `IN (…)`."""
    return ", ".join(["%s"] * count)
