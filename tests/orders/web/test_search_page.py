"""The order list searches by any part of what the customer says, puts whole-value matches first
and says what search looks at when nothing matches; generated order ids avoid look-alikes."""

from orders import selectors
from orders.inputs import SEARCH_LIMIT, SEARCH_WORDS_LIMIT
from orders.services.drafts import READABLE_ALPHANUMERIC
from orders.web import order_list
from orders.web.order_list import PAGE_SIZE
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
    assert "0 orders" not in page  # said once, not also as a count above it


def test_generated_order_ids_have_no_look_alike_characters(account):
    ids = "".join(make_order(account).order_id for _ in range(40))
    assert not set(ids) & set("0O1I")
    assert set(READABLE_ALPHANUMERIC) >= set(ids)


def test_a_common_whole_value_is_counted_in_full_and_listed_with_the_rest(login, account):
    karis = [make_order(account, customer={"first_name": "Kari"}) for _ in range(PAGE_SIZE + 2)]
    client = login("Customer service")

    first = client.get(f"/{account.aid}/orders/", {"q": "kari"})
    assert f"{len(karis)} orders matching" in first.content.decode()
    # More whole-value matches than a page: no "exact" rows of their own, every Kari once.
    assert first.context["exact_count"] == 0
    second = client.get(f"/{account.aid}/orders/", {"q": "kari", "cursor": first.context["next_cursor"]})
    listed = [o.order_id for o in first.context["orders"]] + [o.order_id for o in second.context["orders"]]
    assert sorted(listed) == sorted(o.order_id for o in karis)


def test_a_search_of_common_words_counts_within_a_window_and_says_at_least(login, account, monkeypatch):
    monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 0)  # every word common: tested order by order
    monkeypatch.setattr(order_list, "COUNT_WINDOW", 10)
    hansens = [make_order(account, customer={"last_name": "Hansen"}) for _ in range(12)]
    for _ in range(3):
        make_order(account, customer={"last_name": "Berg"})
    client = login("Customer service")

    # The newest ten orders are counted: the three Bergs and seven of the Hansens.
    page = client.get(f"/{account.aid}/orders/", {"q": "hanse"})
    assert page.context["total"] == 7 and page.context["at_least_total"]
    # The page shows more than the window holds: it says so.
    assert "At least 12 orders matching" in page.content.decode()
    assert len(page.context["orders"]) == len(hansens)
    more = [make_order(account, customer={"last_name": "Hansen"}) for _ in range(20)]
    assert (
        f"At least {order_list.PAGE_SIZE} orders matching"
        in client.get(f"/{account.aid}/orders/", {"q": "hanse"}).content.decode()
    )

    monkeypatch.setattr(order_list, "COUNT_WINDOW", 100)  # the window holds the whole list: exact
    page = client.get(f"/{account.aid}/orders/", {"q": "hanse"}).content.decode()
    assert f"{len(hansens) + len(more)} orders matching" in page


def test_a_search_of_too_many_words_is_refused_with_the_reason(login, account, api):
    make_order(account)
    long_search = " ".join(f"word{n}" for n in range(SEARCH_WORDS_LIMIT + 1))
    page = login("Customer service").get(f"/{account.aid}/orders/", {"q": long_search})
    assert page.status_code == 200
    assert "Search: Use at most 8 words and 200 characters." in page.content.decode()
    assert page.context["searched"] == ""
    for search in (long_search, "x" * (SEARCH_LIMIT + 1)):
        answer = api.get(api.url("orders"), {"search": search})
        assert answer.status_code == 400
        assert "search" in answer.content.decode() and "at most 8 words" in answer.content.decode()
