from customer_mail.models import CustomerEmail
from customer_mail.services.sending import email_send
from tests.support.orders import item, make_order

CUSTOMER = {"first_name": "Kari", "last_name": "Nordmann", "email": "kari@example.no"}


def order_for(account, customer=CUSTOMER, **fields):
    """An order of the seed's line (398,00 kr) for `customer`."""
    return make_order(account, [item(1, 39800)], customer=customer, **fields)


def send_all() -> list[str]:
    """What the worker's tasks would do: each e-mail owed, sent once."""
    return [email_send(pk) for pk in CustomerEmail.objects.order_by("pk").values_list("pk", flat=True)]
