"""The daily rollup holds exactly the sums of the successful operation items, whatever mix of
operations, reversals, failures and cancellations wrote them, and loses no increment when
operations on different orders are recorded at the same moment."""

import datetime as dt
import importlib
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from finance.reports import vat_share
from orders.models import FinanceDay, FinanceEntry, OperationItem, Order, PaymentOperation
from orders.services.operations import order_cancel
from tests.support.api import complete, draft_new
from tests.support.orders import TEST_ACTOR, draft_body, item, make_order, record
from tests.support.threads import at_once

UTC = dt.UTC


def from_items() -> dict[tuple, dict[str, int]]:
    """The rollup computed in Python from the items: local day, rounded VAT share, rate range."""
    sums: dict[tuple, dict[str, int]] = defaultdict(lambda: {"amount": 0, "vat": 0, "items": 0})
    items = OperationItem.objects.filter(operation__success=True).select_related("operation__order", "line")
    for it in items.prefetch_related("line__tax_lines"):
        rates = [t.percentage for t in it.line.tax_lines.all()] or [Decimal(0)]
        op = it.operation
        key = (
            op.order.account_id,
            timezone.localtime(op.created_at).date(),
            op.order.currency,
            op.kind,
            min(rates).normalize(),
            max(rates).normalize(),
        )
        sums[key]["amount"] += it.amount
        sums[key]["vat"] += vat_share(it.amount, it.line.tax_amount, it.line.gross_amount)
        sums[key]["items"] += 1
    return dict(sums)


def rollup() -> dict[tuple, dict[str, int]]:
    return {
        (r.account_id, r.day, r.currency, r.kind, r.rate_min.normalize(), r.rate_max.normalize()): {
            "amount": r.amount,
            "vat": r.vat,
            "items": r.items,
        }
        for r in FinanceDay.objects.all()
    }


@pytest.fixture
def recorded_at(monkeypatch):
    """`recorded_at(moment)`: operations written from now on get that `created_at`."""
    field = PaymentOperation._meta.get_field("created_at")

    def set_moment(moment: dt.datetime) -> None:
        monkeypatch.setattr(field, "_get_default", lambda: moment)

    return set_moment


def two_rates(line_id: int, gross: int) -> dict:
    """A line with VAT at 25 % and 12 % on halves of it: its own row, 12-25 %."""
    half = gross // 2
    return item(
        line_id,
        gross,
        tax_lines=[
            {"amount": round(half * 25 / 125), "percentage": 25},
            {"amount": round((gross - half) * 12 / 112), "percentage": 12},
        ],
    )


def random_story(rng: random.Random, order: Order, api) -> None:
    """Random operations within what each line allows, failed ones, a reversal, a cancellation."""
    kinds = ["authorization", "capture", "refund", "cancellation"]
    for _ in range(rng.randint(3, 9)):
        order.refresh_from_db()
        if order.is_cancelled:
            return
        lines = list(order.lines.all())
        line = rng.choice(lines)
        kind = rng.choice(kinds)
        room = {
            "authorization": line.gross_amount - line.authorized_amount,
            "capture": line.authorized_amount - line.captured_amount - line.cancelled_amount,
            "cancellation": line.authorized_amount - line.captured_amount - line.cancelled_amount,
            "refund": line.captured_amount - line.refunded_amount,
        }[kind]
        success = rng.random() > 0.2
        if not room and success:
            continue
        amount = (room or line.gross_amount or 1) if rng.random() < 0.5 else max(1, abs(room) // 3)
        amount = abs(amount) * line.sign
        # Authorizations and cancellations on one payment id: cancelling the order cancels what
        # is left per payment id.
        pid = f"PID_{rng.randint(1, 3)}" if kind in ("capture", "refund") else "PID_1"
        record(order, kind, [(line.line_id, amount)], payment_id=pid, success=success)
    order.refresh_from_db()
    roll = rng.random()
    if roll < 0.3 and not order.captured_amount and not order.is_cancelled:
        order_cancel(order=order, actor=TEST_ACTOR, reason="test")
    elif roll < 0.7 and not order.is_cancelled and order.account.aid == api.aid:
        # Line 1 reversed and replaced at another rate, both authorized and captured.
        first = order.lines.get(line_id=1)
        new_id = order.last_line_id + 1
        undo = item(
            new_id,
            -first.gross_amount,
            tax_lines=[{"amount": -t.amount, "percentage": t.percentage} for t in first.tax_lines.all()],
            related_item={"line_id": 1, "type": "reversed"},
            reversed_reason="Replace item",
        )
        body = draft_body([undo, item(new_id + 1, 12345, 15)], order.order_id, order.currency)
        response = complete(api, draft_new(api, body)["id"])
        assert response.status_code == 200, response.content
        pairs = [(new_id, -first.gross_amount), (new_id + 1, 12345)]
        record(order, "authorization", pairs)
        record(order, "capture", pairs)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollup_equals_the_items_after_a_random_mix(account, other_account, api, recorded_at, seed):
    rng = random.Random(seed)
    # Around local midnight (23:00 UTC is the next day in Oslo in winter) and a DST change.
    moments = [
        dt.datetime(2026, 1, 10, 22, 59, tzinfo=UTC),
        dt.datetime(2026, 1, 10, 23, 1, tzinfo=UTC),
        dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC),
        timezone.now(),
    ]
    for n in range(12):
        recorded_at(rng.choice(moments))
        lines = [item(1, rng.randint(100, 99_999), rng.choice([25, 15, 12, 0]))]
        if n % 3 == 0:
            lines.append(two_rates(2, rng.randint(100, 99_999)))
        shop = account if n % 4 else other_account
        order = make_order(shop, lines, currency=rng.choice(["NOK", "SEK", "EUR"]))
        random_story(rng, order, api)

    assert rollup() == from_items()
    assert PaymentOperation.objects.filter(success=False).exists()


