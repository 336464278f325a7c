from django.core.management import call_command

from orders.models import Order, OrderLine, PaymentStatus


def test_seed_demo_covers_every_payment_status_and_can_run_twice(db, capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    call_command("seed_demo")
    second = capsys.readouterr().out

    orders = Order.objects.filter(account__aid="T12345678")
    assert set(orders.values_list("payment_status", flat=True)) == set(PaymentStatus.values)
    assert OrderLine.objects.filter(related_type="reversed").exists()
    assert orders.count() == int(first.split("Created ")[1].split()[0])
    assert "already there" in second
    for login in ("cs / backoffice-demo", "finance / backoffice-demo", "admin / backoffice-demo"):
        assert login in second
    assert "client_secret" in second


def test_the_demos_finance_rollup_follows_its_back_dated_operations(db):
    """The finance page reads the rollup and its drill-down and CSV read the operations: after
    the demo dates its operations over two months, both say the same, day by day."""
    from collections import Counter

    from django.utils import timezone

    from orders.models import FinanceDay, OperationItem

    call_command("seed_demo")
    from_items: Counter = Counter()
    for item in OperationItem.objects.filter(
        operation__success=True, operation__order__account__aid="T12345678"
    ):
        operation = item.operation
        day = timezone.localtime(operation.created_at).date()
        from_items[(day, operation.order.currency, operation.kind)] += item.amount
    rollup: Counter = Counter()
    for row in FinanceDay.objects.filter(account__aid="T12345678"):
        rollup[(row.day, row.currency, row.kind)] += row.amount
    assert rollup == from_items
    assert len({day for day, _, _ in rollup}) > 20  # spread over the two months, not all today
