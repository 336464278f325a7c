"""Webhooks end to end: a real worker process (`manage.py worker`) on the test's PostgreSQL
database, sending to a real HTTP receiver on loopback."""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings

from backoffice.actor import Actor
from backoffice.models import ScheduledTask
from hooks.models import Attempt, Delivery, DeliveryState, Subscription
from hooks.services.subscriptions import SubscriptionSpec, subscription_create
from orders.services.events import note_add
from payments.models import ReconciliationRun
from tests.support.factories import AccountFactory
from tests.support.orders import item, make_order, record

from .receiver import Receiver, always
from .worker import FAST, running

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECRET = "a shared secret"
ORDER_EVENTS = ["shopping_order_update", "shopping_order_event_add", "shopping_draft_complete"]


@pytest.fixture
def shop(transactional_db):
    return AccountFactory(aid="T12345678", name="Demo shop")


def subscribe(account, url: str, events=ORDER_EVENTS, secret: str = SECRET) -> Subscription:
    spec = SubscriptionSpec(
        url=url,
        content_type="application/json",
        events=list(events),
        active=True,
        insecure_ssl=0,
        secret=secret,
    )
    return subscription_create(account=account, spec=spec, actor=Actor(system="tests"))


def owed_done(subscription=None) -> bool:
    pending = Delivery.objects.filter(state=DeliveryState.PENDING)
    if subscription is not None:
        pending = pending.filter(subscription=subscription)
    return not pending.exists()


def wait(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_events_arrive_signed_with_the_secret(shop):
    with Receiver() as receiver:
        subscription = subscribe(shop, f"{receiver.url}/erp")
        order = make_order(shop, [item(1)])
        record(order, "authorization", [(1, 39800)])
        with running():
            wait(lambda: owed_done(subscription))

    names = [r.event for r in receiver.events()]
    assert names[0] == "ping"
    assert sorted(names[1:]) == sorted(
        [
            "shopping_order_event_add",
            "shopping_draft_complete",
            "shopping_order_update",
            "shopping_order_event_add",
        ]
    )
    for request in receiver.events():
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha1).hexdigest()
        assert request.headers["event-signature"] == expected
        assert request.headers["content-type"] == "application/json"
        body = json.loads(request.body)
        assert body["account_id"] == shop.aid
        assert body["event"] == request.event
        assert body["event_delivery"] == request.delivery
    update = json.loads(receiver.events("shopping_order_update")[0].body)
    assert update["order"]["order_id"] == order.order_id
    assert update["order"]["authorized_amount"] == 39800
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SUCCEEDED}


def test_500_twice_then_200_is_received_three_times_with_one_id(shop):
    def script(request, seen):
        return (500 if seen < 2 else 200), 0.0

    with Receiver(script) as receiver:
        subscription = subscribe(shop, receiver.url)
        # Waits of 1 s then 2 s: far enough apart to tell on a busy machine.
        with running(HOOKS_RETRY_BASE_SECONDS="1"):
            wait(lambda: owed_done(subscription))

    pings = receiver.events("ping")
    assert len(pings) == 3
    assert len({p.delivery for p in pings}) == 1
    assert len({p.body for p in pings}) == 1 and len({p.headers["event-signature"] for p in pings}) == 1
    (delivery,) = Delivery.objects.all()
    assert str(delivery.event_delivery) == pings[0].delivery
    assert delivery.state == DeliveryState.SUCCEEDED and delivery.attempts == 3
    statuses = list(Attempt.objects.order_by("started_at").values_list("status_code", flat=True))
    assert statuses == [500, 500, 200]
    # The first retry waits the base delay, the next one longer.
    first_wait, second_wait = pings[1].at - pings[0].at, pings[2].at - pings[1].at
    assert first_wait >= 0.9
    assert second_wait > first_wait + 0.5


def test_a_worker_killed_mid_delivery_loses_nothing(shop):
    """SIGKILL while the receiver is still answering the first delivery; a new worker sends
    that one again (same event-delivery) once its lease runs out, and all the rest."""

    def script(request, seen):
        return 200, (3.0 if request.event == "ping" and seen == 0 else 0.0)

    with Receiver(script) as receiver:
        subscription = subscribe(shop, receiver.url)
        orders = [make_order(shop, [item(1)]) for _ in range(3)]
        for order in orders:
            note_add(order=order, text="hello", actor=Actor(system="tests"))
        owed = set(
            Delivery.objects.filter(subscription=subscription).values_list("event_delivery", flat=True)
        )
        with running() as (first,):
            receiver.wait_for(lambda: len(receiver.events()) == 1)
            first.kill()
        assert not owed_done(subscription)
        with running():
            wait(lambda: owed_done(subscription), timeout=60)

    received = [r.delivery for r in receiver.events()]
    assert {str(d) for d in owed} == set(received)  # nothing lost
    ping = receiver.events("ping")
    assert len(ping) == 2 and ping[0].delivery == ping[1].delivery  # at least once, one id
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SUCCEEDED}