def test_failed_operations_move_no_figure(account):
    order = make_order(account, [item(1, 39800, 25)])
    record(order, "authorization", [(1, 39800)], success=False)
    assert not FinanceDay.objects.exists()
    record(order, "authorization", [(1, 39800)])
    record(order, "capture", [(1, 39800)], success=False)
    assert [(r.kind, r.amount, r.vat, r.items) for r in FinanceDay.objects.all()] == [
        ("authorization", 39800, 7960, 1)
    ]


def test_the_migration_backfill_equals_the_running_rollup(account, api):
    for n in range(3):
        order = make_order(account, [item(1, 1000 * (n + 1), 25), two_rates(2, 777)], currency="SEK")
        record(order, "authorization", [(1, 1000 * (n + 1)), (2, 777)])
        record(order, "capture", [(1, 500), (2, 777)])
        record(order, "refund", [(2, 333)])
    before = rollup()
    FinanceDay.objects.all().delete()

    migration = importlib.import_module("orders.migrations.0004_finance_day")
    migration.backfill(None, type("Editor", (), {"connection": connection})())

    assert rollup() == before == from_items()


# Simultaneous writers -------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_captures_on_different_orders_lose_no_increment(account):
    count = 16
    orders = []
    for n in range(count):
        # Every order shares the 25 % row; half of them also the two-rate one.
        lines = [item(1, 10_000 + n, 25)] + ([two_rates(2, 5_000 + n)] if n % 2 else [])
        orders.append((make_order(account, lines, authorized=True), lines))

    def capture(i: int) -> None:
        order, lines = orders[i]
        record(order, "capture", [(line["line_id"], line["gross_amount"]) for line in lines])
        if i % 3 == 0:
            record(order, "refund", [(1, 100)])

    at_once(count, capture)

    assert rollup() == from_items()
    captured = FinanceDay.objects.get(kind="capture", rate_min=25, rate_max=25)
    assert captured.items == count
    assert captured.amount == sum(10_000 + n for n in range(count))
    # Each item's CSV row too, once.
    entries = FinanceEntry.objects.filter(kind="capture", rate_min=25, rate_max=25)
    assert sorted(entries.values_list("amount", flat=True)) == [10_000 + n for n in range(count)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_order_cancellations_and_authorizations_lose_no_increment(account):
    count = 12
    orders = []
    for n in range(count):
        order = make_order(account, [item(1, 20_000 + n, 15), two_rates(2, 3_000 + n)])
        for pid in ("PID_A", "PID_B"):
            record(order, "authorization", [(1, 100), (2, 100)], payment_id=pid)
        orders.append(order)

    def cancel_or_authorize(i: int) -> None:
        if i % 2:
            order_cancel(order=orders[i], actor=TEST_ACTOR)
        else:
            record(orders[i], "authorization", [(1, 1000)], payment_id="PID_C")

    at_once(count, cancel_or_authorize)

    assert rollup() == from_items()
    assert FinanceDay.objects.get(kind="cancellation", rate_min=15).items == 2 * count // 2


# Its storage --------------------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rollup_row_is_updated_on_its_own_page(account):
    """Each operation adds to rows that were written before: their new versions fit on their
    pages (heap-only updates, pruned there), so the table grows with the days and not with the
    operations. On full pages, nearly every update would move its row and add to the index."""
    first = timezone.localdate() - dt.timedelta(days=400)
    FinanceDay.objects.bulk_create(
        FinanceDay(
            account=account,
            day=first + dt.timedelta(days=n),
            currency="NOK",
            kind="capture",
            rate_min=25,
            rate_max=25,
            amount=100,
            vat=20,
            items=1,
        )
        for n in range(400)
    )
    with connection.cursor() as cursor:

        def counters() -> tuple[int, int]:
            # A backend's counts reach the view when it is next idle, after this statement.
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'orders_financeday'"
            )
            return cursor.fetchone()

        before = counters()
        size = pg_relation_size(cursor)
        for row in FinanceDay.objects.filter(account=account).order_by("day"):
            FinanceDay.objects.filter(pk=row.pk).update(amount=row.amount + 100, items=row.items + 1)
        updated, hot = (after - earlier for after, earlier in zip(counters(), before, strict=True))
        assert updated == 400
        assert hot >= 0.9 * updated, (updated, hot)
        assert pg_relation_size(cursor) == size


def pg_relation_size(cursor) -> int:
    cursor.execute("SELECT pg_relation_size('orders_financeday')")
    return cursor.fetchone()[0]
