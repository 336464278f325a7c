"""Staff read money as money in every message: a refused capture names the amounts in kroner,
once, next to the field; the API keeps its documented message in minor units."""

import re

from tests.support.orders import item, make_order, record


def test_an_over_capture_is_refused_in_kroner_once_next_to_its_field(login, account, api):
    order = make_order(account, [item(1, 104700)])
    record(order, "authorization", [(1, 104700)])
    client = login("Customer service")
    url = f"/{account.aid}/orders/{order.order_id}/capture/"
    token = re.search(r'name="form_token" value="([^"]+)"', client.get(url).content.decode()).group(1)

    response = client.post(url, {"form_token": token, "payment_id": "PID_123", "line_1": "2000"})

    assert response.status_code == 422
    page = response.content.decode()
    message = "line 1: capture 2\xa0000,00\xa0kr exceeds the remaining authorized 1\xa0047,00\xa0kr"
    assert page.count(message) == 1
    assert "200000" not in page and "104700" not in page
    # The API says the same in minor units, as documented.
    body = {"items": [{"line_id": 1, "amount": 200000}], "payment_details": {"payment_id": "PID_123"}}
    answer = api.call("post", f"orders/{order.order_id}/captures", body).json()
    assert answer["error"]["message"] == "line 1: capture 200000 exceeds the remaining authorized 104700"
