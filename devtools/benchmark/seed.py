"""A fast seeder for benchmark data on PostgreSQL: set-based INSERT … SELECT in chunks, two
chunks at a time, each in a transaction and on a connection of its own.

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
from concurrent.futures import ThreadPoolExecutor, as_completed

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from tqdm import tqdm

from backoffice.models import Account
from hooks.models import Delivery, Subscription
from orders.ledger import Figures, payment_status
from orders.models import DraftOrder, FinanceEntry, OperationItem, Order
from orders.services.finance_rollup import ITEM_VAT, finance_entries_added_sql
from orders.services.search_text import SEPARATOR, search_text_of

BENCH_AID = "T99999999"
_SEEDED = r"^B[0-9]{8}$"  # seeded orders' ids; the benchmark's own orders have generated ones

# The chunk's orders, lines and operations are worked out in temporary tables first, so that
# every row is written once, whole (the order with its totals and search text). Only the drafts'
# and the finance rows' statements read what the chunk wrote, through indexes a load keeps.
_PLAN = """
CREATE TEMP TABLE bench_o ON COMMIT DROP AS
SELECT i,
       md5('bench-order-' || i)::uuid AS id,
       'B' || lpad(i::text, 8, '0') AS order_id,
       1 + i %% 4 AS n_lines,
       i %% 10 AS state,
       (i %% 50 = 5) AS replaced,
       (ARRAY['NOK','NOK','NOK','NOK','NOK','NOK','NOK','SEK','SEK','EUR'])[1 + (i / 10) %% 10] AS currency,
       (ARRAY['Kari','Ola','Ingrid','Lars','Sofie','Emil','Nora','Jonas','Ida','Magnus'])[1 + i %% 10]
           AS first_name,
       (ARRAY['Nordmann','Hansen','Berg','Johansen','Larsen','Andersen','Pedersen','Nilsen',
              'Kristiansen','Jensen'])[1 + (i / 10) %% 10] AS last_name,
       'customer' || i || '@example.com' AS email,
       %(now)s - ((i::bigint * 7919) %% (3 * 365 * 24 * 60)) * interval '1 minute' AS created_at
FROM generate_series(%(lo)s, %(hi)s - 1) AS i
WHERE NOT EXISTS (SELECT FROM orders_order x  -- a chunk that stopped part way is completed
                  WHERE x.account_id = %(account)s AND x.order_id = 'B' || lpad(i::text, 8, '0'));
ANALYZE bench_o;

-- Base lines, with their ledger figures for the order's state, and their ids taken ahead.
CREATE TEMP TABLE bench_l ON COMMIT DROP AS
SELECT nextval(pg_get_serial_sequence('orders_orderline', 'id')) AS id, b.*,
       round(gross * rate / (100.0 + rate))::bigint AS tax,
       CASE WHEN state >= 2 THEN gross ELSE 0 END AS authorized,
       CASE WHEN state = 3 THEN (CASE WHEN line_id = 1 THEN gross / 2 ELSE 0 END)
            WHEN state BETWEEN 4 AND 8 THEN gross ELSE 0 END AS captured,
       CASE WHEN state = 7 THEN (CASE WHEN line_id = 1 THEN gross / 2 ELSE 0 END)
            WHEN state = 8 THEN gross ELSE 0 END AS refunded,
       CASE WHEN state = 9 THEN gross ELSE 0 END AS cancelled,
       '' AS reversed_reason, '' AS related_type, NULL::bigint AS related_line_id
FROM (SELECT o.i, o.id AS order_id, o.state, o.created_at, j AS line_id,
             ((o.i * 31 + j * 17) %% 200 + 1) * 1000 AS gross,
             1 + (o.i + j) %% 3 AS quantity,
             CASE WHEN (o.i + j) %% 4 = 0 THEN 15 ELSE 25 END AS rate,
             'SKU' || lpad(((o.i * 13 + j * 7) %% 50000)::text, 6, '0') AS sku
      FROM bench_o o, generate_series(1, o.n_lines) AS j) AS b;

-- Reversal of line 1 and its replacement, both authorized and captured, three days later.
INSERT INTO bench_l
SELECT nextval(pg_get_serial_sequence('orders_orderline', 'id')), l.i, l.order_id, l.state,
       l.created_at + interval '3 days', o.n_lines + r.k, r.sign * l.gross, l.quantity, l.rate,
       l.sku, r.sign * l.tax, r.sign * l.gross, r.sign * l.gross, 0, 0,
       CASE WHEN r.sign < 0 THEN 'Replace item' ELSE '' END,
       CASE WHEN r.sign < 0 THEN 'reversed' ELSE '' END,
       CASE WHEN r.sign < 0 THEN l.id END
