"""A confirmation after a refund, in the customer's language, with what was refunded."""

import pytest
from django.core import mail

from customer_mail.models import CustomerEmail, Purpose
from orders.models import EventKind
from tests.support.orders import record

from .helpers import CUSTOMER, order_for, send_all

pytestmark = pytest.mark.django_db


def test_refund_confirmation_in_norwegian(account):
    order = order_for(account, captured=True)
    record(order, "refund", [(1, 10000)])
    record(order, "refund", [(1, 5050)])
    send_all()

    first, second = mail.outbox
    assert first.to == ["kari@example.no"]
    assert first.subject == f"Vi har refundert 100,00\xa0kr for bestilling {order.order_id}"
    assert "Hei Kari," in first.body
    assert "Vi har refundert 100,00\xa0kr for bestilling" in first.body
    assert "Til sammen" not in first.body
    # The second says what has been refunded in all.
    assert second.subject == f"Vi har refundert 50,50\xa0kr for bestilling {order.order_id}"
    assert "Til sammen er 150,50\xa0kr refundert" in second.body
    assert list(CustomerEmail.objects.values_list("purpose", flat=True)) == [Purpose.REFUND_CONFIRMATION] * 2
    sent = order.events.filter(kind=EventKind.CUSTOMER_EMAIL_SENT).order_by("id")
    assert [e.summary.split(" e-mailed")[0] for e in sent] == [
        "Refund confirmation (100,00\xa0kr)",
        "Refund confirmation (50,50\xa0kr)",
    ]


def test_refund_confirmation_in_english(account):
    order = order_for(account, captured=True, customer={**CUSTOMER, "locale": "en"})
    record(order, "refund", [(1, 39800)])
    send_all()

    (message,) = mail.outbox
    assert message.subject == f"We have refunded 398.00\xa0NOK for order {order.order_id}"
    assert message.body.startswith("Hello Kari,\n\nWe have refunded 398.00\xa0NOK for order")
    assert "payment method you used" in message.body
    assert message.extra_headers["Content-Language"] == "en"
    assert "in English" in order.events.get(kind=EventKind.CUSTOMER_EMAIL_SENT).summary


def test_a_failed_refund_owes_no_e_mail(account):
    order = order_for(account, captured=True)
    record(order, "refund", [(1, 10000)], success=False)
    assert not CustomerEmail.objects.exists()


def test_only_the_refund_is_e_mailed_not_the_authorization_or_capture(account):
    order_for(account, captured=True)
    assert not CustomerEmail.objects.exists()
