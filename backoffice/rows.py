"""Model instances read and written by SQL written once, for the few reads that nearly every
request makes and the few writes that every recorded operation makes.

Django compiles a queryset into SQL on every evaluation: for a lookup by a unique key that
selects related rows, the compiling costs more than the database does (0.4-0.8 ms a query,
measured on the API's token check and one-order read). The reads that use this module write
their SQL by hand around select lists made once per process from the models' own fields, and
make instances as the ORM would: each column through the field's and the backend's converters,
then `Model.from_db`.

Writes the same way: `inserting` writes new instances as `save()` and `bulk_create` write them
(each field's `pre_save`, then its `get_db_prep_save`), and `updating` changes named columns of
a row by its key as `QuerySet.update` does (`updating_each`: one column of several rows, as
`bulk_update` does); each statement is written once per model and shape,
and sent alone (`insert`, `update`) or with others as one statement (`written`). None sends
signals: they are for models that no signal listens to. Every backend this runs on (PostgreSQL,
SQLite from 3.35) reads an auto key back by `RETURNING`.

Only fixed-shape statements belong here, each named where it is used; everything else stays a
queryset.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

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


@dataclass(frozen=True)
class Write:
    """One INSERT or UPDATE, to send alone (`insert`, `update`) or with others (`written`)."""

    sql: str
    params: list[Any]
    instances: Sequence[models.Model] = ()  # the new rows it writes
    returning: bool = False  # it reads their auto keys back, in their order


@dataclass(frozen=True)
class _Insert:
    """How `model`'s new rows are written: the columns given, and the auto key read back."""

    fields: tuple[models.Field, ...]
    head: str  # 'INSERT INTO "t" ("a", "b") VALUES '
    row: str  # "(%s, %s)"
    returning: str  # ' RETURNING "t"."id"', or "" when the key is not the database's to make


_inserts: dict[tuple[type[models.Model], str], _Insert] = {}


def inserting(
    instances: Sequence[models.Model], connection: BaseDatabaseWrapper, *, keys: bool = True
) -> Write:
    """The INSERT of new `instances` (one or more, all of one model), as `bulk_create` writes
    them. Without `keys`, an auto key is not read back: for rows that nothing reads again in the
    request, so that the INSERT can go with others (`written`)."""
    model = type(instances[0])
    plan = _inserts.get((model, connection.vendor))
    if plan is None:
        plan = _inserts[model, connection.vendor] = _insert_of(model, connection)
    values: list[Any] = []
    for instance in instances:
        values += [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in plan.fields]
    returning = bool(plan.returning) and keys
    sql = plan.head + ", ".join([plan.row] * len(instances)) + (plan.returning if returning else "")
    return Write(sql, values, instances, returning)


def _insert_of(model: type[models.Model], connection: BaseDatabaseWrapper) -> _Insert:
    quote = connection.ops.quote_name
    pk = model._meta.pk
    auto = bool(getattr(pk, "db_returning", False))  # an auto key: the database makes it
    fields = tuple(f for f in model._meta.concrete_fields if not (auto and f is pk))
    head = f"INSERT INTO {table(model, connection)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    returning = f" RETURNING {quote(pk.column)}" if auto else ""
    return _Insert(fields, head, f"({placeholders(len(fields))})", returning)


_updates: dict[tuple[type[models.Model], tuple[str, ...], str], tuple[str, tuple[models.Field, ...]]] = {}


def updating(instance: models.Model, names: Sequence[str], connection: BaseDatabaseWrapper) -> Write:
    """The UPDATE of `instance`'s fields `names` in its row, as
    `type(instance).objects.filter(pk=instance.pk).update(**{n: getattr(instance, n) …})` makes it."""
    model = type(instance)
    shape = (model, tuple(names), connection.vendor)
    if shape not in _updates:
        quote = connection.ops.quote_name
        fields = tuple(cast(models.Field, model._meta.get_field(name)) for name in names)
        assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
        pk = quote(model._meta.pk.column)
        _updates[shape] = (f"UPDATE {table(model, connection)} SET {assignments} WHERE {pk} = %s", fields)
    sql, fields = _updates[shape]
    values = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
    return Write(sql, [*values, key(model, instance.pk, connection)])


_updates_each: dict[tuple[type[models.Model], str, int, str], str] = {}


def updating_each(instances: Sequence[models.Model], name: str, connection: BaseDatabaseWrapper) -> Write:
    """The UPDATE of one field of one or more rows (all of one model), each to its instance's value,
    as `bulk_update(instances, [name])` makes it: a `CASE` on the key."""
    model = type(instances[0])
    field = cast(models.Field, model._meta.get_field(name))
    shape = (model, name, len(instances), connection.vendor)
    if shape not in _updates_each:
        quote = connection.ops.quote_name
        pk = quote(model._meta.pk.column)
        cases = " ".join([f"WHEN %s THEN CAST(%s AS {field.db_type(connection)})"] * len(instances))
        _updates_each[shape] = (
            f"UPDATE {table(model, connection)} SET {quote(field.column)} = CASE {pk} {cases} END"
            f" WHERE {pk} IN ({placeholders(len(instances))})"
        )
    keys = [key(model, instance.pk, connection) for instance in instances]
    values = [field.get_db_prep_save(getattr(instance, field.attname), connection) for instance in instances]
    return Write(_updates_each[shape], [p for pair in zip(keys, values, strict=True) for p in pair] + keys)


def written(writes: Sequence[Write], connection: BaseDatabaseWrapper) -> None:
    """Send `writes`, in their order; each new instance is left saved to `connection`.

    On PostgreSQL they go as one statement, each but the last a data-modifying `WITH` query
    (https://www.postgresql.org/docs/15/queries-with.html#QUERIES-WITH-MODIFYING): one round trip
    and one statement to parse and plan instead of several. PostgreSQL runs such queries on one
    snapshot, so none of them may read or write a row that another writes; constraints are
    checked when the statement ends, on all of them (a row may refer to one inserted beside it).
    Only the last write may read keys back."""
    if not writes:
        return
    if any(w.returning for w in writes[:-1]):
        raise ValueError("only the last of writes sent together reads its keys back")
    if connection.vendor == "postgresql" and len(writes) > 1:
        together = ", ".join(f"w{i} AS ({w.sql})" for i, w in enumerate(writes[:-1]))
        _send(
            Write(
                f"WITH {together} {writes[-1].sql}",
                [p for w in writes for p in w.params],
                writes[-1].instances,
                writes[-1].returning,
            ),
            connection,
        )
        for w in writes[:-1]:
            _saved(w.instances, connection)
        return
    for w in writes:
        _send(w, connection)


def _send(write: Write, connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        cursor.execute(write.sql, write.params)
        keys = cursor.fetchall() if write.returning else ()
    for instance, (pk, *_) in zip(write.instances, keys, strict=False):
        instance.pk = pk
    _saved(write.instances, connection)


def _saved(instances: Sequence[models.Model], connection: BaseDatabaseWrapper) -> None:
    for instance in instances:
        instance._state.adding, instance._state.db = False, connection.alias


def insert(instances: Sequence[models.Model], connection: BaseDatabaseWrapper) -> None:
    """Write new `instances` (all of one model) in one statement, as `bulk_create` writes them on
    this backend; an auto key is read back onto each."""
    if instances:
        written([inserting(instances, connection)], connection)


def update(instance: models.Model, names: Sequence[str], connection: BaseDatabaseWrapper) -> None:
    """Write `instance`'s fields `names` to its row (`updating`)."""
    written([updating(instance, names, connection)], connection)