FROM bench_o o
JOIN bench_l l ON l.i = o.i AND l.line_id = 1
CROSS JOIN (VALUES (1, -1), (2, 1)) AS r(k, sign)
WHERE o.replaced;
ANALYZE bench_l;

-- One operation per order and kind that moved money on some line.
CREATE TEMP TABLE bench_ops ON COMMIT DROP AS
SELECT md5('bench-op-' || o.i || k.kind)::uuid AS id, o.i, o.id AS order_id, k.kind,
       o.created_at + k.delay AS created_at, 'PAY' || o.i AS payment_id,
       sum(CASE k.kind WHEN 'authorization' THEN l.authorized WHEN 'capture' THEN l.captured
                       WHEN 'refund' THEN l.refunded ELSE l.cancelled END) AS amount
FROM bench_o o
JOIN bench_l l ON l.i = o.i
CROSS JOIN (VALUES ('authorization', interval '1 minute'), ('capture', interval '1 day'),
                   ('refund', interval '5 days'), ('cancellation', interval '2 days'))
           AS k(kind, delay)
WHERE CASE k.kind WHEN 'authorization' THEN l.authorized WHEN 'capture' THEN l.captured
                  WHEN 'refund' THEN l.refunded ELSE l.cancelled END <> 0
GROUP BY o.i, o.id, o.created_at, k.kind, k.delay;
ANALYZE bench_ops;
"""

# The order, with its lines' totals and the search text the services keep (`search_text_of`
# gives the same values, which `check_sample` verifies).
_ORDERS = """
INSERT INTO orders_order (id, account_id, order_id, currency, status, payment_status, customer,
    shipping_address, billing_address, store, merchant_reference, metadata, gross_amount,
    tax_amount, authorized_amount, captured_amount, refunded_amount, cancelled_amount,
    last_line_id, created_at, updated_at, cancelled_at, created_by, dintero, merchant_reference_2,
    multiple_authorizations, total_discount, total_manual_discount_amount, cancelled_by,
    cancelled_reason, closed_by, search_text)
SELECT o.id, %(account)s, o.order_id, o.currency,
       CASE WHEN o.state = 9 THEN 'CANCELLED' ELSE 'ACTIVE' END,
       (ARRAY['PENDING','PENDING','AUTHORIZED','PARTIALLY_CAPTURED','CAPTURED','CAPTURED',
              'CAPTURED','PARTIALLY_REFUNDED','REFUNDED','CANCELLED'])[o.state + 1],
       jsonb_build_object('first_name', o.first_name, 'last_name', o.last_name, 'email', o.email),
       '{}', '{}', '{}', '', '{}', t.gross, t.tax, t.authorized, t.captured, t.refunded, t.cancelled,
       o.n_lines + CASE WHEN o.replaced THEN 2 ELSE 0 END,
       o.created_at, o.created_at, CASE WHEN o.state = 9 THEN o.created_at END, 'benchmark',
       '{}', '', false, 0, 0, CASE WHEN o.state = 9 THEN 'benchmark' ELSE '' END, '', '',
       upper(concat_ws(E'\\n', o.order_id, o.email, o.first_name, o.last_name, v.lines, p.payment_id))
FROM bench_o o
JOIN (SELECT i, sum(gross) AS gross, sum(tax) AS tax, sum(authorized) AS authorized,
             sum(captured) AS captured, sum(refunded) AS refunded, sum(cancelled) AS cancelled
      FROM bench_l GROUP BY i) AS t ON t.i = o.i
JOIN (SELECT l.i, string_agg(DISTINCT v, E'\\n') AS lines
      FROM bench_l l, LATERAL (VALUES (l.sku), ('Product ' || l.sku)) AS x(v)
      GROUP BY l.i) AS v ON v.i = o.i
LEFT JOIN (SELECT DISTINCT i, payment_id FROM bench_ops) AS p ON p.i = o.i
ORDER BY o.i;

INSERT INTO orders_orderline (id, order_id, line_id, item_id, description, description_alias,
    quantity, gross_amount, tax_amount, reversed_reason, related_type, related_line_id, metadata,
    created_at, authorized_amount, captured_amount, refunded_amount, cancelled_amount, dintero,
    discount_amount, manual_discount_amount, vat_warning)
