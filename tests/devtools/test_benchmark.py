"""The benchmark's parts, small: the seeder writes what the services would and resumes, and the
capture load test drives a real gunicorn over HTTP."""

import pytest
from django.db import connection

from devtools.benchmark.measure import capture_throughput, percentiles
from devtools.benchmark.seed import (
    BENCH_AID,
    _drop_indexes,
    bench_account,
    bench_subscription,
    check_sample,
    seed,
    seed_hooks,
)
from devtools.management.commands.benchmark import Command
from hooks.models import Attempt, Delivery
from orders.models import DraftOrder, Order, OrderLine, PaymentStatus


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_seeder_writes_what_the_services_would_and_resumes():
    assert seed(300, chunk=120) == 300
    check_sample(60)  # totals, statuses, operation items and the finance rollup agree
    orders = Order.objects.filter(account__aid=BENCH_AID)
    assert orders.count() == 300
    assert set(orders.values_list("payment_status", flat=True)) >= {
        PaymentStatus.PENDING,
        PaymentStatus.CAPTURED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.CANCELLED,
    }
    assert OrderLine.objects.filter(order__account__aid=BENCH_AID, related_type="reversed").exists()

    assert DraftOrder.objects.filter(completed_order__in=orders).count() == 300

    assert seed(300) == 0
    assert seed(360, chunk=120) == 60
    check_sample(60)
    # Orders seeded before their drafts get them on the next run.
    DraftOrder.objects.filter(completed_order__order_id__in=["B00000007", "B00000300"]).delete()
    assert seed(360, chunk=120) == 0
    assert DraftOrder.objects.filter(completed_order__in=orders).count() == 360
    check_sample(60)

    # Without the drafts (for a disk too small for them), and then with them.
    assert seed(420, chunk=120, drafts=False) == 60
    check_sample(60, drafts=False)
    assert DraftOrder.objects.filter(completed_order__in=orders).count() == 360
    assert seed(420, chunk=120) == 0
    assert DraftOrder.objects.filter(completed_order__in=orders).count() == 420

    # Each order was told once to the benchmark's webhook subscription, every twentieth after a
    # failed try; each run adds what its new orders were owed, in the order they were made.
    subscription = bench_subscription(bench_account())
    deliveries = Delivery.objects.filter(subscription=subscription)
    assert deliveries.count() == 420 and set(deliveries.values_list("order_key", flat=True)) == set(
        orders.values_list("pk", flat=True)
    )
    made = list(deliveries.order_by("pk").values_list("created_at", flat=True))
    assert made[:300] == sorted(made[:300])  # the first run's
    attempts = Attempt.objects.filter(subscription=subscription)
    assert attempts.count() == 420 + 21 and attempts.filter(status_code=500).count() == 21
    assert seed_hooks() == 0 and attempts.count() == 441


def _indexes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'orders_%%'")
        return {definition for (definition,) in cursor.fetchall()}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_load_builds_the_indexes_it_dropped_and_those_a_stopped_one_left():
    before = _indexes()
    assert seed(200, chunk=50) == 200  # more than there were: indexes dropped and built at the end
    assert _indexes() == before
    # A load that stopped before building them left their definitions; the next run builds them.
    with connection.cursor() as cursor:
        _drop_indexes(cursor)
        assert len(_indexes()) < len(before)
    assert seed(200) == 0
    assert _indexes() == before
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('benchmark_waiting_index')")
        assert cursor.fetchone() == (None,)
    check_sample(40)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_capture_throughput_drives_gunicorn_over_http(monkeypatch):
    command = Command()
    account = bench_account()
    ids = command._authorized_orders(account, 4 * 2 + 12)  # a round per worker to warm up, then 12
    _, token = command._token(account)
    # The servers it starts use this test's database, committed data only, without a replica.
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    monkeypatch.setenv(
        "DATABASE_URL", f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)

    load = capture_throughput(ids, account.aid, token, clients=4, workers=2)

    assert (load["warm_up"], load["warm_up_ok"], load["requests"], load["ok"]) == (8, 8, 12, 12)
    assert load["rps"] > 0 and 0 < load["server_p50_ms"] <= load["p95_ms"]
    captured = Order.objects.filter(order_id__in=ids).values_list("captured_amount", flat=True)
    assert list(captured) == [1000] * 20


