"""The New order page takes the customer's name, e-mail and phone, the shipping address and the
billing address (the shipping one unless said), stores them as the API does, and refuses what
the API's limits and Dintero's formats refuse, with the message next to the field."""

import pytest

from orders.models import DraftOrder

pytestmark = pytest.mark.django_db

SHIPPING = {
    "shipping-address_line": "Sommerkroveien 34",
    "shipping-postal_code": "0349",
    "shipping-postal_place": "Oslo",
    "shipping-country": "NO",
}


def new_order(client, account, **fields):
    body = {"currency": "NOK", "billing_same": "on", "shipping-country": "NO", "billing-country": "NO"}
    return client.post(f"/{account.aid}/drafts/new/", {**body, **fields})


def test_customer_and_addresses_are_stored_as_the_api_stores_them(account, login, api):
    client = login("Customer service")
    response = new_order(
        client,
        account,
        first_name="Kari",
        last_name="Nordmann",
        email="kari@example.no",
        phone_number="+47 999 99 999",
        **SHIPPING,
        **{"shipping-co_address": "Land Lord"},
    )
    assert response.status_code == 302
    (draft,) = DraftOrder.objects.all()
    body = api.call("get", f"draft_orders/{draft.pk}").json()["order"]
    assert body["customer"] == {
        "first_name": "Kari",
        "last_name": "Nordmann",
        "email": "kari@example.no",
        "phone_number": "+4799999999",
    }
    address = {
        "first_name": "Kari",
        "last_name": "Nordmann",
        "co_address": "Land Lord",
        "address_line": "Sommerkroveien 34",
        "postal_code": "0349",
        "postal_place": "Oslo",
        "country": "NO",
    }
    assert body["shipping_address"] == address
    # Billing: the shipping address unless said.
    assert body["billing_address"] == address


def test_a_billing_address_of_its_own(account, login):
    client = login("Customer service")
    response = new_order(
        client,
        account,
        first_name="Kari",
        billing_same="",
        **SHIPPING,
        **{
            "billing-business_name": "Nordmann AS",
            "billing-address_line": "Storgata 1",
            "billing-postal_code": "SE-111 22",
            "billing-postal_place": "Stockholm",
            "billing-country": "SE",
        },
    )
    assert response.status_code == 302
    draft = DraftOrder.objects.get()
    assert draft.document["billing_address"] == {
        "first_name": "Kari",
        "business_name": "Nordmann AS",
        "address_line": "Storgata 1",
        "postal_code": "SE-111 22",
        "postal_place": "Stockholm",
        "country": "SE",
    }
    assert draft.document["shipping_address"]["postal_place"] == "Oslo"


def test_no_address_is_no_address(account, login):
    assert new_order(login("Customer service"), account, first_name="Kari").status_code == 302
    draft = DraftOrder.objects.get()
    assert draft.document["shipping_address"] == {} and draft.document["billing_address"] == {}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "kari@"}, "email", "Enter a valid email address."),
        ({"email": "k" * 190 + "@example.no"}, "email", "at most 200 characters"),
        ({"first_name": "K" * 201}, "first_name", "at most 200 characters"),
        ({"phone_number": "99 99"}, "phone_number", "a phone number is 5 to 15 digits"),
        ({"phone_number": "+47 999 99 999 ext. 2"}, "phone_number", "a phone number is 5 to 15 digits"),
        ({"shipping-address_line": "Sommerkroveien 34"}, "shipping-postal_code", "needed for the address"),
        ({"shipping-postal_place": "Oslo"}, "shipping-address_line", "needed for the address"),
        ({**SHIPPING, "shipping-postal_code": "349"}, "shipping-postal_code", "four digits"),
        ({**SHIPPING, "shipping-country": "XX"}, "shipping-country", "Select a valid choice"),
        ({**SHIPPING, "shipping-country": ""}, "shipping-country", "needed for the address"),
        ({**SHIPPING, "shipping-address_line_2": "x" * 201}, "shipping-address_line_2", "at most 200"),
        (
            {**SHIPPING, "billing_same": "", "billing-address_line": "Storgata 1"},
            "billing-postal_place",
            "needed for the address",
        ),
    ],
    ids=[
        "email",
        "email-long",
        "name-long",
        "phone-short",
        "phone-text",
        "no-postcode",
        "no-street",
        "postcode-no",
        "country-unknown",
        "country-empty",
        "line-2-long",
        "billing-partial",
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_made(account, login, fields, field, message):
    response = new_order(login("Customer service"), account, **{"first_name": "Kari", **fields})

    assert response.status_code == 422
    form = response.context["form"]
    assert message in " ".join(form.errors[field]), form.errors
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html or 'class="errorlist' in html
    assert not DraftOrder.objects.exists()


def test_billing_fields_are_not_checked_when_the_same_as_shipping(account, login):
    response = new_order(
        login("Customer service"), account, **SHIPPING, **{"billing-address_line": "half an address"}
    )
    assert response.status_code == 302
    assert DraftOrder.objects.get().document["billing_address"]["address_line"] == "Sommerkroveien 34"


def test_the_page_shows_the_fields_in_groups(account, login):
    html = login("Customer service").get(f"/{account.aid}/drafts/new/").content.decode()
    for name in ("phone_number", "shipping-address_line", "shipping-country", "billing-postal_code"):
        assert f'name="{name}"' in html
    assert 'name="billing_same" checked' in html or ('name="billing_same"' in html and "checked" in html)
    assert '<option value="NO" selected>' in html


def test_in_norwegian_the_countries_and_messages_are_too(account, login):
    client = login("Customer service", HTTP_ACCEPT_LANGUAGE="nb")
    html = client.get(f"/{account.aid}/drafts/new/").content.decode()
    assert '<option value="NO" selected>Norge</option>' in html
    assert "Leveringsadresse" in html

    response = new_order(client, account, **{**SHIPPING, "shipping-postal_code": "349"})
    assert response.status_code == 422
    assert "et norsk postnummer har fire sifre" in response.content.decode()
