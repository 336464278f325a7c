import pytest

from orders import selectors
from orders.models import Order
from orders.selectors import order_search, search_plan
from orders.services.customer import order_customer_update
from tests.support.factories import AccountFactory
from tests.support.orders import TEST_ACTOR, item, make_order, record


@pytest.fixture(autouse=True, params=["looked up", "order by order"])
def strategy(request, monkeypatch):
    """Every search here is run both ways a search can run (orders.selectors, PROBE): its
    matches looked up in the indexes, and each order of the list tested in turn."""
    if request.param == "order by order":
        monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 0)
    else:
        monkeypatch.setattr(selectors, "PROBE", 0)
    return request.param


@pytest.fixture
def orders(account):
    kari = make_order(
        account,
        [item(1), item(2, gross=5000, id="SKU-CHAIR")],
        customer={"first_name": "Kari", "last_name": "Nordmann", "email": "Kari@Example.no"},
        merchant_reference="shop-77",
    )
    record(kari, "authorization", [(1, 39800)], payment_id="TX-991")
    ola = make_order(
        account, customer={"first_name": "Ola", "last_name": "Hansen", "email": "ola@example.no"}
    )
    elsewhere = make_order(
        AccountFactory(aid="T55555555"),
        [item(1, id="SKU-CHAIR")],
        customer={"first_name": "Kari", "email": "kari@example.no"},
    )
    return kari, ola, elsewhere


def found(account, text):
    return set(order_search(Order.objects.filter(account=account), text, account=account))


@pytest.mark.parametrize(
    "text",
    [
        "kari@example.no",
        "KARI@EXAMPLE.NO",
        "kari",
        "NORDMANN",
        "Kari Nordmann",
        "  kari   nordmann ",
        "SKU-CHAIR",
        "TX-991",
        "shop-77",
    ],
)
def test_search_finds_by_whole_values_ignoring_case_and_spacing(account, orders, text):
    kari, _, _ = orders
    assert found(account, text) == {kari}


def test_search_by_order_id_in_any_case(account, orders):
    _, ola, _ = orders
    assert found(account, ola.order_id.lower()) == {ola}


def test_search_never_reaches_another_account(account, orders):
    _, _, elsewhere = orders
    assert elsewhere not in found(account, "SKU-CHAIR")
    assert elsewhere not in found(account, "kari")


def test_search_without_a_match_or_text(account, orders):
    assert found(account, "nobody") == set()
    assert len(found(account, "   ")) == 2


@pytest.mark.parametrize(
    ("text", "who"),
    [
        ("ordma", {"kari"}),  # part of a surname
        ("EXAMPLE.NO", {"kari", "ola"}),  # part of an e-mail
        ("chair", {"kari"}),  # part of a SKU
        ("stablestol", {"kari", "ola"}),  # part of a product description
        ("TX-9", {"kari"}),  # the start of a payment id
        ("kari ordm", {"kari"}),  # every word must match something
        ("kari hansen", set()),
        ("4799", {"ola"}),  # part of a phone number
    ],
)
def test_search_finds_by_any_part_of_a_value(account, orders, text, who):
    kari, ola, _ = orders
    order_customer_update(
        order=ola,
        customer={**ola.customer, "phone_number": "+4799887766"},
        shipping_address={},
        billing_address={},
        reason="the customer called",
        actor=TEST_ACTOR,
    )
    named = {"kari": kari, "ola": ola}
    assert found(account, text) == {named[w] for w in who}


def test_a_part_of_an_order_id(account, orders):
    _, ola, _ = orders
    assert found(account, ola.order_id[:4].lower()) == {ola}


def test_words_shorter_than_three_characters_match_whole_values_only(account, orders):
    assert found(account, "ka") == set()
    assert found(account, "no") == set()


