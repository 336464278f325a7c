"""The words the API answers in, as Dintero's Orders API has them, beside the states we store.

Dintero's values: the changelog of https://docs.dintero.com/orders-api.html (2019-05-01: order
`status` open | closed | cancelled, draft `status` open | completed | deleted, `payment_status`
pending | partially_paid | paid | partially_refunded | refunded), and the Order example of
https://docs.dintero.com/api-reference/draft/complete-a-draft-order. `payment_status` is a
ledger rule (`orders.ledger.dintero_payment_status`); these two are names only.
"""

from django.db import models

from orders.models import DraftStatus, OrderStatus


class DinteroOrderStatus(models.TextChoices):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class DinteroDraftStatus(models.TextChoices):
    OPEN = "open"
    COMPLETED = "completed"
    # A deleted draft is gone from our database, so the filter finds none.
    DELETED = "deleted"


ORDER_STATUS = {
    OrderStatus.ACTIVE: DinteroOrderStatus.OPEN,
    OrderStatus.CLOSED: DinteroOrderStatus.CLOSED,
    OrderStatus.CANCELLED: DinteroOrderStatus.CANCELLED,
}
DRAFT_STATUS = {
    DraftStatus.OPEN: DinteroDraftStatus.OPEN,
    DraftStatus.COMPLETED: DinteroDraftStatus.COMPLETED,
}


def stored_values(mapping: dict, value: str) -> list[str]:
    """The stored states that answer as `value` (none for a Dintero state we do not keep)."""
    return [stored for stored, shown in mapping.items() if shown == value]
