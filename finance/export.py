"""The CSV of the operation items behind any finance figure, streamed row by row.

Amounts are written as plain numbers in the currency's major unit (`-398.00`), so a
spreadsheet sums them; text cells that a spreadsheet would read as a formula (starting with
`=`, `+`, `-`, `@`, a tab or a carriage return) are prefixed with `'`. Only text is escaped:
a negative amount is a number, not a formula.

On PostgreSQL the database writes the CSV itself (`COPY … TO STDOUT`: the same cells, written by
the same rules in SQL) from the items' entries (`FinanceEntry`, one table in time order), so a
month of a million orders streams at the speed of one index range rather than of a Python loop
per row over a join; elsewhere the rows are written here, one by one.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal

import psycopg
from babel.numbers import get_currency_precision, list_currencies
from django.db import connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from orders.money import exponent

from .reports import Scope, finance_entries, finance_rows, rate_label

HEADER = [
    "date",
    "order id",
    "line",
    "SKU",
    "kind",
    "amount",
    "VAT",
    "VAT rate",
    "currency",
    "payment id",
    "actor",
    "operation id",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 500


class Number:
    """A cell that is a number and must stay one."""

    __slots__ = ("value",)

    def __init__(self, value: Decimal | int):
        self.value = value

    def __str__(self) -> str:
        return str(self.value)


def cell(value: object) -> str:
    """A CSV cell: numbers as they are, text defused against formula injection."""
    if isinstance(value, Number):
        return str(value)
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def major(amount: int, currency: str) -> Number:
    """Minor units as a decimal number in the major unit: 39800 NOK -> 398.00."""
    return Number(Decimal(amount).scaleb(-exponent(currency)))


# The columns read for each row: plain tuples, so a chunk of rows stays small in memory.
COLUMNS = (
    "operation__created_at",
    "operation__order__order_id",
    "line__line_id",
    "line__item_id",
    "operation__kind",
    "amount",
    "vat",
    "rate_min",
    "rate_max",
    "operation__order__currency",
    "operation__payment_id",
    "operation__created_by",
    "operation_id",
)


def row_cells(row: tuple) -> list[str]:
    (
        created,
        order_id,
        line_id,
        sku,
        kind,
        amount,
        vat,
        rate_min,
        rate_max,
        currency,
        payment_id,
        actor,
        op,
    ) = row
    return [
        cell(timezone.localtime(created).strftime("%Y-%m-%d %H:%M:%S")),
        cell(order_id),
        cell(Number(line_id)),
        cell(sku),
        cell(kind),
        cell(major(amount, currency)),
        cell(major(vat, currency)),
        cell(rate_label(rate_min, rate_max)),
        cell(currency),
        cell(payment_id),
        cell(actor),
        cell(op),
    ]


class _Echo:
    """A file whose `write` hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[tuple]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\n")  # as PostgreSQL's COPY ends its lines
    # A BOM so spreadsheet programs read the file as UTF-8.
    yield "\ufeff" + writer.writerow(HEADER)
    # csv.writer quotes a cell holding a character of its line ending: with "\n" alone, a cell
    # holding a carriage return would be written bare, and read as a line break. Such a row is
    # written with "\r\n", which quotes it as COPY does, and ended with "\n".
    quoting_returns = csv.writer(_Echo(), lineterminator="\r\n")
    for row in rows:
        cells = row_cells(row)
        if any("\r" in text for text in cells):
            yield quoting_returns.writerow(cells)[:-2] + "\n"
        else:
            yield writer.writerow(cells)


def export_lines(scope: Scope, using: str = "default") -> Iterator[str] | Iterator[bytes]:
    """The CSV of a scope, line by line (or, on PostgreSQL, block by block), reading the rows in
    chunks. What it depends on (the time zone) is read now, not once the response streams."""
    if connections[using].vendor == "postgresql":
        entries = finance_entries(scope).using(using).values_list(*ENTRY_COLUMNS)
        return _copied(using, *_copy_statement(entries, timezone.get_current_timezone_name()))
    return csv_lines(finance_rows(scope).using(using).values_list(*COLUMNS).iterator(chunk_size=CHUNK))


# PostgreSQL -------------------------------------------------------------------------------------

# Currencies whose minor unit is not a hundredth (JPY 0, KWD 3, …), for `major()` in SQL: their
# codes, which PostgreSQL tests each row against as a hashed set, and their digits.
EXPONENTS = {c: e for c in sorted(list_currencies()) if (e := get_currency_precision(c)) != 2}
# Bytes of the response written at a time: COPY sends each row as a message of its own.
BLOCK = 64 * 1024


