import time

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from backoffice.db_router import REPLICA, replica_configured, replica_reads
from orders.models import ItemAmount, Order
from orders.services.operations import operation_record
from tests.support.orders import TEST_ACTOR, make_order

needs_replica = pytest.mark.skipif(not replica_configured(), reason="set DATABASE_REPLICA_URL")


@needs_replica
@pytest.mark.django_db(databases=["default", REPLICA], transaction=True)
def test_lag_tolerant_reads_go_to_the_replica_and_writes_stay_on_the_primary(account):
    order = make_order(account)
    with (
        CaptureQueriesContext(connections[REPLICA]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
        replica_reads(),
    ):
        list(Order.objects.filter(account=account))
        operation_record(
            order=order,
            kind="authorization",
            actor=TEST_ACTOR,
            items=[ItemAmount(1, 39800)],
            payment_id="P",
        )
    assert any('FROM "orders_order"' in q["sql"] for q in replica.captured_queries)
    assert any("FOR UPDATE" in q["sql"] for q in primary.captured_queries)
    assert not any(
        "FOR UPDATE" in q["sql"] or q["sql"].startswith(("INSERT", "UPDATE"))
        for q in replica.captured_queries
    )


@pytest.mark.django_db(databases=["default", REPLICA] if replica_configured() else ["default"])
def test_reads_outside_replica_reads_use_the_primary(account, django_assert_num_queries):
    with django_assert_num_queries(1, using="default"):
        list(Order.objects.filter(account=account))


def _on_a_real_replica() -> bool:
    if not replica_configured():
        return False
    primary, replica = connections["default"].settings_dict, connections[REPLICA].settings_dict
    return (primary["HOST"], primary["PORT"]) != (replica["HOST"], replica["PORT"])


@pytest.mark.skipif(not _on_a_real_replica(), reason="needs a streaming replica of its own (.ci/replica)")
@pytest.mark.django_db(databases=["default", REPLICA], transaction=True)
def test_a_lagging_replica_serves_lists_late_but_never_a_ledger_check(account, django_assert_num_queries):
    """Replay paused on the replica: a lag-tolerant read does not see a new order yet, while
    recording an operation on it (a ledger check under the order's lock) reads the primary."""
    primary, replica = connections["default"], connections[REPLICA]
    with replica.cursor() as cursor:
        assert cursor.connection.info.port != primary.settings_dict["PORT"]
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone() == (True,)
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        # This session's commits must not wait for the paused replica.
        with primary.cursor() as cursor:
            cursor.execute("SET synchronous_commit = local")
        order = make_order(account)
        with replica_reads():
            assert not Order.objects.filter(pk=order.pk).exists()  # the replica lags
            with django_assert_num_queries(0, connection=replica):
                operation_record(
                    order=order,
                    kind="authorization",
                    actor=TEST_ACTOR,
                    items=[ItemAmount(1, 39800)],
                    payment_id="P",
                )
        order.refresh_from_db()
        assert order.authorized_amount == 39800
    finally:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
        with primary.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")
    # Once replayed, the replica shows it.
    with replica.cursor() as cursor:
        for _ in range(100):
            cursor.execute("SELECT authorized_amount FROM orders_order WHERE id = %s", [order.pk])
            if cursor.fetchone() == (39800,):
                break
            time.sleep(0.05)
        else:
            pytest.fail("the replica never caught up")
