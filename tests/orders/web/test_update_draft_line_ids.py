"""Staff building two update drafts of one order at once: the lines they add are numbered when
each draft completes, so both complete."""

from orders.models import OrderLine
from tests.support.orders import make_order

LINE = {"new-description": "Extra", "new-quantity": "1", "new-vat_rate": "25"}


def test_two_staff_update_drafts_of_one_order_both_complete(account, login):
    order = make_order(account)
    client = login()
    drafts = [client.post(f"/{account.aid}/orders/{order.order_id}/update/")["Location"] for _ in range(2)]
    for n, draft_url in enumerate(drafts):
        assert client.post(f"{draft_url}items/", {**LINE, "new-amount": str(50 + n)}).status_code == 302
        # The page shows the number the line would get if the draft completed now.
        assert '<th scope="row">2</th>' in client.get(draft_url).content.decode()

    for draft_url in reversed(drafts):
        done = client.post(f"{draft_url}complete/")
        assert done.status_code == 302, done.content.decode()

    lines = OrderLine.objects.filter(order=order).order_by("line_id")
    assert [(line.line_id, line.gross_amount) for line in lines] == [(1, 39800), (2, 5100), (3, 5000)]
