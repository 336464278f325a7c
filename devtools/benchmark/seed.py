"""A fast seeder for benchmark data on PostgreSQL: set-based INSERT … SELECT in chunks.

Order i (1-based) is fully determined by i, so a run can be resumed and the data reused:
its payment state is i % 10 (0-1 pending, 2 authorized, 3 partially captured, 4-6 captured,
7 partially refunded, 8 refunded, 9 cancelled), it has 1 + i % 4 lines, and every fiftieth
order (i % 50 = 5, a captured one) had line 1 reversed and replaced. Each order comes with the
completed draft it was made from, as orders made through the API do. The rows are exactly what
the services would write for the same story, which `check_sample` verifies.

Each chunk's temporary tables are analyzed as soon as they are filled (autovacuum never visits
temporary tables), so the statements after them are planned on real row counts.
"""

import datetime as dt
from collections import defaultdict

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from backoffice.models import Account
from orders.ledger import Figures, payment_status
from orders.models import DraftOrder, FinanceEntry, OperationItem, Order
from orders.services.finance_rollup import ITEM_VAT, finance_days_upsert_sql, finance_entries_insert_sql
from orders.services.search_text import FILL_SQL, SEPARATOR, search_text_of

BENCH_AID = "T99999999"

_ORDERS = """
CREATE TEMP TABLE bench_o ON COMMIT DROP AS
SELECT i,
       md5('bench-order-' || i)::uuid AS id,
       1 + i %% 4 AS n_lines,
       i %% 10 AS state,
       (i %% 50 = 5) AS replaced,
       (ARRAY['NOK','NOK','NOK','NOK','NOK','NOK','NOK','SEK','SEK','EUR'])[1 + (i / 10) %% 10] AS currency,
       %(now)s - ((i::bigint * 7919) %% (3 * 365 * 24 * 60)) * interval '1 minute' AS created_at
FROM generate_series(%(lo)s, %(hi)s - 1) AS i;
ANALYZE bench_o;

INSERT INTO orders_order (id, account_id, order_id, currency, status, payment_status, customer,
    shipping_address, billing_address, store, merchant_reference, metadata, gross_amount,
    tax_amount, authorized_amount, captured_amount, refunded_amount, cancelled_amount,
    last_line_id, created_at, updated_at, cancelled_at, created_by, dintero, merchant_reference_2,
    multiple_authorizations, total_discount, total_manual_discount_amount, cancelled_by,
    cancelled_reason, closed_by, search_text)
SELECT id, %(account)s, 'B' || lpad(i::text, 8, '0'), currency,
       CASE WHEN state = 9 THEN 'CANCELLED' ELSE 'ACTIVE' END,
       (ARRAY['PENDING','PENDING','AUTHORIZED','PARTIALLY_CAPTURED','CAPTURED','CAPTURED',
              'CAPTURED','PARTIALLY_REFUNDED','REFUNDED','CANCELLED'])[state + 1],
       jsonb_build_object(
           'first_name', (ARRAY['Kari','Ola','Ingrid','Lars','Sofie','Emil','Nora','Jonas',
                                'Ida','Magnus'])[1 + i %% 10],
           'last_name', (ARRAY['Nordmann','Hansen','Berg','Johansen','Larsen','Andersen',
                               'Pedersen','Nilsen','Kristiansen','Jensen'])[1 + (i / 10) %% 10],
           'email', 'customer' || i || '@example.com'),
       '{}', '{}', '{}', '', '{}', 0, 0, 0, 0, 0, 0,
       n_lines + CASE WHEN replaced THEN 2 ELSE 0 END,
       created_at, created_at, CASE WHEN state = 9 THEN created_at END, 'benchmark',
       '{}', '', false, 0, 0, CASE WHEN state = 9 THEN 'benchmark' ELSE '' END, '', '', ''
FROM bench_o;
"""