def _text_sql(column: str) -> str:
    """`cell()` of a text column in SQL; an empty text is written as nothing, as csv.writer does.

    Each of FORMULA_STARTS is a byte below "A", so a text that is not, compared byte by byte
    (`COLLATE "C"`: no collation's rules), cannot start with one; the others are looked up with
    `strpos` in the string of them (a third faster than `= ANY` of an array). Comparing first
    halves what the six text columns of a month's CSV cost at a million orders (55 -> 25 ms): an
    order id, a SKU, a kind or a currency seldom starts with a digit or a sign."""
    defused = f"'''' || {column}"
    below_a = f"{column} COLLATE \"C\" < 'A'"
    formula = f"{below_a} AND strpos(%(formula)s, left({column}, 1)) > 0 AND {column} <> ''"
    return f"CASE WHEN {formula} THEN {defused} ELSE NULLIF({column}, '') END"


def _major_sql(column: str) -> str:
    """`major()` in SQL: minor units as a decimal number with the currency's digits. Hundredths,
    nearly every row's, are a multiplication (`39800 * 0.01` is `398.00`: the scale of 0.01).
    Asking every row's currency of the JSON of digits and dividing cost each amount column 45 ms
    of a month's 330 ms of `COPY` at a million orders; this way the month takes 270 ms."""
    digits = "COALESCE((%(exponents)s::jsonb ->> currency)::int, 2)"
    other = f"round({column}::numeric / 10::numeric ^ {digits}, {digits})"
    return f"CASE WHEN currency = ANY(%(odd_currencies)s) THEN {other} ELSE {column} * 0.01 END"


RATE_SQL = (  # rate_label() in SQL
    "trim_scale(rate_min)::text"
    " || CASE WHEN rate_min = rate_max THEN '' ELSE '-' || trim_scale(rate_max)::text END || ' %%'"
)
CELLS_SQL = ", ".join(
    [
        # The local time to the second, as a timestamp's text reads in the ISO DateStyle that
        # psycopg requires (to_char costs twice as much).
        "date_trunc('second', created_at AT TIME ZONE %(time_zone)s)::text",
        _text_sql("order_id"),
        "line_id",
        _text_sql("sku"),
        _text_sql("kind"),
        _major_sql("amount"),
        _major_sql("vat"),
        RATE_SQL,
        _text_sql("currency"),
        _text_sql("payment_id"),
        _text_sql("created_by"),
        "operation_id",
    ]
)


# COLUMNS as the entries hold them (`orders.models.FinanceEntry`), one table in time order: at a
# million orders a month's 15 MB stream in ~0.25 s, where the items joined at random to their
# operations, orders, lines and tax lines took 1.2 s.
ENTRY_COLUMNS = (
    "created_at",
    "order_id",
    "line_id",
    "sku",
    "kind",
    "amount",
    "vat",
    "rate_min",
    "rate_max",
    "currency",
    "payment_id",
    "created_by",
    "operation_id",
)


def _copy_statement(rows: QuerySet, time_zone: str) -> tuple[str, dict]:
    """`COPY` of `rows` (`finance_entries(…).values_list(*ENTRY_COLUMNS)`), each written as
    `row_cells` writes it, and its parameters."""
    sql, params = rows.query.sql_with_params()
    aliases = ", ".join(ENTRY_COLUMNS)  # values_list selects its columns in the order named
    # The inner query's placeholders are numbered, so that the statement's own can be named.
    numbered = {f"p{i}": value for i, value in enumerate(params)}
    pieces = sql.split("%s")
    inner = pieces[0] + "".join(f"%(p{i})s{piece}" for i, piece in enumerate(pieces[1:]))
    statement = (
        f"COPY (SELECT {CELLS_SQL} FROM ({inner}) AS row ({aliases})"
        " ORDER BY created_at, operation_id, line_id) TO STDOUT (FORMAT csv)"
    )
    return statement, numbered | {
        "time_zone": time_zone,
        "formula": "".join(FORMULA_STARTS),
        "exponents": json.dumps(EXPONENTS),
        "odd_currencies": list(EXPONENTS),
    }


# The entries are read in the order of the index `finance_entry_time`, which is the order they
# are written in (its correlation is 1), but the planner costs each of its rows as a random read
# and picks a bitmap scan and a sort of the whole range instead: at a million orders a month's
# 109,000 rows were sorted on disk, 50 ms of a 330 ms download. Without sorting (for the
# export's own transaction) the index scan streams them in order in 25 ms.
IN_INDEX_ORDER = "SET LOCAL enable_sort = off"


def _copied(using: str, statement: str, params: dict) -> Iterator[bytes]:
    yield ("\ufeff" + csv.writer(_Echo(), lineterminator="\n").writerow(HEADER)).encode()
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(IN_INDEX_ORDER)
        # The parameters bound here: Django's cursor (in DEBUG, its logging one) copies a
        # statement alone.
        bound = psycopg.ClientCursor(cursor.connection).mogrify(statement, params)
        with cursor.copy(bound) as copy:
            yield from _blocks(copy)


def _blocks(copy) -> Iterator[bytes]:
    """COPY's rows, BLOCK bytes at a time."""
    block = bytearray()
    for data in copy:
        block += data
        if len(block) >= BLOCK:
            yield bytes(block)
            block.clear()
    if block:
        yield bytes(block)
