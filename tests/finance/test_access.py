"""Finance pages are for the Finance and Administrator roles, on their own accounts only."""

import pytest

from tests.support.factories import AccountFactory, UserFactory
from tests.support.orders import item, make_order, record

PAGES = ("finance/", "finance/operations/", "finance/export.csv")


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("role", "status"), [("Finance", 200), ("Administrator", 200), ("Customer service", 403)]
)
def test_roles(client, account, staff, page, role, status):
    client.force_login(staff[role])
    assert client.get(f"/{account.aid}/{page}").status_code == status


@pytest.mark.parametrize("page", PAGES)
def test_another_account_is_not_found(client, account, staff, page):
    other = AccountFactory(aid="T99999999")
    client.force_login(staff["Finance"])
    assert client.get(f"/{other.aid}/{page}").status_code == 404


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_and_api_tokens_are_sent_to_sign_in(client, api, account, page):
    assert client.get(f"/{account.aid}/{page}").status_code == 302
    # an API client's bearer token is not a staff session
    response = client.get(f"/{account.aid}/{page}", HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"])
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_figures_of_other_accounts_never_show(client, account, staff):
    other = AccountFactory(aid="T99999999")
    mine = make_order(account, [item(1, 10000, 25)])
    theirs = make_order(other, [item(1, 77700, 25)], currency="SEK")
    for order, amount in ((mine, 10000), (theirs, 77700)):
        record(order, "authorization", [(1, amount)])
        record(order, "capture", [(1, amount)])
    finance = UserFactory(username="both", role="Finance", accounts=[account])
    client.force_login(finance)

    html = client.get(f"/{account.aid}/finance/?period=today").content.decode()
    csv = b"".join(client.get(f"/{account.aid}/finance/export.csv?period=today").streaming_content).decode()

    assert 'data-currency="NOK"' in html and 'data-currency="SEK"' not in html
    assert mine.order_id in csv and theirs.order_id not in csv


def test_nav_link_only_for_finance_roles(client, account, staff):
    client.force_login(staff["Customer service"])
    page = client.get(f"/{account.aid}/orders/").content.decode()
    assert f"/{account.aid}/finance/" not in page
    client.force_login(staff["Finance"])
    page = client.get(f"/{account.aid}/orders/").content.decode()
    assert f"/{account.aid}/finance/" in page
