"""Plain SQL composed once per process for the hottest one-row reads (the ORM spent longer building these
queries on every request than the database spent answering them)."""

import functools
from typing import Any

from django.db import connection


@functools.cache
def row_by_sql(model: Any, field: str = "pk", *, for_update: bool = False, vendor: str = "") -> str:
    """`model.objects.get(<field>=%s)` (with `select_for_update()` when asked) as plain SQL: every concrete
    column, for `model.objects.raw(sql, [value])`. `vendor` keys the cache (call with connection.vendor)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in model._meta.concrete_fields)
    target = model._meta.pk if field == "pk" else model._meta.get_field(field)
    lock = " FOR UPDATE" if for_update and connection.features.has_select_for_update else ""  # not SQLite
    return f"SELECT {columns} FROM {quote(model._meta.db_table)} WHERE {quote(str(target.column))} = %s{lock}"  # noqa: S608
