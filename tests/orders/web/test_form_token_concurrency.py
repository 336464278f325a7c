"""Two simultaneous submissions of one payment form record once (row locks need PostgreSQL)."""

import threading

import pytest
from django.db import connection
from django.test import Client

from orders.models import OperationKind, PaymentOperation
from tests.support.orders import make_order, record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_submissions_of_one_form_record_once(account, staff):
    order = make_order(account)
    record(order, "authorization", [(1, 39800)])
    user = staff["Customer service"]
    path = f"/{account.aid}/orders/{order.order_id}/capture/"
    viewer = Client()
    viewer.force_login(user)
    token = viewer.get(path).context["form"].initial["form_token"]
    data = {"payment_id": "PID_123", "form_token": token, "line_1": "100"}
    barrier = threading.Barrier(4)
    statuses = []

    def submit():
        client = Client()
        client.force_login(user)
        barrier.wait()
        try:
            statuses.append(client.post(path, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [302] * 4
    assert PaymentOperation.objects.filter(kind=OperationKind.CAPTURE).count() == 1
