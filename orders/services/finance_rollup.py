"""The finance rollup: successful operation items summed per account, local day, currency,
kind and VAT rate range (`FinanceDay`), kept in step with the operations they sum; and each of
those items as the CSV lists it (`FinanceEntry`), written with them.

Rows are only ever incremented, by one `INSERT … ON CONFLICT … DO UPDATE SET amount = amount +
excluded.amount` statement: the database applies each increment under the row's lock, so two
transactions recording operations on different orders never lose one another's figures. It runs
in the transaction that records the operations, as its last write, so the rollup row lock (the
one row every capture of the day shares) is held only until that commit.
"""

from collections.abc import Sequence

from django.conf import settings
from django.db import connection

from orders.models import FinanceDay, FinanceEntry, PaymentOperation

# An item's VAT: its share of the line's VAT, rounded half away from zero on absolute values.
# The same integer arithmetic as `finance.reports.item_vat()`, so the rollup, the drill-downs
# and the CSV agree to the minor unit.
ITEM_VAT = """CASE WHEN l.gross_amount = 0 THEN 0
     WHEN i.amount < 0 THEN 0 - (2 * abs(i.amount) * abs(l.tax_amount) + abs(l.gross_amount))
                                 / (2 * abs(l.gross_amount))
     ELSE (2 * abs(i.amount) * abs(l.tax_amount) + abs(l.gross_amount)) / (2 * abs(l.gross_amount))
END"""

# A line's VAT rate range as the finance pages label it: lowest and highest tax line
# percentage, 0 for a line without tax lines.
_RATE = "COALESCE((SELECT {fn}(t.percentage) FROM orders_taxline t WHERE t.line_id = i.line_id), 0)"

_KEY = "account_id, day, currency, kind, rate_min, rate_max"


def _entries_select(where: str) -> str:
    """The successful items of the operations matched by `where` (SQL on `p`, the operation),
    as `FinanceEntry` rows, in the CSV's order."""
    return f"""
SELECT o.account_id, p.created_at, p.id AS operation_id, o.order_id, o.currency, l.line_id,
       l.item_id AS sku, p.kind, i.amount, {ITEM_VAT} AS vat, {_RATE.format(fn="MIN")} AS rate_min,
       {_RATE.format(fn="MAX")} AS rate_max, p.payment_id, p.created_by
FROM orders_operationitem i
JOIN orders_paymentoperation p ON p.id = i.operation_id
JOIN orders_order o ON o.id = p.order_id
JOIN orders_orderline l ON l.id = i.line_id
WHERE p.success AND ({where})
ORDER BY p.created_at, p.id, l.line_id
"""


_ENTRY_INSERT = """INSERT INTO orders_financeentry (account_id, created_at, operation_id, order_id, currency,
    line_id, sku, kind, amount, vat, rate_min, rate_max, payment_id, created_by)"""


def _rollup_upsert_sql(entries: str) -> tuple[str, list]:
    """The statement adding `entries` (rows as `FinanceEntry` has them: a table, a common table
    expression or a subquery) to the rollup, and its leading parameters. Rows are upserted in
    key order so that concurrent statements lock shared rows in the same order."""
    day, day_params = connection.ops.datetime_cast_date_sql("e.created_at", (), settings.TIME_ZONE)
    sql = f"""
INSERT INTO orders_financeday ({_KEY}, amount, vat, items)
SELECT {_KEY}, amount, vat, items FROM (
    SELECT e.account_id, {day} AS day, e.currency, e.kind, e.rate_min, e.rate_max,
           SUM(e.amount) AS amount, SUM(e.vat) AS vat, COUNT(*) AS items
    FROM {entries} AS e
    GROUP BY 1, 2, 3, 4, 5, 6
) AS added
WHERE true
ORDER BY {_KEY}
ON CONFLICT ({_KEY}) DO UPDATE SET
    amount = orders_financeday.amount + excluded.amount,
    vat = orders_financeday.vat + excluded.vat,
    items = orders_financeday.items + excluded.items
"""
    return sql, list(day_params)


def finance_days_upsert_sql(where: str) -> tuple[str, list]:
    """The statement adding the successful items of the operations matched by `where` (SQL on
    `p`, the operation) to the rollup, and its leading parameters."""
    return _rollup_upsert_sql(f"({_entries_select(where)})")


def finance_entries_insert_sql(where: str) -> str:
    """The statement writing a `FinanceEntry` for each successful item of the operations matched
    by `where` (SQL on `p`, the operation), with the same VAT and rate range as the rollup, in
    the CSV's order: written as operations are recorded, the table's rows lie in time order, so
    a month's are read together."""
    return f"{_ENTRY_INSERT}{_entries_select(where)}"


def finance_entries_added_sql(where: str) -> tuple[str, list]:
    """On PostgreSQL, one statement writing the entries of the operations matched by `where` (SQL
    on `p`, the operation) and adding them to the rollup as they are written, and its parameters
    after those of `where`."""
    sql, params = _rollup_upsert_sql("written")
    return f"WITH written AS ({finance_entries_insert_sql(where)} RETURNING *) {sql}", params


def finance_days_add(operations: Sequence[PaymentOperation]) -> None:
    """Add the items of the successful ones among `operations` to the rollup, and write their
    entries. Call it in the transaction that wrote them, after every other write (it takes the
    shared rollup rows' locks). Failed operations move no money and are left out."""
    ids = [op.pk for op in operations if op.success]
    if not ids:
        return
    pk = PaymentOperation._meta.pk
    where = f"p.id IN ({', '.join(['%s'] * len(ids))})"
    values = [pk.get_db_prep_value(i, connection) for i in ids]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql, params = finance_entries_added_sql(where)
            cursor.execute(sql, [*values, *params])
            return
        sql, params = finance_days_upsert_sql(where)
        cursor.execute(finance_entries_insert_sql(where), values)
        cursor.execute(sql, [*params, *values])


def finance_days_rebuild(account_id: int) -> None:
    """Sum the account's rollup again from its operations, and write their entries again: for
    data whose operations were dated after they were recorded (the demo data), or to repair it.
    Call it inside a transaction."""
    FinanceDay.objects.filter(account_id=account_id).delete()
    FinanceEntry.objects.filter(account_id=account_id).delete()
    sql, params = finance_days_upsert_sql("o.account_id = %s")
    with connection.cursor() as cursor:
        cursor.execute(finance_entries_insert_sql("o.account_id = %s"), [account_id])
        cursor.execute(sql, [*params, account_id])
