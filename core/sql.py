"""Plain SQL composed once per process for the hottest statements: one-row reads, and the bid batch's INSERTs
and UPDATE (the ORM spent longer building these queries on every request than the database spent
answering them)."""

import functools
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections


def _select_where(model: Any, field: str) -> str:
    """SELECT every concrete column of `model` FROM its table WHERE <field's column> (the comparison follows)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in model._meta.concrete_fields)
    target = model._meta.pk if field == "pk" else model._meta.get_field(field)
    return f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {quote(str(target.column))}"  # noqa: S608


@functools.cache
def row_by_sql(model: Any, field: str = "pk", *, for_update: bool = False, vendor: str = "") -> str:
    """`model.objects.get(<field>=%s)` (with `select_for_update()` when asked) as plain SQL: every concrete
    column, for `row_instance(model, sql, [value])`. `vendor` keys the cache (call with connection.vendor)."""
    lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""  # not SQLite
    return f"{_select_where(model, field)} = %s{lock}"


@functools.cache
def _row_reader(model: Any, vendor: str) -> tuple[list[str], list[tuple[int, list[Any], Any]]]:
    """The attribute names of `row_by_sql`'s columns and, per column that has any, the converters the ORM
    applies to its value (backend first, then the field's), as the SQL compiler pairs them."""
    names, converters = [], []
    for index, field in enumerate(model._meta.concrete_fields):
        names.append(field.attname)
        column = field.get_col(model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    return names, converters


def row_instance(model: Any, sql: str, params: list[Any]) -> Any:
    """The one row `sql` (from `row_by_sql`) finds, as a model instance built as `objects.raw()` builds it
    (`from_db` with the ORM's converters), or None."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else _instance(model, row)


def _instance(model: Any, row: tuple[Any, ...]) -> Any:
    names, converters = _row_reader(model, connection.vendor)
    values = list(row)
    for index, found, column in converters:
        for convert in found:
            values[index] = convert(values[index], column, connection)
    return model.from_db(connection.alias, names, values)


@functools.cache
def _insert_parts(model: Any, vendor: str, returns_rows: bool) -> tuple[str, str, tuple[Any, ...], str]:
    quote = connection.ops.quote_name
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key and not f.generated)
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "  # noqa: S608
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    returning = f" RETURNING {quote(model._meta.pk.column)}" if returns_rows else ""
    return head, row, fields, returning


def insert_rows(objs: list[Any]) -> None:
    """`Model.objects.bulk_create(objs)` for new rows of one model with an auto-increment key, as one INSERT
    composed once per process: each value prepared by its field as bulk_create prepares it (`pre_save`,
    `get_db_prep_save`), no signals (bulk_create sends none). Sets each object's pk where the database
    returns it (RETURNING: MariaDB, SQLite, PostgreSQL; one row: the last insert id, as `save()` reads it);
    otherwise the pks stay None, as with bulk_create."""
    if not objs:
        return
    db = connections[DEFAULT_DB_ALIAS]  # `connection` itself is a proxy: a lookup on every use by every field
    returns_rows = db.features.can_return_rows_from_bulk_insert
    model: Any = type(objs[0])
    head, row, fields, returning = _insert_parts(model, db.vendor, returns_rows)
    params = [f.get_db_prep_save(f.pre_save(obj, True), db) for obj in objs for f in fields]
    with db.cursor() as cursor:
        cursor.execute(head + ", ".join([row] * len(objs)) + returning, params)
        if returning:
            ids = cursor.fetchall()
        elif len(objs) == 1:
            ids = [(db.ops.last_insert_id(cursor, model._meta.db_table, model._meta.pk.column),)]
        else:
            ids = [(None,)] * len(objs)
    for obj, (pk,) in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = db.alias


@functools.cache
def _update_parts(model: Any, field_names: tuple[str, ...], vendor: str) -> tuple[str, tuple[Any, ...]]:
    quote = connection.ops.quote_name
    fields = tuple(model._meta.get_field(name) for name in field_names)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    return f"UPDATE {table} SET {assignments} WHERE {pk} = %s", fields  # noqa: S608


def update_row(instance: Any, field_names: tuple[str, ...]) -> int:
    """`Model.objects.filter(pk=instance.pk).update(<name>=instance.<name>, ...)` as one UPDATE composed once
    per process (values prepared by their fields; no `auto_now`, as with update()). Returns the row count."""
    db = connections[DEFAULT_DB_ALIAS]
    model: Any = type(instance)
    sql, fields = _update_parts(model, field_names, db.vendor)
    params = [f.get_db_prep_save(getattr(instance, f.attname), db) for f in fields]
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])
        return int(cursor.rowcount)