@pytest.mark.django_db(databases="__all__")  # its queries are counted on every database
def test_a_page_is_timed_through_the_handler_and_by_its_server_timing(account, login):
    from devtools.benchmark.measure import time_page

    page = time_page(login("Administrator"), f"/{account.aid}/hooks/", repeat=5)

    assert (page.status, page.bytes) == (200, 0) and page.queries >= 3
    # The app's own time is a part of the time through the handler.
    assert 0 < page.app_p50_ms <= page.p50_ms and page.app_p50_ms <= page.app_p95_ms


def test_percentiles():
    assert percentiles([float(n) for n in range(1, 101)]) == (50.5, 95.0)


def test_targets_are_judged_each_way_and_growth_from_the_baseline():
    from devtools.benchmark.measure import Timing
    from devtools.management.commands.benchmark import Target

    assert Target("fast", "", 40, 50).met and not Target("slow", "", 75, 50).met
    assert Target("slow", "", 75, 50).distance == 1.5
    assert Target("streams", "", 25, 50, at_most=False).distance == 2.0
    assert not Target("streams", "", 0, 50, at_most=False).met
    names = [
        "order list, first page",
        "API list, first page",
        "work queues page",
        "order page, 100 lines",
        "finance page, last month",
        "finance drill-down, page 300",
        "trivial page (webhooks, one query of its own)",
        "API order read",
        "capture API (POST …/captures)",
        "webhooks page (a subscription told of every order)",
        "Hooks API deliveries, deep starting_after",
        "admin: order list, page 100",
    ]
    rows = [Timing(name, 10.0, 20.0, 3) for name in names]
    rows.append(Timing("CSV of last month (whole download)", 500.0, 510.0, 3, bytes=15_000_000))
    load = {"workers": 2, "clients": 8, "rps": 100.0, "server_p95_ms": 30.0, "p95_ms": 90.0}
    baseline = {"order list, first page": {"p50_ms": 5.0}, "API order read": {"p50_ms": 10.0}}

    targets = {t.what: t for t in Command()._targets(rows, [load], baseline)}

    assert targets["CSV of a month streams at ≥ 50 MB/s"].value == 30.0
    assert not targets["CSV of a month streams at ≥ 50 MB/s"].met
    assert targets["capture under load, 8 clients on 2 workers: ≥ 200 requests/s"].distance == 2.0
    grown = targets["no path grows more than 1.5x from the baseline's orders to these"]
    assert (grown.value, grown.met) == (2.0, False) and "order list, first page" in grown.measured
    assert targets["a staff page's overhead: ≤ 2 queries (session and user)"].value == 2
    # The trivial page and the API read are judged by the app's own time, as its Server-Timing
    # gives it, where it was recorded; else by the time through the handler.
    trivial = next(t for t in rows if t.name.startswith("trivial"))
    trivial.app_p50_ms, trivial.p50_ms = 4.5, 5.5
    targets = {t.what: t for t in Command()._targets(rows, [load], baseline)}
    judged = targets["a trivial staff page: p50 ≤ 5 ms of app time (Server-Timing)"]
    assert (judged.value, judged.met) == (4.5, True) and "5.5 through the handler" in judged.measured
    assert targets["API one-order read: p50 ≤ 5 ms of app time (Server-Timing)"].value == 10.0


def test_the_reference_loop_times_the_machine():
    from devtools.benchmark.measure import reference_loop_ms

    assert 0 < reference_loop_ms() < 60_000
