"""Prepared statements on PostgreSQL, for the statements whose plan does not depend on their
values: lookups and writes by key, the token check, a write's own statements.

The connections bind parameters on the server (settings: `server_side_binding`), and prepare
nothing by default. Inside `statements_prepared()`, psycopg prepares a statement the second
time the connection runs it, and PostgreSQL parses and plans it once for that connection. A
keyed capture's 16 statements took 5.4 ms of the database instead of 7.8 (its finance upsert
0.5 ms instead of 1.3).

Not everywhere: after five executions of a prepared statement PostgreSQL may switch to a plan
made without the values, and for the order list, its filters, sorts and search that plan was
measured three to four times slower (list 76 ms against 19 at 100,000 orders, search 93
against 32): their best plan depends on the values (how common a word is, how deep a page).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection

# Runs before the one that prepares (psycopg counts them): prepared the second time, since a
# statement run once is not worth preparing.
THRESHOLD = 1


@contextmanager
def statements_prepared() -> Iterator[None]:
    """Prepare the statements run inside, on the default connection (PostgreSQL, unless
    `DATABASE_PREPARED_STATEMENTS` is off)."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    before = raw.prepare_threshold
    raw.prepare_threshold = THRESHOLD
    try:
        yield
    finally:
        raw.prepare_threshold = before
