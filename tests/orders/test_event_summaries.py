from orders.models import EventKind
from orders.services.drafts import draft_complete, draft_create
from tests.support.orders import TEST_ACTOR, draft_input, item, make_order


def test_timeline_says_what_a_draft_did(account):
    order = make_order(account)
    reversal = item(2, -39800, related_item={"line_id": 1, "type": "reversed"})
    draft = draft_create(
        account=account,
        actor=TEST_ACTOR,
        **draft_input(
            {
                "options": {"order_id": order.order_id},
                "order": {"currency": "NOK", "items": [reversal, item(3, 29800)]},
            }
        ),
    )
    draft_complete(draft=draft, actor=TEST_ACTOR)

    summaries = list(order.events.values_list("kind", "summary"))
    assert summaries == [
        (EventKind.DRAFT_COMPLETED, "Order created with 1 line, 398,00\xa0kr"),
        (
            EventKind.ORDER_UPDATED,
            "Lines 2-3 added: line 1 reversed (-398,00\xa0kr); 1 new line (298,00\xa0kr)",
        ),
    ]