# Base lines, with their ledger figures for the order's state.
_LINES = """
CREATE TEMP TABLE bench_l ON COMMIT DROP AS
SELECT o.i, o.id AS order_id, o.state, o.created_at, j AS line_id,
       ((o.i * 31 + j * 17) %% 200 + 1) * 1000 AS gross,
       1 + (o.i + j) %% 3 AS quantity,
       CASE WHEN (o.i + j) %% 4 = 0 THEN 15 ELSE 25 END AS rate,
       'SKU' || lpad(((o.i * 13 + j * 7) %% 50000)::text, 6, '0') AS sku
FROM bench_o o, generate_series(1, o.n_lines) AS j;
ANALYZE bench_l;

INSERT INTO orders_orderline (order_id, line_id, item_id, description, description_alias,
    quantity, gross_amount, tax_amount, reversed_reason, related_type, metadata, created_at,
    authorized_amount, captured_amount, refunded_amount, cancelled_amount, dintero,
    discount_amount, manual_discount_amount, vat_warning)
SELECT order_id, line_id, sku, 'Product ' || sku, '', quantity, gross,
       round(gross * rate / (100.0 + rate)), '', '', '{}', created_at,
       CASE WHEN state >= 2 THEN gross ELSE 0 END,
       CASE WHEN state = 3 THEN (CASE WHEN line_id = 1 THEN gross / 2 ELSE 0 END)
            WHEN state BETWEEN 4 AND 8 THEN gross ELSE 0 END,
       CASE WHEN state = 7 THEN (CASE WHEN line_id = 1 THEN gross / 2 ELSE 0 END)
            WHEN state = 8 THEN gross ELSE 0 END,
       CASE WHEN state = 9 THEN gross ELSE 0 END, '{}', 0, 0, ''
FROM bench_l;

-- Reversal of line 1 and its replacement, both authorized and captured.
INSERT INTO orders_orderline (order_id, line_id, item_id, description, description_alias,
    quantity, gross_amount, tax_amount, reversed_reason, related_type, related_line_id,
    metadata, created_at, authorized_amount, captured_amount, refunded_amount, cancelled_amount,
    dintero, discount_amount, manual_discount_amount, vat_warning)
SELECT l.order_id, o.n_lines + r.k, l.item_id,
       l.description, '', l.quantity, r.sign * l.gross_amount, r.sign * l.tax_amount,
       CASE WHEN r.sign < 0 THEN 'Replace item' ELSE '' END,
       CASE WHEN r.sign < 0 THEN 'reversed' ELSE '' END,
       CASE WHEN r.sign < 0 THEN l.id END,
       '{}', o.created_at + interval '3 days',
       r.sign * l.gross_amount, r.sign * l.gross_amount, 0, 0, '{}', 0, 0, ''
FROM bench_o o
JOIN orders_orderline l ON l.order_id = o.id AND l.line_id = 1
CROSS JOIN (VALUES (1, -1), (2, 1)) AS r(k, sign)
WHERE o.replaced;

INSERT INTO orders_taxline (line_id, amount, percentage, dintero)
SELECT l.id, l.tax_amount, CASE WHEN (o.i + CASE WHEN l.line_id > o.n_lines THEN 1
                                                 ELSE l.line_id END) %% 4 = 0
                                THEN 15 ELSE 25 END, '{}'
FROM bench_o o JOIN orders_orderline l ON l.order_id = o.id;
"""

