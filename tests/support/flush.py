"""A transactional test's flush on PostgreSQL: DELETE from every table instead of one TRUNCATE.

A transactional test (`transactional_db`, `live_server`) ends with Django's flush, which on
PostgreSQL truncates every table: a new file for each of them, on the primary and, through the
WAL, on the replica that CI's commits wait for. The tables hold the few rows one test wrote,
which a DELETE removes in milliseconds. The foreign keys Django makes on PostgreSQL are
DEFERRABLE INITIALLY DEFERRED, so the DELETEs, in one transaction, may come in any order; the
schema has no triggers a DELETE would fire where a TRUNCATE does not. A flush that resets
sequences or cascades is left to Django."""

from django.db.backends.postgresql.operations import DatabaseOperations

_truncate = DatabaseOperations.sql_flush


def _sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    if reset_sequences or allow_cascade:
        return _truncate(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
    return [
        f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables
    ]


def delete_instead_of_truncate() -> None:
    DatabaseOperations.sql_flush = _sql_flush  # type: ignore[method-assign]
