"""Corners of the staff pages that a test client can prove: each test proves one works."""

import json
import re

import pytest
from django.urls import reverse

from backoffice.actor import Actor
from orders.inputs import DraftDocument, DraftOptions
from orders.models import PaymentOperation
from orders.services.drafts import draft_create
from payments.models import CallKind, CallState, Provider, ProviderCall, SandboxFault
from tests.support.admin_forms import change_form
from tests.support.orders import item, make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def sandbox(settings):
    settings.PAYMENTS_SANDBOX = True
    settings.DINTERO_ACCOUNT_ID = ""
    settings.DINTERO_CLIENT_ID = ""
    settings.DINTERO_CLIENT_SECRET = ""


def words(text: str) -> str:
    """Money is written with no-break spaces (`398\xa0kr`): read it as plain text."""
    return text.replace("\xa0", " ").replace("&nbsp;", " ")


def _panel_form(html: str, action: str) -> dict[str, str]:
    match = re.search(rf'<form[^>]*action="[^"]*/{action}".*?</form>', html, re.S)
    assert match, f"no {action} form"
    form = match.group(0)
    return dict(re.findall(r'name="(form_token|next)" value="([^"]*)"', form))


def test_the_panel_loaded_into_the_order_page_sends_its_forms_back_to_the_order_page(login, account, sandbox):
    order = make_order(account)
    client = login("Administrator")
    order_page = f"/{account.aid}/orders/{order.order_id}/"
    panel = client.get(
        f"{order_page}payments/panel",
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{order_page}",
    ).content.decode()
    fields = _panel_form(panel, "sandbox-fault")
    assert fields["next"] == order_page
    # Without script the panel's form is a plain POST: it lands back on the whole order page.
    response = client.post(
        f"{order_page}payments/sandbox-fault", {**fields, "kind": "capture", "outcome": "decline"}
    )
    assert response.status_code == 302 and response["Location"] == order_page
    assert SandboxFault.objects.filter(account=account.aid, kind="capture").count() == 1
    # Asked for alone (no htmx), the panel still sends back to the order page, not to itself.
    alone = client.get(f"{order_page}payments/panel").content.decode()
    assert _panel_form(alone, "sandbox-fault")["next"] == order_page


def test_the_payments_page_is_a_whole_staff_page_in_words(login, account, sandbox):
    order = make_order(account, authorized=True)
    html = login("Administrator").get(f"/{account.aid}/orders/{order.order_id}/payments/").content.decode()
    assert "css/backoffice.css" in html and "htmx.min.js" in html
    assert 'data-testid="payment-status">Authorized<' in html
    assert "AUTHORIZED" not in html


