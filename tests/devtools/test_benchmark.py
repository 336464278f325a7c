"""The benchmark's parts, small: the seeder writes what the services would and resumes, and the
capture load test drives a real gunicorn over HTTP."""

import pytest
from django.db import connection

from devtools.benchmark.measure import capture_throughput, percentiles
from devtools.benchmark.seed import BENCH_AID, bench_account, check_sample, seed
from devtools.management.commands.benchmark import Command
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


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_capture_throughput_drives_gunicorn_over_http(monkeypatch):
    command = Command()
    account = bench_account()
    ids = command._authorized_orders(account, 12)
    _, token = command._token(account)
    # The servers it starts use this test's database, committed data only, without a replica.
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    monkeypatch.setenv(
        "DATABASE_URL", f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    )
    monkeypatch.delenv("DATABASE_REPLICA_URL", raising=False)

    load = capture_throughput(ids, account.aid, token, clients=4, workers=2)

    assert (load["requests"], load["ok"]) == (12, 12)
    assert load["rps"] > 0 and 0 < load["server_p50_ms"] <= load["p95_ms"]
    captured = Order.objects.filter(order_id__in=ids).values_list("captured_amount", flat=True)
    assert list(captured) == [1000] * 12


def test_percentiles():
    assert percentiles([float(n) for n in range(1, 101)]) == (50.5, 95.0)
