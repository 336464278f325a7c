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