def test_the_words_many_orders_hold_are_tested_order_by_order_the_rare_ones_looked_up(account, monkeypatch):
    monkeypatch.setattr(selectors, "PROBE", 10)
    monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 3)
    hansens = [make_order(account, customer={"first_name": "Ola", "last_name": "Hansen"}) for _ in range(4)]
    berg = make_order(account, customer={"first_name": "Ola", "last_name": "Berg"})
    make_order(account, [item(1, id="SKU-RARE")])

    plan = search_plan("hanse  ola", account=account)
    assert (plan.text, plan.common, plan.ids) == ("hanse ola", ("HANSE", "OLA"), None)
    assert plan.order_by_order
    plan = search_plan("Ola Berg xy", account=account)
    assert (plan.common, plan.looked_up, plan.whole) == (("OLA",), ("BERG",), ("xy",))
    assert plan.ids == frozenset()  # nobody is called "xy"
    plan = search_plan("ola berg", account=account)
    assert plan.ids == {berg.pk} and not plan.order_by_order
    # A word the probe missed that more orders hold than are worth listing is asked of the index
    # in the page's own query, which sorts its matches; more than LOOKUP_LIMIT of them match.
    monkeypatch.setattr(selectors, "PROBE", 0)
    monkeypatch.setattr(selectors, "LOOKUP_LIMIT", 3)
    plan = search_plan("hansen", account=account)
    assert (plan.common, plan.indexed, plan.ids, plan.more_than) == ((), (("HANSEN", "HANSEN"),), None, 3)
    assert not plan.order_by_order
    assert search_plan("berg", account=account).looked_up == ("BERG",)
    # With another word, how many both hold is not known; among looked-up ids it is tested.
    plan = search_plan("hansen ola", account=account)
    assert plan.more_than == 0 and plan.indexed == (("HANSEN", "HANSEN"), ("OLA", "OLA"))
    plan = search_plan("hansen berg", account=account)
    assert plan.ids == {berg.pk} and found(account, "hansen berg") == set()
    assert found(account, "hansen") == set(hansens)
    assert found(account, "hansen ola") == set(hansens)
    # The same orders whichever way each word is matched.
    assert found(account, "hanse ola") == set(hansens)
    assert found(account, "ola berg") == {berg}
    assert len(found(account, "rare")) == 1


def test_a_rare_word_is_looked_up_by_its_rare_part_and_tested_whole(monkeypatch):
    from orders.selectors import rare_fragment

    monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 8)
    probe = [f"B{n:08d}\nCUSTOMER{n}@EXAMPLE.COM\nSKU{n:06d}" for n in range(1000, 1400)]
    # Every e-mail holds CUS…, @EXAMPLE.COM: the index is asked for the part around the digits.
    assert rare_fragment("CUSTOMER340588@EXAMPLE.COM", probe) == "ER340588@"
    # Grown to five characters (three trigrams), on the left first.
    assert rare_fragment("SKU0199", ["SKU0123"] * 10) == "U0199"
    assert rare_fragment("ZQX", probe) == "ZQX"
    # Nothing rare in it: the whole word.
    assert rare_fragment("CUSTOMER", probe) == "CUSTOMER"


def test_an_e_mail_among_many_alike_is_found_and_within_a_longer_one_too(account):
    for address in ("customer340588", "customer340589", "customer1340588", "xcustomer340588"):
        make_order(account, customer={"email": f"{address}@example.com"})
    found = order_search(Order.objects.filter(account=account), "customer340588@example.com", account=account)
    assert sorted(o.customer["email"] for o in found) == [
        "customer340588@example.com",
        "xcustomer340588@example.com",
    ]


def test_a_word_a_few_of_the_newest_orders_hold_is_tested_order_by_order_when_that_share_is_many(
    account, monkeypatch
):
    monkeypatch.setattr(selectors, "PROBE", 400)
    monkeypatch.setattr(selectors, "COMMON_IN_PROBE", 8)
    make_order(account, [item(id="SKU0276")])
    for n in range(8):
        make_order(account, [item(id=f"OTHER{n}")])
    assert selectors._orders_estimate() >= 0  # PostgreSQL's statistics (none yet: 0), or SQLite's 0
    # One of the newest orders alone tells too little: looked up, whatever the estimate.
    monkeypatch.setattr(selectors, "_orders_estimate", lambda: 1_000_000.0)
    assert search_plan("SKU0276", account=account).looked_up == ("SKU0276",)
    make_order(account, [item(id="SKU0276")])
    # Two of ten of the newest orders: at a million orders, 200 000 of them, too many to look up.
    assert search_plan("SKU0276", account=account).common == ("SKU0276",)
    # At a thousand (or with no statistics), 200: looked up.
    for estimate in (1_000.0, 0.0):
        monkeypatch.setattr(selectors, "_orders_estimate", lambda estimate=estimate: estimate)
        assert search_plan("SKU0276", account=account).looked_up == ("SKU0276",)