# One operation per order and kind, with an item for every line that kind touched.
_OPERATIONS = """
CREATE TEMP TABLE bench_ops ON COMMIT DROP AS
SELECT md5('bench-op-' || o.i || k.kind)::uuid AS id, o.id AS order_id, k.kind,
       o.created_at + k.delay AS created_at, 'PAY' || o.i AS payment_id,
       sum(CASE k.kind WHEN 'authorization' THEN l.authorized_amount
                       WHEN 'capture' THEN l.captured_amount
                       WHEN 'refund' THEN l.refunded_amount
                       ELSE l.cancelled_amount END) AS amount
FROM bench_o o
JOIN orders_orderline l ON l.order_id = o.id
CROSS JOIN (VALUES ('authorization', interval '1 minute'), ('capture', interval '1 day'),
                   ('refund', interval '5 days'), ('cancellation', interval '2 days'))
           AS k(kind, delay)
WHERE CASE k.kind WHEN 'authorization' THEN l.authorized_amount
                  WHEN 'capture' THEN l.captured_amount
                  WHEN 'refund' THEN l.refunded_amount
                  ELSE l.cancelled_amount END <> 0
GROUP BY o.i, o.id, o.created_at, k.kind, k.delay;
ANALYZE bench_ops;

INSERT INTO orders_paymentoperation (id, order_id, kind, success, amount, payment_id,
    payment_details, authorization_id, processed_by, metadata, created_at, created_by)
SELECT id, order_id, kind, true, amount, payment_id,
       jsonb_build_object('payment_id', payment_id), '', '', '{}', created_at, 'api:benchmark'
FROM bench_ops;

INSERT INTO orders_operationitem (operation_id, line_id, payout, amount)
SELECT op.id, l.id, '{}',
       CASE op.kind WHEN 'authorization' THEN l.authorized_amount
                    WHEN 'capture' THEN l.captured_amount
                    WHEN 'refund' THEN l.refunded_amount
                    ELSE l.cancelled_amount END AS amount
FROM bench_ops op JOIN orders_orderline l ON l.order_id = op.order_id
WHERE CASE op.kind WHEN 'authorization' THEN l.authorized_amount
                   WHEN 'capture' THEN l.captured_amount
                   WHEN 'refund' THEN l.refunded_amount
                   ELSE l.cancelled_amount END <> 0;

INSERT INTO orders_event (order_id, kind, summary, data, created_at, created_by, uuid, request)
SELECT id, 'draft_completed', 'order created', '{}', created_at, 'api:benchmark',
       md5('bench-event-' || id::text)::uuid, '{}'::jsonb
FROM bench_o
UNION ALL
SELECT order_id, kind || '_recorded', initcap(kind) || ' of ' || amount || ' (' || payment_id || ')',
       jsonb_build_object('operation_id', id::text, 'amount', amount), created_at, 'api:benchmark',
       md5('bench-event-' || id::text)::uuid, '{}'::jsonb
FROM bench_ops;

UPDATE orders_order o
SET gross_amount = s.gross, tax_amount = s.tax, authorized_amount = s.a, captured_amount = s.c,
    refunded_amount = s.r, cancelled_amount = s.x
FROM (SELECT l.order_id, sum(gross_amount) AS gross, sum(tax_amount) AS tax,
             sum(authorized_amount) AS a, sum(captured_amount) AS c,
             sum(refunded_amount) AS r, sum(cancelled_amount) AS x
      FROM orders_orderline l JOIN bench_o b ON b.id = l.order_id
      GROUP BY l.order_id) AS s
WHERE o.id = s.order_id;
"""


# The completed draft each order was made from, as `draft_create` and `draft_complete` leave it:
# its document holds the order's first lines (a reversal and its replacement came later).
_DRAFTS = """
INSERT INTO orders_draftorder (id, account_id, options, document, status, completed_order_id,
    created_at, updated_at, completed_at, created_by)
SELECT md5('bench-draft-' || i)::uuid, o.account_id, '{"generate_order_id": "ALPHANUMERIC_9"}',
       jsonb_build_object(
           'currency', o.currency,
           'customer', o.customer,
           'items', (SELECT jsonb_agg(jsonb_build_object(
                         'id', l.item_id, 'line_id', l.line_id, 'quantity', l.quantity,
                         'gross_amount', l.gross_amount, 'description', l.description,
                         'tax_lines', (SELECT jsonb_agg(jsonb_build_object(
                                           'amount', t.amount, 'percentage', t.percentage))
                                       FROM orders_taxline t WHERE t.line_id = l.id))
                         ORDER BY l.line_id)
                     FROM orders_orderline l
                     WHERE l.order_id = o.id AND l.line_id <= 1 + i %% 4)),
       'COMPLETED', o.id, o.created_at, o.created_at, o.created_at, 'api:benchmark'
FROM generate_series(%(lo)s, %(hi)s - 1) AS i
JOIN orders_order o ON o.id = md5('bench-order-' || i)::uuid
ON CONFLICT (id) DO NOTHING;
"""


