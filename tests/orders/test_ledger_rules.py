"""The ledger's pure rules, and the database constraints that hold them even if a service
were wrong."""

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from orders.ledger import Figures, limit_error, payment_status
from orders.models import OperationItem, OperationKind, Order, OrderLine, PaymentStatus
from tests.support.orders import item, make_order, record


@pytest.mark.parametrize(
    "totals, cancelled, expected",
    [
        ((1000, 0, 0, 0, 0), False, PaymentStatus.PENDING),
        ((1000, 400, 0, 0, 0), False, PaymentStatus.PARTIALLY_AUTHORIZED),
        ((1000, 1000, 0, 0, 0), False, PaymentStatus.AUTHORIZED),
        ((1000, 1000, 400, 0, 0), False, PaymentStatus.PARTIALLY_CAPTURED),
        ((1000, 1000, 1000, 0, 0), False, PaymentStatus.CAPTURED),
        ((1000, 1000, 600, 0, 400), False, PaymentStatus.CAPTURED),
        ((1000, 1000, 1000, 300, 0), False, PaymentStatus.PARTIALLY_REFUNDED),
        ((1000, 1000, 1000, 1000, 0), False, PaymentStatus.REFUNDED),
        ((1000, 1000, 0, 0, 1000), False, PaymentStatus.CANCELLED),
        ((1000, 0, 0, 0, 0), True, PaymentStatus.CANCELLED),
    ],
)
def test_payment_status(totals, cancelled, expected):
    assert payment_status(Figures(*totals), order_cancelled=cancelled) == expected


AUTH, CAPTURE, REFUND, CANCEL = (
    OperationKind.AUTHORIZATION,
    OperationKind.CAPTURE,
    OperationKind.REFUND,
    OperationKind.CANCELLATION,
)


@pytest.mark.parametrize(
    "kind, amount, figures, message",
    [
        (AUTH, 1001, (1000, 0, 0, 0, 0), "authorization 1001 exceeds the remaining to authorize 1000"),
        (CAPTURE, 600, (1000, 1000, 500, 0, 0), "capture 600 exceeds the remaining authorized 500"),
        (CAPTURE, 1, (1000, 1000, 500, 0, 500), "capture 1 exceeds the remaining authorized 0"),
        (
            CANCEL,
            501,
            (1000, 1000, 500, 0, 0),
            "cancellation 501 exceeds the remaining uncaptured authorized 500",
        ),
        (REFUND, 501, (1000, 1000, 500, 0, 0), "refund 501 exceeds the refundable 500"),
        (CAPTURE, -501, (-1000, -500, 0, 0, 0), "capture -501 exceeds the remaining authorized -500"),
    ],
)
def test_limit_error_names_line_and_amounts(kind, amount, figures, message):
    assert limit_error(kind, 4, amount, Figures(*figures)) == f"line 4: {message}"


@pytest.mark.parametrize(
    "kind, amount, figures",
    [
        (OperationKind.AUTHORIZATION, 1000, (1000, 0, 0, 0, 0)),
        (OperationKind.CAPTURE, 500, (1000, 1000, 500, 0, 0)),
        (OperationKind.REFUND, -500, (-1000, -1000, -500, 0, 0)),
    ],
)
def test_limit_error_lets_what_fits_through(kind, amount, figures):
    assert limit_error(kind, 1, amount, Figures(*figures)) is None


@pytest.fixture
def paid_line(account) -> OrderLine:
    """Line 1 of 39800: authorized 39800, captured 20000, refunded 5000."""
    order = make_order(account, [item(1, 39800)])
    record(order, "authorization", [(1, 39800)])
    record(order, "capture", [(1, 20000)])
    record(order, "refund", [(1, 5000)])
    return OrderLine.objects.get(order=order, line_id=1)


def violates(queryset, **changes) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**changes)


def test_constraints_refuse_an_over_capture(paid_line):
    violates(OrderLine.objects.filter(pk=paid_line.pk), captured_amount=F("captured_amount") + 19801)
    violates(OrderLine.objects.filter(pk=paid_line.pk), cancelled_amount=19801)


def test_constraints_refuse_an_over_authorization(paid_line):
    violates(OrderLine.objects.filter(pk=paid_line.pk), authorized_amount=39801)


def test_constraints_refuse_an_over_refund(paid_line):
    violates(OrderLine.objects.filter(pk=paid_line.pk), refunded_amount=20001)


def test_constraints_refuse_amounts_against_the_line_sign(paid_line):
    violates(OrderLine.objects.filter(pk=paid_line.pk), refunded_amount=-1)
    violates(OrderLine.objects.filter(pk=paid_line.pk), gross_amount=-39800)


def test_constraints_refuse_bad_lines(paid_line):
    lines = OrderLine.objects.filter(pk=paid_line.pk)
    violates(lines, quantity=0)
    violates(lines, line_id=0)
    violates(lines, tax_amount=39801)
    violates(lines, related_type="reversed")


def test_constraints_refuse_a_reused_line_id_or_order_id(paid_line, account):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrderLine.objects.create(order=paid_line.order, line_id=1, quantity=1, gross_amount=1)
    other = make_order(account, [item(1, 100)])
    violates(Order.objects.filter(pk=other.pk), order_id=paid_line.order.order_id)


def test_constraints_refuse_a_zero_operation_item(paid_line):
    violates(OperationItem.objects.filter(line=paid_line), amount=0)


def test_a_correct_update_passes(paid_line):
    OrderLine.objects.filter(pk=paid_line.pk).update(captured_amount=39800, refunded_amount=39800)
