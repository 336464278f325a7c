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

from .finance import Scope, finance_rows
from .models import OperationItem
from .money import exponent

HEADER = [
    "date",
    "order id",
    "line",
    "SKU",
    "kind",
    "amount",
    "VAT",
    "currency",
    "payment id",
    "actor",
    "operation id",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


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


def row_cells(item: OperationItem) -> list[str]:
    operation = item.operation
    currency = operation.order.currency
    created = timezone.localtime(operation.created_at)
    return [
        cell(created.strftime("%Y-%m-%d %H:%M:%S")),
        cell(operation.order.order_id),
        cell(Number(item.line.line_id)),
        cell(item.line.item_id),
        cell(operation.kind),
        cell(major(item.amount, currency)),
        cell(major(item.vat, currency)),
        cell(currency),
        cell(operation.payment_id),
        cell(operation.created_by),
        cell(operation.id),
    ]


class _Echo:
    """A file whose `write` hands the line back, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(items: Iterable[OperationItem]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # A BOM so spreadsheet programs read the file as UTF-8.
    yield "\ufeff" + writer.writerow(HEADER)
    for item in items:
        yield writer.writerow(row_cells(item))


def export_lines(scope: Scope, using: str = "default") -> Iterator[str]:
    """The CSV of a scope, line by line, reading the rows in chunks."""
    return csv_lines(finance_rows(scope).using(using).iterator(chunk_size=CHUNK))
