"""The order list searches by any part of what the customer says, puts whole-value matches first
and says what search looks at when nothing matches; generated order ids avoid look-alikes."""

from orders.services.drafts import READABLE_ALPHANUMERIC
from tests.support.orders import item, make_order


def test_part_of_a_surname_finds_the_order_and_exact_matches_come_first(login, account):
    anders = make_order(account, customer={"first_name": "Per", "last_name": "Anders", "email": "per@x.no"})
    andersen = make_order(
        account, [item(1, description="Stablestol i teak")], customer={"last_name": "Andersen"}
    )
    client = login("Customer service")

    page = client.get(f"/{account.aid}/orders/", {"q": "ander"}).content.decode()
    assert anders.order_id in page and andersen.order_id in page

    page = client.get(f"/{account.aid}/orders/", {"q": "anders"}).content.decode()
    assert page.index(anders.order_id) < page.index(andersen.order_id)  # the whole value first

    page = client.get(f"/{account.aid}/orders/", {"q": "TEAK"}).content.decode()
    assert andersen.order_id in page and anders.order_id not in page


def test_a_search_without_matches_says_what_it_looked_in(login, account):
    make_order(account)
    page = login("Customer service").get(f"/{account.aid}/orders/", {"q": "zzzz"}).content.decode()
    assert "No orders match “zzzz”" in page
    assert "any part of an order id" in page


def test_generated_order_ids_have_no_look_alike_characters(account):
    ids = "".join(make_order(account).order_id for _ in range(40))
    assert not set(ids) & set("0O1I")
    assert set(READABLE_ALPHANUMERIC) >= set(ids)