SELECT id, order_id, line_id, sku, 'Product ' || sku, '', quantity, gross, tax, reversed_reason,
       related_type, related_line_id, '{}', created_at, authorized, captured, refunded, cancelled,
       '{}', 0, 0, ''
FROM bench_l
ORDER BY i, line_id;

INSERT INTO orders_taxline (line_id, amount, percentage, dintero)
SELECT id, tax, rate, '{}' FROM bench_l ORDER BY i, line_id;

INSERT INTO orders_paymentoperation (id, order_id, kind, success, amount, payment_id,
    payment_details, authorization_id, processed_by, metadata, created_at, created_by)
SELECT id, order_id, kind, true, amount, payment_id,
       jsonb_build_object('payment_id', payment_id), '', '', '{}', created_at, 'api:benchmark'
FROM bench_ops
ORDER BY i, created_at;

INSERT INTO orders_operationitem (operation_id, line_id, payout, amount)
SELECT op.id, l.id, '{}', CASE op.kind WHEN 'authorization' THEN l.authorized
                                       WHEN 'capture' THEN l.captured
                                       WHEN 'refund' THEN l.refunded ELSE l.cancelled END
FROM bench_ops op JOIN bench_l l ON l.i = op.i
WHERE CASE op.kind WHEN 'authorization' THEN l.authorized WHEN 'capture' THEN l.captured
                   WHEN 'refund' THEN l.refunded ELSE l.cancelled END <> 0
ORDER BY op.i, op.created_at, l.line_id;

INSERT INTO orders_event (order_id, kind, summary, data, created_at, created_by, uuid, request)
SELECT id, 'draft_completed', 'order created', '{}', created_at, 'api:benchmark',
       md5('bench-event-' || id::text)::uuid, '{}'::jsonb
FROM bench_o
UNION ALL
SELECT order_id, kind || '_recorded', initcap(kind) || ' of ' || amount || ' (' || payment_id || ')',
       jsonb_build_object('operation_id', id::text, 'amount', amount), created_at, 'api:benchmark',
       md5('bench-event-' || id::text)::uuid, '{}'::jsonb
FROM bench_ops;
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


# Every seeded order was told once to the account's one webhook subscription (an ERP's): one
# delivery each, in the order the orders were made, sent at the first try or, every twentieth,
# after a 500. Neither statement reads the table it writes: a NOT EXISTS of the rows written so
# far was planned as a scan of them for every row written, which grew with the square of the
# rows (ten minutes for a million). A delivery already there is its event id's conflict; the
# attempts are those of the deliveries after the last one tried (read once, before).
BENCH_HOOK_URL = "https://erp.example.com/benchmark/hooks"
_DELIVERIES = """
INSERT INTO hooks_delivery (event_delivery, subscription_id, event, order_key, body, state,
    attempts, next_attempt_at, created_at, finished_at)
SELECT md5('bench-delivery-' || o.order_id)::uuid, %(subscription)s::uuid, 'shopping_order_update', o.id,
       json_build_object('id', md5('bench-delivery-' || o.order_id)::uuid,
                         'event', 'shopping_order_update', 'account_id', %(aid)s::text,
                         'order_id', o.order_id, 'created_at', o.created_at)::text,
       'succeeded', CASE WHEN substr(o.order_id, 2)::int %% 20 = 0 THEN 2 ELSE 1 END,
       o.created_at, o.created_at, o.created_at + interval '31 seconds'
FROM orders_order o
WHERE o.account_id = %(account)s AND o.order_id ~ %(seeded)s
ORDER BY o.created_at, o.id
ON CONFLICT (event_delivery) DO NOTHING;
ANALYZE hooks_delivery;
INSERT INTO hooks_attempt (id, delivery_id, subscription_id, number, url, request_headers,
    status_code, response_headers, response_body, error, success, started_at, duration_ms)
SELECT md5('bench-attempt-' || d.id || '-' || n)::uuid, d.id, d.subscription_id, n, %(url)s::text,
       '{"content-type": "application/json"}', CASE WHEN n < d.attempts THEN 500 ELSE 200 END,
       '{}', '', '', n = d.attempts, d.created_at + (n - 1) * interval '30 seconds', 40
FROM hooks_delivery d CROSS JOIN LATERAL generate_series(1, d.attempts) AS n
WHERE d.subscription_id = %(subscription)s
  AND d.id > COALESCE(
      (SELECT max(delivery_id) FROM hooks_attempt WHERE subscription_id = %(subscription)s), 0);
ANALYZE hooks_attempt
"""


