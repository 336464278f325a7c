from orders.models import EventKind
from tests.support.orders import item, make_order, update


def test_timeline_says_what_a_draft_did(account):
    order = make_order(account)
    reversal = item(2, -39800, related_item={"line_id": 1, "type": "reversed"})
    update(order, [reversal, item(3, 29800)])

    summaries = list(order.events.values_list("kind", "summary"))
    assert summaries == [
        (EventKind.DRAFT_COMPLETED, "Order created with 1 line, 398,00\xa0kr"),
        (
            EventKind.ORDER_UPDATED,
            "Lines 2-3 added: line 1 reversed (-398,00\xa0kr); 1 new line (298,00\xa0kr)",
        ),
    ]