def test_the_reason_of_a_fix_in_the_admin_shows_in_the_orders_timeline(login, account):

    address = {"address_line": "Storgata 1", "postal_place": "Osloo", "postal_code": "0155", "country": "NO"}
    order = make_order(account, [item(1)], shipping_address=address)
    client = login("Administrator")
    url = reverse("admin:orders_order_change", args=[order.pk])
    fixed = json.dumps({**address, "postal_place": "Oslo"})
    data = change_form(client, url, shipping_address=fixed, fix_reason="the customer called: typo in city")
    assert client.post(url, data).status_code == 302
    line = order.lines.get(line_id=1)
    line_url = reverse("admin:orders_orderline_change", args=[line.pk])
    data = change_form(client, line_url, description="Stablestol, grå", fix_reason="colour was missing")
    assert client.post(line_url, data).status_code == 302

    html = client.get(f"/{account.aid}/orders/{order.order_id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    timeline = html.split('id="timeline"')[1]
    assert "the customer called: typo in city" in timeline
    assert "colour was missing" in timeline


def test_staff_read_refusals_without_the_apis_field_paths(login, account):

    client = login("Administrator")
    draft = draft_create(
        account=account,
        document=DraftDocument(currency="NOK"),
        options=DraftOptions(generate_order_id="ALPHANUMERIC_9"),
        actor=Actor(system="tests"),
    )
    html = client.post(
        f"/{account.aid}/drafts/{draft.pk}/complete/", HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "add at least one line before completing" in html
    assert "order.items" not in html

    order = make_order(account, authorized=True, captured=True)
    response = client.post(
        f"/{account.aid}/orders/{order.order_id}/replace/",
        {
            "reason": "wrong size",
            "reverse_1": "0",
            "new-0-description": "Stablestol, large",
            "new-0-quantity": "1",
            "new-0-amount": "398",
            "new-0-vat_rate": "25",
            # What a browser sends of the rows left empty: their initial quantity and VAT rate.
            **{f"new-{n}-quantity": "1" for n in (1, 2)},
            **{f"new-{n}-vat_rate": "25" for n in (1, 2)},
        },
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "choose at least one line and the quantity to reverse" in html
    assert "reversals:" not in html and "replacements:" not in html


def test_the_books_check_says_an_unknown_outcome_in_words(login, account):

    order = make_order(account, authorized=True)
    ProviderCall.objects.create(
        order=order, provider=Provider.SANDBOX, kind=CallKind.CAPTURE, state=CallState.UNKNOWN, amount=39800
    )
    html = login("Finance").get(f"/{account.aid}/finance/books/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = words(html.split('id="unknown-calls"')[1].split("</table>")[0])
    assert "Outcome unknown" in table
    assert ">unknown<" not in table and "398,00 kr" in table


def test_the_admin_names_operations_and_calls_in_money_and_order_ids(login, account):

    order = make_order(account, authorized=True, captured=True)
    operation = PaymentOperation.objects.filter(order=order, kind="capture").get()
    call = ProviderCall.objects.create(
        order=order, provider=Provider.SANDBOX, kind=CallKind.REFUND, state=CallState.UNKNOWN, amount=9950
    )
    assert words(str(operation)) == f"Capture of 398,00 kr on order {order.order_id}"
    assert words(str(call)) == "Refund of 99,50 kr at Sandbox: Unknown"
    client = login("Administrator")
    html = words(
        client.get(reverse("admin:orders_paymentoperation_change", args=[operation.pk])).content.decode()
    )
    assert f"Capture of 398,00 kr on order {order.order_id}" in html
    assert str(order.pk) not in html.split("<title>")[1].split("</title>")[0]
    index = client.get(reverse("admin:index")).content.decode()
    assert "Mismatches" in index and "Mismatchs" not in index
    assert "API clients" in index and "Api clients" not in index


def test_a_reversed_date_range_on_the_order_list_is_read_swapped_and_said(login, account):
    order = make_order(account)
    client = login("Customer service")
    day = order.created_at.date()
    query = f"created_from={day.replace(year=day.year + 1)}&created_to={day.replace(year=day.year - 1)}"
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.get(f"/{account.aid}/orders/?{query}", HTTP_ACCEPT_LANGUAGE="en", **headers)
        html = words(response.content.decode())
        assert ">1 order<" in html.replace("\n", "")
        assert "“Created from” was after “to”" in html
    # In order, nothing is said.
    html = client.get(f"/{account.aid}/orders/?created_from={day}&created_to={day}").content.decode()
    assert 'data-testid="dates-swapped"' not in html


def test_a_reversed_date_range_on_the_finance_pages_is_read_swapped_and_said(login, account):
    order = make_order(account, authorized=True, captured=True)
    client = login("Finance")
    day = order.created_at.date()
    later, earlier = day.replace(year=day.year + 1), day.replace(year=day.year - 1)
    report = client.get(
        f"/{account.aid}/finance/?period=custom&first={day}&last={earlier}&group=month",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert report.status_code == 200
    assert "“From” was after “To”" in words(report.content.decode())
    drill = client.get(
        f"/{account.aid}/finance/operations/?start={later}&end={earlier}&kind=capture",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    html = drill.content.decode()
    assert "the wrong way round" in html
    assert drill.context["summary"]["count"] == 1


def test_sorting_the_order_list_by_total_keeps_each_currency_together(login, account):
    amounts = {"NOK": [10000, 3000, 25000, 7000] * 4, "EUR": [5000, 20000, 1000] * 4}
    for currency, totals in amounts.items():
        for n, gross in enumerate(totals):
            make_order(account, [item(1, gross + n)], currency=currency)
    client = login("Customer service")
    for sort, descending in (("gross", False), ("-gross", True)):
        response = client.get(f"/{account.aid}/orders/?sort={sort}", HTTP_ACCEPT_LANGUAGE="en")
        seen = [(o.currency, o.gross_amount) for o in response.context["orders"]]
        cursor = response.context["next_cursor"]
        assert cursor and len(seen) == 25
        more = client.get(f"/{account.aid}/orders/?sort={sort}&cursor={cursor}").context["orders"]
        seen += [(o.currency, o.gross_amount) for o in more]
        currencies = [c for c, _ in seen]
        assert currencies == sorted(currencies) and len(seen) == 28
        for currency in amounts:
            totals = [g for c, g in seen if c == currency]
            assert totals == sorted(totals, reverse=descending)
        assert "Sorted by currency, then by total" in response.content.decode()


def test_the_redoc_script_names_no_cdn(client):
    response = client.get(reverse("api-redoc-bundle"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    script = response.content.decode()
    assert "cdn.redoc.ly" not in script and "Redocly" in script


def test_the_replace_page_says_what_is_left_of_a_line_in_items_and_money(login, account):
    order = make_order(account, captured=True)
    html = words(
        login("Customer service")
        .get(f"/{account.aid}/orders/{order.order_id}/replace/", HTTP_ACCEPT_LANGUAGE="en")
        .content.decode()
    )
    assert "2 items · 398,00 kr" in html
    assert "\u00d7 ·" not in html


def test_the_payment_panel_says_an_unknown_outcome_in_words(login, account, sandbox):
    order = make_order(account, authorized=True)
    ProviderCall.objects.create(
        order=order, provider=Provider.SANDBOX, kind=CallKind.CAPTURE, state=CallState.UNKNOWN, amount=39800
    )
    panel = login("Administrator").get(
        f"/{account.aid}/orders/{order.order_id}/payments/panel", HTTP_ACCEPT_LANGUAGE="en"
    )
    calls = panel.content.decode().split("provider-calls")[1]
    assert "Outcome unknown" in calls and ">unknown<" not in calls