def bench_subscription(account: Account) -> Subscription:
    subscription, _ = Subscription.objects.get_or_create(
        account=account,
        url=BENCH_HOOK_URL,
        # Turned off, so that the captures the benchmark times write no delivery: their figures
        # compare with the runs before the subscription was seeded.
        defaults={
            "events": ["shopping_order_update"],
            "created_by": "api:benchmark",
            "active": False,
            "deactivated_reason": "benchmark: its history only",
        },
    )
    return subscription


def seed_hooks(stdout=None) -> int:
    """Make sure every seeded order has its delivery to the benchmark's subscription, and each
    delivery its attempts. Returns how many deliveries were added."""
    account = bench_account()
    subscription = bench_subscription(account)
    params: dict[str, str | int] = {
        "account": account.pk,
        "aid": account.aid,
        "subscription": str(subscription.pk),
        "seeded": _SEEDED,
        "url": subscription.url,
    }
    if stdout:
        stdout.write("webhook deliveries of the seeded orders\n")
    seeded = Order.objects.filter(account=account, order_id__regex=_SEEDED).count()
    if Delivery.objects.filter(subscription=subscription).count() >= seeded:
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        statements = [statement for statement in _DELIVERIES.split(";\n") if statement.strip()]
        cursor.execute(statements[0], params)
        added = cursor.rowcount
        for statement in statements[1:]:
            cursor.execute(statement, params)
    return added


def bench_account() -> Account:
    account, _ = Account.objects.get_or_create(aid=BENCH_AID, defaults={"name": "Benchmark"})
    return account


# The tables a load fills. While it adds more orders than there are, their indexes that enforce
# nothing and that no statement of the load reads are dropped, and each is built once at the end:
# keeping them up to date row by row took most of the load's time, and left them larger than a
# build does. The tax lines keep theirs (the drafts' and the finance rows' VAT is read by line).
# Which indexes wait is kept in a table, so a load that stops half way builds them when resumed
# (until then the data has only the indexes that enforce something, and those the load reads).
_LOADED_TABLES = [
    "orders_order",
    "orders_orderline",
    "orders_paymentoperation",
    "orders_operationitem",
    "orders_event",
    "orders_draftorder",
    "orders_financeentry",
]
_WAITING = "benchmark_waiting_index"


def _drop_indexes(cursor) -> None:
    cursor.execute(f"CREATE TABLE IF NOT EXISTS {_WAITING} (name text PRIMARY KEY, definition text NOT NULL)")
    cursor.execute(
        f"""INSERT INTO {_WAITING}
        SELECT c.relname, pg_get_indexdef(c.oid)
        FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY(%s) AND pg_table_is_visible(t.oid) AND NOT x.indisunique
        ON CONFLICT (name) DO NOTHING""",
        [_LOADED_TABLES],
    )
    cursor.execute(f"SELECT name FROM {_WAITING}")
    for (name,) in cursor.fetchall():
        cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def _waiting(cursor) -> list[tuple[str, str]]:
    """The indexes a load dropped and has not built yet (this one's or one that stopped)."""
    cursor.execute("SELECT to_regclass(%s)", [_WAITING])
    if cursor.fetchone()[0] is None:
        return []
    cursor.execute(f"SELECT name, definition FROM {_WAITING} ORDER BY name")
    return cursor.fetchall()


def _build_indexes(cursor, waiting: list[tuple[str, str]], stdout=None) -> None:
    """Build the `waiting` indexes, each in its own transaction."""
    cursor.execute("SET maintenance_work_mem = '1GB'")  # each build sorts in memory
    for name, definition in tqdm(waiting, unit="indexes", desc="indexes", file=stdout):
        with transaction.atomic():
            cursor.execute("SELECT to_regclass(%s)", [f'"{name}"'])
            if cursor.fetchone()[0] is None:
                cursor.execute(definition)
            cursor.execute(f"DELETE FROM {_WAITING} WHERE name = %s", [name])
    cursor.execute("RESET maintenance_work_mem")


