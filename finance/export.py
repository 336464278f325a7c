"""The CSV of the operation items behind any finance figure, streamed row by row.

Amounts are written as plain numbers in the currency's major unit (`-398.00`), so a
spreadsheet sums them; text cells that a spreadsheet would read as a formula (starting with
`=`, `+`, `-`, `@`, a tab or a carriage return) are prefixed with `'`. Only text is escaped:
a negative amount is a number, not a formula.
"""

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.utils import timezone

from orders.money import exponent

from .reports import Scope, finance_rows, rate_label

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
    writer = csv.writer(_Echo())
    # A BOM so spreadsheet programs read the file as UTF-8.
    yield "\ufeff" + writer.writerow(HEADER)
    for row in rows:
        yield writer.writerow(row_cells(row))


def export_lines(scope: Scope, using: str = "default") -> Iterator[str]:
    """The CSV of a scope, line by line, reading the rows in chunks."""
    rows = finance_rows(scope).using(using).values_list(*COLUMNS)
    return csv_lines(rows.iterator(chunk_size=CHUNK))
