from orders.models import OperationKind, OrderStatus, PaymentStatus
from orders.services.operations import order_cancel
from tests.support.orders import TEST_ACTOR, item, make_order, record


def cancellations(order):
    return {
        (op.payment_id, i.line.line_id): i.amount
        for op in order.operations.filter(kind=OperationKind.CANCELLATION)
        for i in op.items.all()
    }


def test_cancel_splits_over_payment_ids_even_when_earlier_cancellations_named_another(account):
    order = make_order(account, [item(1, 39800), item(2, 10000)])
    record(order, "authorization", [(1, 30000)], payment_id="P1")
    record(order, "authorization", [(1, 9800), (2, 10000)], payment_id="P2")
    # a partial cancellation recorded under a payment id that never authorized the line
    record(order, "cancellation", [(1, 5000)], payment_id="OTHER")

    order = order_cancel(order=order, actor=TEST_ACTOR)

    assert order.status == OrderStatus.CANCELLED
    assert order.payment_status == PaymentStatus.CANCELLED
    line1, line2 = order.lines.order_by("line_id")
    assert line1.cancelled_amount == line1.authorized_amount == 39800
    assert line2.cancelled_amount == 10000
    assert cancellations(order) == {("OTHER", 1): 5000, ("P1", 1): 30000, ("P2", 1): 4800, ("P2", 2): 10000}


def test_cancel_of_a_reversal_line_keeps_its_sign(account):
    # line 2 reverses line 1
    order = make_order(account, authorized=True, reversed=[1], payment_id="P1")
    record(order, "authorization", [(2, -39800)], payment_id="P1")

    order = order_cancel(order=order, actor=TEST_ACTOR)
    assert cancellations(order) == {("P1", 1): 39800, ("P1", 2): -39800}