def _finish(cursor, clustered: bool, stdout=None) -> None:
    """Build the waiting indexes, putting the CSV's rows in time order first if they were
    written (`clustered`, or the index that orders them is waiting): as recording the
    operations one by one over the years would have laid them (the seeder writes them a chunk
    of orders at a time). CLUSTER writes the table and its indexes again, beside the old ones:
    done while the other indexes wait, that takes no more room than the load will."""
    waiting = _waiting(cursor)
    first = [(name, definition) for name, definition in waiting if name == "finance_entry_time"]
    _build_indexes(cursor, first, stdout)
    if clustered or first:
        cursor.execute("CLUSTER orders_financeentry USING finance_entry_time")
    if waiting:
        _build_indexes(cursor, [index for index in waiting if index not in first], stdout)
        cursor.execute(f"DROP TABLE {_WAITING}")
    # As autovacuum would soon after a load this size: statistics for the planner, and the
    # visibility map that lets the order list's counts read its index alone.
    cursor.execute("VACUUM (ANALYZE)")


def _missing(account: Account, lo: int, hi: int) -> bool:
    """Whether some of the seeded orders lo..hi-1 are missing (counted on the order id index)."""
    first, last = (f"B{i:08d}" for i in (lo, hi - 1))
    present = Order.objects.filter(account=account, order_id__range=(first, last), order_id__regex=_SEEDED)
    return present.count() < hi - lo


def _run(cursor, script: str, params: dict) -> int:
    """The statements of `script` one at a time (each ends a line with ";"): the app's
    connections bind parameters on the server, which takes one statement per call. Returns the
    rows the last one changed."""
    for statement in script.split(";\n"):
        if statement.strip():
            cursor.execute(statement, params)
    return cursor.rowcount


def _load_chunk(params: dict, drafts: bool) -> None:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for script in (_PLAN, _ORDERS, _DRAFTS) if drafts else (_PLAN, _ORDERS):
                _run(cursor, script, params)
            # The chunk's operations into the CSV's rows and the finance rollup, as the services
            # add them. The chunk's operation ids as an array: `IN (SELECT …)` was planned as a
            # nested loop over every operation seeded so far.
            cursor.execute(*finance_entries_added_sql("p.id = ANY(ARRAY(SELECT id FROM bench_ops))"))
    finally:
        connection.close()  # each chunk is loaded on a connection of its own


def seed(total: int, chunk: int = 20_000, stdout=None, workers: int = 2, drafts: bool = True) -> int:
    """Make sure the benchmark account has orders 1..total, each with the draft it was made
    from (unless not `drafts`), loading `workers` chunks at a time. Returns how many orders were
    added."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the benchmark seeder needs PostgreSQL: set DATABASE_URL")
    account = bench_account()
    have = Order.objects.filter(account=account, order_id__regex=_SEEDED).count()
    drafted = have
    if drafts:
        drafted = DraftOrder.objects.filter(account=account, created_by="api:benchmark").count()
    if have >= total and drafted >= have:
        with connection.cursor() as cursor:
            if _waiting(cursor):  # a load that stopped before its end
                _finish(cursor, False, stdout)
        seed_hooks(stdout)
        return 0
    if drafted < have:  # orders seeded before their drafts were
        with tqdm(total=have, initial=drafted, unit="drafts", desc="drafts", file=stdout) as bar:
            for lo in range(1, have + 1, chunk):
                hi = min(lo + chunk, have + 1)
                with transaction.atomic(), connection.cursor() as cursor:
                    _run(cursor, _DRAFTS, {"lo": lo, "hi": hi})
                bar.update(cursor.rowcount)
    if total - have > have:
        with connection.cursor() as cursor:
            _drop_indexes(cursor)
    now = timezone.now()
    chunks = [(lo, min(lo + chunk, total + 1)) for lo in range(1, total + 1, chunk)]
    chunks = [(lo, hi) for lo, hi in chunks if _missing(account, lo, hi)]
    with (
        tqdm(total=total, initial=have, unit="orders", desc="seeding", file=stdout) as bar,
        ThreadPoolExecutor(workers) as pool,
    ):
        loads = {}
        for lo, hi in chunks:
            params = {"lo": lo, "hi": hi, "account": account.pk, "now": now}
            loads[pool.submit(_load_chunk, params, drafts)] = hi - lo
        try:
            for done in as_completed(loads):
                done.result()
                bar.update(loads[done])
        except BaseException:  # the indexes still wait: the next run builds them
            pool.shutdown(cancel_futures=True)  # the chunks not started yet
            raise
    with connection.cursor() as cursor:
        _finish(cursor, total > have, stdout)
    seed_hooks(stdout)
    return max(total - have, 0)


def check_sample(size: int = 500, drafts: bool = True) -> None:
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
        if drafts:
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