def test_a_subscription_that_keeps_failing_is_turned_off(shop):
    with Receiver(always(500)) as receiver:
        subscription = subscribe(shop, receiver.url)
        # Four waits between five attempts: 0.1 + 0.2 + 0.4 + 0.8 s.
        with running(HOOKS_RETRY_BASE_SECONDS="0.1"):
            wait(lambda: owed_done(subscription))
        subscription.refresh_from_db()
        make_order(shop)

    assert len(receiver.events("ping")) == 5
    (delivery,) = Delivery.objects.all()
    assert delivery.state == DeliveryState.FAILED and delivery.attempts == 5
    assert subscription.active is False
    assert (
        "failed 5 times" in subscription.deactivated_reason and "HTTP 500" in subscription.deactivated_reason
    )
    # Turned off, it is owed nothing more.
    assert Delivery.objects.count() == 1


def test_deliveries_of_one_order_arrive_in_the_order_they_were_written(shop):
    """Order A's first delivery fails once: A's later ones wait for it, B's do not."""
    with Receiver() as receiver:
        subscription = subscribe(shop, receiver.url, ["shopping_order_update", "shopping_order_event_add"])
        a, b = make_order(shop, [item(1)]), make_order(shop, [item(1)])
        first_of_a = Delivery.objects.filter(order_key=a.pk).order_by("pk").first()
        for order in (a, b):
            record(order, "authorization", [(1, 39800)])
            record(order, "capture", [(1, 39800)])
            note_add(order=order, text="shipped", actor=Actor(system="tests"))

        def script(request, seen):
            failing = request.delivery == str(first_of_a.event_delivery) and seen == 0
            return (500 if failing else 200), 0.0

        receiver.script = script
        with running(HOOKS_RETRY_BASE_SECONDS="2"):
            wait(lambda: owed_done(subscription), timeout=60)

    by_id = {str(d.event_delivery): d for d in Delivery.objects.filter(subscription=subscription)}
    succeeded = [r for r in receiver.events() if r.event != "ping"]
    # The first try of A's first delivery failed; every other request succeeded.
    succeeded = [
        r for i, r in enumerate(succeeded) if not (r.delivery == str(first_of_a.event_delivery) and i == 0)
    ]
    for order in (a, b):
        arrived = [by_id[r.delivery].pk for r in succeeded if by_id[r.delivery].order_key == order.pk]
        assert arrived == sorted(arrived) and len(arrived) == len(set(arrived)) == 6
    b_done = max(r.at for r in succeeded if by_id[r.delivery].order_key == b.pk)
    a_retry = next(r.at for r in succeeded if r.delivery == str(first_of_a.event_delivery))
    assert b_done < a_retry  # B was not held up by A


def test_deliveries_never_go_to_private_addresses_without_the_setting(shop, settings):
    settings.HOOKS_ALLOW_PRIVATE_NETWORKS = True  # to make the subscription at all
    with Receiver() as receiver:
        subscription = subscribe(shop, receiver.url)
        with running(HOOKS_ALLOW_PRIVATE_NETWORKS="false"):
            wait(lambda: Attempt.objects.exists())
        attempt = Attempt.objects.get()

    assert receiver.events() == []
    assert attempt.status_code is None and not attempt.success
    assert "127.0.0.1" in attempt.error and "private" in attempt.error
    assert Delivery.objects.get(subscription=subscription).state == DeliveryState.PENDING  # retried later


def test_reconciliation_runs_on_the_schedule_once_per_period_across_workers(shop):
    with running(2, RECONCILE_EVERY_SECONDS="2"):
        wait(lambda: ReconciliationRun.objects.exists())
        started = time.monotonic()
        time.sleep(5)
        elapsed = time.monotonic() - started
    runs = ReconciliationRun.objects.count()
    # One per period (about three in the window, plus the first), not one per worker.
    assert 2 <= runs <= elapsed / 2 + 2, runs
    assert ScheduledTask.objects.filter(name="reconcile").exists()


@pytest.mark.django_db(transaction=False)
def test_the_worker_runs_on_sqlite_too(tmp_path):
    """The same command against a SQLite file: migrate, subscribe, run what is queued."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backoffice.settings_test",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DATABASE_REPLICA_URL": "",
        **FAST,
    }

    def manage(*args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            timeout=120,
            **kwargs,
        )

    manage("migrate", "--noinput", "-v", "0")
    with Receiver() as receiver:
        manage(
            "shell",
            "-c",
            "from backoffice.actor import Actor; from backoffice.models import Account; "
            "from hooks.services.subscriptions import SubscriptionSpec, subscription_create; "
            "a = Account.objects.create(aid='T12345678'); "
            f"subscription_create(account=a, spec=SubscriptionSpec(url='{receiver.url}', "
            "content_type='application/json', events=['shopping_order_update'], active=True, insecure_ssl=0, "
            "secret='x'), actor=Actor(system='tests'))",
        )
        manage("worker", "--batch", "--no-startup-delay", "-v", "0")

    assert [r.event for r in receiver.events()] == ["ping"]