def bench_account() -> Account:
    account, _ = Account.objects.get_or_create(aid=BENCH_AID, defaults={"name": "Benchmark"})
    return account


def seed(total: int, chunk: int = 20_000, stdout=None) -> int:
    """Make sure the benchmark account has orders 1..total, each with the draft it was made
    from. Returns how many orders were added."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the benchmark seeder needs PostgreSQL: set DATABASE_URL")
    account = bench_account()
    # Seeded orders are B and 8 digits; the benchmark's own orders have generated ids.
    have = Order.objects.filter(account=account, order_id__regex=r"^B[0-9]{8}$").count()
    drafted = DraftOrder.objects.filter(account=account, created_by="api:benchmark").count()
    if have >= total and drafted >= have:
        return 0
    now = timezone.now()
    if drafted < have:  # orders seeded before their drafts were
        with tqdm(total=have, initial=drafted, unit="drafts", desc="drafts", file=stdout) as bar:
            for lo in range(1, have + 1, chunk):
                hi = min(lo + chunk, have + 1)
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(_DRAFTS, {"lo": lo, "hi": hi})
                bar.update(cursor.rowcount)
    with tqdm(total=total, initial=have, unit="orders", desc="seeding", file=stdout) as bar:
        for lo in range(have + 1, total + 1, chunk):
            hi = min(lo + chunk, total + 1)
            params: dict[str, int | dt.datetime] = {"lo": lo, "hi": hi, "account": account.pk, "now": now}
            with transaction.atomic(), connection.cursor() as cursor:
                for sql in (_ORDERS, _LINES, _OPERATIONS, _DRAFTS):
                    cursor.execute(sql, params)
                # What the order search looks in, as the services keep it.
                cursor.execute(FILL_SQL.format(where="o.id = ANY(ARRAY(SELECT id FROM bench_o))"))
                # The chunk's operations into the finance rollup, as the services add them.
                # The chunk's operation ids as an array: `IN (SELECT …)` was planned as a nested
                # loop over every operation seeded so far, which made seeding quadratic.
                chunk_ops = "p.id = ANY(ARRAY(SELECT id FROM bench_ops))"
                cursor.execute(*finance_days_upsert_sql(chunk_ops))
                cursor.execute(finance_entries_insert_sql(chunk_ops))  # and their CSV rows
            bar.update(hi - lo)
    with connection.cursor() as cursor:
        if total > have:
            # The CSV's rows in time order, as recording the operations one by one over the
            # years would have laid them; the seeder writes them a chunk of orders at a time.
            cursor.execute("CLUSTER orders_financeentry USING finance_entry_time")
        # As autovacuum would soon after a load this size: statistics for the planner, and the
        # visibility map that lets the order list's counts read its index alone.
        cursor.execute("VACUUM (ANALYZE)")
    return max(total - have, 0)


def check_sample(size: int = 500) -> None:
    """The seeded rows obey the ledger: totals match lines and the status matches the totals."""
    account = bench_account()
    for order in Order.objects.filter(account=account).order_by("?")[:size]:
        lines = list(order.lines.all())
        totals = Figures(
            gross=sum(x.gross_amount for x in lines),
            authorized=sum(x.authorized_amount for x in lines),
            captured=sum(x.captured_amount for x in lines),
            refunded=sum(x.refunded_amount for x in lines),
            cancelled=sum(x.cancelled_amount for x in lines),
        )
        assert (
            order.gross_amount,
            order.authorized_amount,
            order.captured_amount,
            order.refunded_amount,
            order.cancelled_amount,
        ) == (totals.gross, totals.authorized, totals.captured, totals.refunded, totals.cancelled), (
            order.order_id
        )
        expected = payment_status(totals, order_cancelled=order.is_cancelled)
        assert order.payment_status == expected, (order.order_id, order.payment_status, expected)
        for line in lines:
            items: dict[str, int] = defaultdict(int)  # every operation of a kind, not the last
            for op in order.operations.all():
                items[op.kind] += sum(i.amount for i in op.items.filter(line=line))
            assert items.get("authorization", 0) == line.authorized_amount, order.order_id
            assert items.get("capture", 0) == line.captured_amount, order.order_id
        draft = DraftOrder.objects.get(completed_order=order, target_order=None)
        by_id = {line.line_id: line for line in lines}
        assert draft.items, order.order_id
        for item in draft.items:
            line = by_id[item["line_id"]]
            assert (line.gross_amount, line.quantity) == (item["gross_amount"], item["quantity"])
        assert draft.document["currency"] == order.currency, order.order_id
        held = set(order.search_text.split(SEPARATOR))
        assert held == set(search_text_of(order).split(SEPARATOR)), order.order_id
        # One CSV row for each successful item, with its amount.
        entries = FinanceEntry.objects.filter(operation__order=order)
        successful = OperationItem.objects.filter(operation__order=order, operation__success=True)
        assert sorted(entries.values_list("operation_id", "line_id", "amount")) == sorted(
            successful.values_list("operation_id", "line__line_id", "amount")
        ), order.order_id
    check_finance_days()


# The rollup rows of a stretch of days, and the same sums computed from the items.
_ROLLUP_DIFF = """
WITH items AS (
    SELECT o.account_id, {day} AS day, o.currency, p.kind,
           COALESCE((SELECT MIN(t.percentage) FROM orders_taxline t WHERE t.line_id = i.line_id), 0),
           COALESCE((SELECT MAX(t.percentage) FROM orders_taxline t WHERE t.line_id = i.line_id), 0),
           SUM(i.amount) AS amount, SUM({vat}) AS vat, COUNT(*) AS items
    FROM orders_operationitem i
    JOIN orders_paymentoperation p ON p.id = i.operation_id
    JOIN orders_order o ON o.id = p.order_id
    JOIN orders_orderline l ON l.id = i.line_id
    WHERE p.success AND o.account_id = %s AND p.created_at >= %s AND p.created_at < %s
    GROUP BY 1, 2, 3, 4, 5, 6
), days AS (
    SELECT account_id, day, currency, kind, rate_min, rate_max, amount, vat, items
    FROM orders_financeday
    WHERE account_id = %s AND day >= %s AND day < %s
)
(SELECT 'items' AS side, * FROM (SELECT * FROM items EXCEPT SELECT * FROM days) a)
UNION ALL
(SELECT 'rollup', * FROM (SELECT * FROM days EXCEPT SELECT * FROM items) b)
LIMIT 20
"""


def check_finance_days(days: int = 45) -> None:
    """The finance rollup of the benchmark account equals the sums of its items over the `days`
    days before today (every day, if `days` is 0)."""
    account = bench_account()
    last = timezone.localdate() + dt.timedelta(days=1)
    first = last - dt.timedelta(days=days + 1) if days else dt.date(1970, 1, 1)
    start, end = (timezone.make_aware(dt.datetime.combine(d, dt.time.min)) for d in (first, last))
    day, day_params = connection.ops.datetime_cast_date_sql("p.created_at", (), settings.TIME_ZONE)
    with connection.cursor() as cursor:
        cursor.execute(
            _ROLLUP_DIFF.format(day=day, vat=ITEM_VAT),
            [*day_params, account.pk, start, end, account.pk, first, last],
        )
        differences = cursor.fetchall()
    assert not differences, differences
