"""Two simultaneous submissions of one payment form record once (row locks need PostgreSQL)."""

import pytest
from django.test import Client

from orders.models import OperationKind, PaymentOperation
from tests.support.orders import make_order
from tests.support.threads import at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_submissions_of_one_form_record_once(account, staff):
    order = make_order(account, authorized=True)
    user = staff["Customer service"]
    path = f"/{account.aid}/orders/{order.order_id}/capture/"
    viewer = Client()
    viewer.force_login(user)
    token = viewer.get(path).context["form"].initial["form_token"]
    data = {"payment_id": "PID_123", "form_token": token, "line_1": "100"}
    clients = [Client() for _ in range(4)]
    for client in clients:
        client.force_login(user)

    statuses = at_once(4, lambda i: clients[i].post(path, data).status_code)
    assert statuses == [302] * 4
    assert PaymentOperation.objects.filter(kind=OperationKind.CAPTURE).count() == 1
