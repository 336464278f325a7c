import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from backoffice.db_router import REPLICA, replica_configured, replica_reads
from orders.models import Order
from orders.services.operations import operation_record
from tests.factories import TEST_ACTOR, make_order

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
            payload={"items": [{"line_id": 1, "amount": 39800}], "payment_details": {"payment_id": "P"}},
        )
    assert any('FROM "orders_order"' in q["sql"] for q in replica.captured_queries)
    assert any("FOR UPDATE" in q["sql"] for q in primary.captured_queries)
    assert not any(
        "FOR UPDATE" in q["sql"] or q["sql"].startswith(("INSERT", "UPDATE"))
        for q in replica.captured_queries
    )


@pytest.mark.django_db(databases=["default", REPLICA] if replica_configured() else ["default"])
def test_reads_outside_replica_reads_use_the_primary(account):
    with CaptureQueriesContext(connections["default"]) as primary:
        list(Order.objects.filter(account=account))
    assert len(primary.captured_queries) == 1
