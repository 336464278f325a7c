"""Bad input on the staff pages, the finance filters, the admin and the provider's callback: a
404 for a path no page can have, a 400 page for a query or a form no view could take, a 413 for a
body over the limit, never a 500 (nor Django's technical page), and nothing written."""

import json
import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Event, Order
from payments.models import PaymentSession, ProviderCall
from tests.support.admin_forms import form_data
from tests.support.api import snapshot
from tests.support.factories import AID, AccountFactory, staff_for
from tests.support.once import shared
from tests.support.orders import item, make_order, record


def written() -> dict:
    """What a refused request must leave as it was: the orders' snapshot and the payments side."""
    return {**snapshot(), "sessions": PaymentSession.objects.count(), "calls": ProviderCall.objects.count()}


def assert_page(response, status: int, *words: str) -> str:
    """An HTML error page of the project, with `status`; not Django's technical page."""
    assert response.status_code == status, response.content[:500]
    assert not getattr(response, "streaming", False)
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    html = response.content.decode()
    assert "Traceback" not in html and "DATABASE_URL" not in html and "SECRET_KEY" not in html
    for word in words:
        assert word in html, (word, html[:2000])
    return html


# Built once for the tests that ask for the same ones (tests/support/once.py): the hundreds of
# cases here each need the account, its staff, an order and a draft as they were made.
@shared
def account():
    return AccountFactory(aid=AID, name="Demo shop")


@shared
def staff(account):
    return staff_for(account)


@shared
def order(account):
    order = make_order(account, [item(1, 39800, 25), item(2, 12900, 15)])
    record(order, "authorization", [(1, 39800), (2, 12900)])
    record(order, "capture", [(1, 39800)])
    return order


@shared
def draft_id(account, staff):
    client = Client()
    client.force_login(staff["Customer service"])
    response = client.post(f"/{account.aid}/drafts/new/", {"currency": "NOK"})
    assert response.status_code == 302, response.content[:500]
    return response["Location"].rstrip("/").split("/")[-1]


# Paths ------------------------------------------------------------------------------------------

STAFF_PATHS = [
    "/{aid}/orders/{x}/",
    "/{aid}/orders/{x}/notes/",
    "/{aid}/orders/{x}/cancel/",
    "/{aid}/orders/{x}/update/",
    "/{aid}/orders/{x}/replace/",
    "/{aid}/orders/{x}/replace/preview/",
    "/{aid}/orders/{x}/capture/",
    "/{aid}/orders/{x}/refund/",
    "/{aid}/orders/{o}/{x}/",
    "/{aid}/orders/{o}/replacements/{x}/",
    "/{x}/",
    "/{x}/orders/",
    "/{x}/orders/{o}/",
    "/{x}/drafts/",
    "/{x}/drafts/new/",
    "/{aid}/drafts/{x}/",
    "/{aid}/drafts/{d}/items/{x}/",
    "/{x}/vat/",
    "/{x}/finance/",
    "/{x}/finance/operations/",
    "/{x}/finance/export.csv",
    "/{x}/finance/books/",
    "/{aid}/orders/{x}/payments/",
    "/{aid}/orders/{x}/payments/capture",
    "/payments/sandbox/{x}",
    "/payments/callback/{x}",
    "/payments/return/{x}",
    "/admin/orders/order/{x}/change/",
    "/admin/auth/user/{x}/change/",
    "/login/{x}",
]


@pytest.mark.parametrize("value", ["%00", "a%00b", "%ED%A0%80"])
@pytest.mark.parametrize("template", STAFF_PATHS)
def test_a_nul_in_any_path_is_a_404(login, account, order, draft_id, template, value):
    path = template.format(x=value, aid=account.aid, o=order.order_id, d=draft_id)
    client = login("Administrator")
    before = written()
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if value == "%ED%A0%80":  # not UTF-8: Django keeps it percent-encoded, an id like any other
            assert response.status_code < 500, (method, path, response.status_code)
        else:
            assert_page(response, 404, "Not found")
    assert written() == before


@pytest.mark.parametrize("path", ["/payments/sandbox/%00", "/payments/callback/%00", "/%00/orders/%00/"])
def test_anonymous_visitors_get_the_404_page_for_a_nul_too(client, path):
    assert_page(client.get(path), 404, "Not found")
    assert_page(client.post(path, {"action": "pay"}), 404, "Not found")


# Query strings and forms ------------------------------------------------------------------------

PAGE_QUERIES = [
    "/{aid}/orders/?q=%00",
    "/{aid}/orders/?status=%00",
    "/{aid}/orders/?created_from=%00",
    "/{aid}/orders/?cursor=a%00b",
    "/{aid}/orders/?%00=1",
    "/{aid}/orders/{o}/?edit=%00",
    "/{aid}/drafts/{d}/?edit=%00",
    "/{aid}/vat/?prefix=%00&currency=NOK",
    "/{aid}/finance/?currency=%00",
    "/{aid}/finance/operations/?payment_id=%00",
    "/{aid}/finance/export.csv?payment_id=%00",
    "/{aid}/finance/books/?days=%00",
    "/admin/orders/order/?q=%00",
    "/admin/orders/order/?o=%00",
    "/login/?next=%00",
]


@pytest.mark.parametrize("template", PAGE_QUERIES)
def test_a_nul_in_a_query_is_the_400_page(login, account, order, draft_id, template):
    client = login("Administrator")
    before = written()
    html = assert_page(client.get(template.format(aid=account.aid, o=order.order_id, d=draft_id)), 400)
    assert "Bad request" in html and "NUL" in html
    assert written() == before


def _form_posts(aid: str, order_id: str, draft_id: str) -> list[tuple[str, dict]]:
    nul = "x\x00y"
    return [
        (f"/{aid}/orders/{order_id}/notes/", {"text": nul}),
        (f"/{aid}/orders/{order_id}/cancel/", {"reason": nul}),
        (f"/{aid}/orders/{order_id}/capture/", {"payment_id": nul, "line_2": "129", "form_token": "t"}),
        (f"/{aid}/drafts/new/", {"currency": "NOK", "first_name": nul}),
        (
            f"/{aid}/drafts/{draft_id}/items/",
            {"new-description": nul, "new-quantity": "1", "new-amount": "10", "new-vat_rate": "25"},
        ),
        (f"/{aid}/orders/{order_id}/replace/", {"reason": nul, "reverse_1": "1"}),
        ("/login/", {"username": nul, "password": "x"}),
        ("/login/", {"username": "admin", "password": "x", nul: "1"}),
    ]


@pytest.mark.parametrize("index", range(len(_form_posts("A", "O", "D"))))
def test_a_nul_in_a_form_is_the_400_page_and_writes_nothing(login, account, order, draft_id, index):
    path, data = _form_posts(account.aid, order.order_id, draft_id)[index]
    client = login("Administrator")
    before = written()
    assert_page(client.post(path, data), 400, "Bad request")
    assert written() == before


def test_a_nul_in_an_admin_form_is_the_400_page(login, order):
    client = login("Administrator")
    url = reverse("admin:orders_order_change", args=[order.pk])
    data = {**form_data(client.get(url).content.decode()), "merchant_reference": "ref\x00", "_save": "Save"}
    before = written()
    assert_page(client.post(url, data), 400)
    assert written() == before


def test_a_session_cookie_holding_a_nul_is_as_if_absent(account):
    # Django unquotes cookie values: "\000" arrives as a NUL, and the session is looked up with it.
    client = Client(HTTP_COOKIE='sessionid="\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000"')
    response = client.get(f"/{account.aid}/orders/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/login/").status_code == 200


def test_too_many_fields_is_the_400_page(login, account):
    query = "&".join(f"k{n}=1" for n in range(1100))
    assert_page(login("Customer service").get(f"/{account.aid}/orders/?{query}"), 400, "Bad request")


def test_a_broken_multipart_form_is_the_400_page(login, account, order):
    client = login("Administrator")
    before = written()
    response = client.generic(
        "POST",
        f"/{account.aid}/orders/{order.order_id}/notes/",
        b"--nope\r\nContent-Disposition: form-data\r\n\r\nx",
        content_type="multipart/form-data",  # no boundary
    )
    assert_page(response, 400)
    assert written() == before


# Bodies -----------------------------------------------------------------------------------------


def test_a_10_mb_form_is_the_413_page_and_writes_nothing(login, account, order):
    client = login("Administrator")
    before = written()
    response = client.post(f"/{account.aid}/orders/{order.order_id}/notes/", {"text": "x" * 10_000_000})
    assert_page(response, 413, "Request too large", "1048576 bytes")
    assert_page(Client().post("/login/", {"username": "u" * 10_000_000, "password": "p"}), 413)
    assert written() == before


def test_a_form_just_under_the_limit_is_read(login, account, order, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 8192
    client = login("Administrator")
    response = client.post(f"/{account.aid}/orders/{order.order_id}/notes/", {"text": "ø" * 2000})
    assert response.status_code in (200, 302), response.status_code
    assert Event.objects.filter(order=order, summary__contains="øøø").exists()
    assert_page(client.post(f"/{account.aid}/orders/{order.order_id}/notes/", {"text": "x" * 9000}), 413)


@pytest.mark.parametrize("method", ["BREW", "PROPFIND", "PATCH", "TRACE"])
@pytest.mark.parametrize("path", ["/login/", "/{aid}/orders/", "/{aid}/finance/", "/payments/sandbox/x"])
def test_unknown_methods_on_pages_are_a_405(login, account, method, path):
    response = login("Administrator").generic(method, path.format(aid=account.aid))
    assert response.status_code in (404, 405), response.status_code


# Finance filters --------------------------------------------------------------------------------

FINANCE_VIEWS = ["finance", "finance-operations", "finance-export"]

BAD_FILTERS = [
    ("end=9999-12-31", "End: must be between 1 Jan 2000 and 31 Dec 2099"),
    ("start=0001-01-01", "Start: must be between"),
    ("end=1999-12-31", "End: must be between"),
    ("period=custom&first=9999-12-01&last=9999-12-31", "From: must be between"),
    ("period=custom&first=9999-12-01&last=9999-12-31&group=week", "must be between"),
    ("period=custom&first=9999-12-01&last=9999-12-31&group=month", "must be between"),
    ("period=custom&first=2024-01-01&last=9999-12-31&group=month", "To: must be between"),
    ("period=custom&first=1900-01-01&last=2100-12-31&group=day", "must be between"),
    ("period=custom&first=2000-01-01&last=2099-12-31&group=day", "at most 366 days"),
    ("period=custom&first=2024-01-01&last=2025-01-01&group=day", "at most 366 days, not 367"),
    ("period=custom&first=2020-01-06&last=2023-01-15&group=week", "at most 157 weeks, not 158"),
    ("period=custom&first=2015-01-01&last=2025-01-31&group=month", "at most 120 months, not 121"),
    ("rate=NaN", "VAT rate: must be a percentage"),
    ("rate=Infinity", "VAT rate: must be a percentage"),
    ("rate=-Infinity", "VAT rate: must be a percentage"),
    ("rate=1e999999", "VAT rate: must be a percentage"),
    ("rate=sNaN", "VAT rate"),
    ("rate=abc", "VAT rate"),
    ("rate=101", "VAT rate"),
    ("rate=-5", "VAT rate"),
    ("rate=12-", "VAT rate"),
    ("rate=12-25-30", "VAT rate"),
    ("rate=12.345", "VAT rate"),
    ("period=bogus", "Period"),
    ("group=year", "Group"),
    ("kind=bogus", "Kind"),
    ("currency=NOKK", "Currency"),
    ("first=2024-02-30&period=custom&last=2024-03-01", "From"),
]


@pytest.mark.parametrize("view", FINANCE_VIEWS)
@pytest.mark.parametrize("query, message", BAD_FILTERS, ids=[q for q, _ in BAD_FILTERS])
def test_finance_filters_out_of_bounds_are_a_400_with_the_reason(login, account, order, view, query, message):
    started = time.perf_counter()
    response = login("Finance").get(f"{reverse(view, args=[account.aid])}?{query}")
    # The CSV too: checked before its response starts streaming, so it can still be a 400.
    html = assert_page(response, 400, "These filters cannot be shown")
    errors = re.search(r'<ul class="errorlist" id="filter-errors".*?</ul>', html, re.S).group(0)
    assert message in errors.replace("&#x27;", "'"), errors
    assert time.perf_counter() - started < 2


GOOD_FILTERS = [
    "rate=25",
    "rate=12.5",
    "rate=12-25",
    "rate=0",
    "rate=100",
    "start=2000-01-01",
    "end=2099-12-31",
    "period=custom&first=2024-01-01&last=2024-12-31&group=day",
    "period=custom&first=2024-12-31&last=2024-01-01&group=day",  # swapped: the same period
    "period=custom&first=2020-01-06&last=2023-01-08&group=week",
    "period=custom&first=2015-01-01&last=2024-12-31&group=month",
    "period=custom&first=2024-01-01",  # half a custom period: this month, as before
    "",
]


@pytest.mark.parametrize("view", FINANCE_VIEWS)
@pytest.mark.parametrize("query", GOOD_FILTERS)
def test_finance_filters_within_bounds_answer(login, account, order, view, query):
    response = login("Finance").get(f"{reverse(view, args=[account.aid])}?{query}")
    assert response.status_code == 200, response.content[:500]
    if view == "finance-export":
        assert response.streaming
        assert b"".join(response.streaming_content).decode("utf-8-sig").startswith("date,")


def test_the_refusal_page_offers_the_custom_period_again(login, account, order):
    response = login("Finance").get(
        f"/{account.aid}/finance/?period=custom&first=2000-01-01&last=2099-12-31&group=week"
    )
    html = assert_page(response, 400)
    assert 'name="first" id="id_first" value="2000-01-01"' in html
    assert '<option value="week" selected>' in html
    assert f'href="/{account.aid}/finance/"' in html


# The provider's callback and the customer's pages -------------------------------------------------


@pytest.fixture
def open_link(transactional_db, login, account, settings):
    """An order with an open payment link of the sandbox, made by staff on the payment panel."""
    settings.PAYMENTS_SANDBOX = True
    order = make_order(account)
    client = login("Customer service")
    payments = f"/{account.aid}/orders/{order.order_id}/payments/"
    panel = client.get(payments).content.decode()
    token = re.search(r'action="[^"]*/link".*?name="form_token" value="([^"]+)"', panel, re.S).group(1)
    assert client.post(f"{payments}link", {"form_token": token}).status_code == 302
    return PaymentSession.objects.get(order=order)


def _unchanged(session: PaymentSession, before: dict) -> None:
    assert written() == before
    fresh = PaymentSession.objects.get(pk=session.pk)
    assert (fresh.status, fresh.transaction_id) == (session.status, session.transaction_id)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("value", ["%00", "SBX.%00", "%00" * 100])
def test_a_nul_in_a_callback_query_is_the_400_page(open_link, value):
    before = written()
    client = Client()
    for path in (f"/payments/callback/{open_link.pk}", f"/payments/return/{open_link.pk}"):
        response = client.get(f"{path}?transaction_id={value}&merchant_reference={open_link.order.order_id}")
        assert_page(response, 400, "Bad request")
    assert_page(client.post(f"/payments/callback/{open_link.pk}?transaction_id={value}"), 400)
    _unchanged(open_link, before)


@pytest.mark.django_db(transaction=True)
def test_a_nul_in_a_callback_form_is_the_400_page(open_link):
    before = written()
    response = Client().post(f"/payments/callback/{open_link.pk}", {"transaction_id": "SBX.\x00"})
    assert_page(response, 400, "Bad request")
    _unchanged(open_link, before)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("raw", ['"SBX.\\u0000"', '"\\ud800"', '"\\u0000"'])
def test_unstorable_text_in_a_callback_json_body_is_a_400(open_link, raw):
    before = written()
    response = Client().post(
        f"/payments/callback/{open_link.pk}",
        f'{{"transaction_id": {raw}}}',
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "invalid_request"
    _unchanged(open_link, before)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"transaction_id": 1e309, "merchant_reference": NaN}',
        b'{"transaction_id": "' + b"x" * 100_000 + b'"}',
        b"\xff\xfe",
    ],
    ids=["deep", "non-finite", "long", "not-utf-8"],
)
def test_odd_callback_bodies_are_never_a_500(open_link, raw):
    before = written()
    response = Client().post(f"/payments/callback/{open_link.pk}", raw, content_type="application/json")
    assert response.status_code in (400, 404), response.content
    assert response.json()["error"]["code"]
    _unchanged(open_link, before)


@pytest.mark.django_db(transaction=True)
def test_the_sandbox_page_refuses_a_nul_in_its_form(open_link):
    before = written()
    path = f"/payments/sandbox/{open_link.session_id}"
    assert_page(Client().post(path, {"action": "pay\x00"}), 400)
    assert_page(Client().get(f"{path}?x=%00"), 400)
    _unchanged(open_link, before)


# The admin's JSON fields ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, message",
    [
        ('{"a": 1e309}', "too large"),
        ('{"a": NaN}', "NaN"),
        ('{"a": -Infinity}', "Infinity"),
        ('{"a": "\\u0000"}', "NUL"),
        ('{"\\ud800": 1}', "surrogates"),
        ("[" * 5000 + "]" * 5000, "nested"),
    ],
)
@pytest.mark.parametrize("field", ["metadata", "customer", "shipping_address", "billing_address", "store"])
def test_json_the_database_cannot_store_is_a_field_error_in_the_admin(login, order, field, text, message):
    client = login("Administrator")
    url = reverse("admin:orders_order_change", args=[order.pk])
    data = {**form_data(client.get(url).content.decode()), field: text, "_save": "Save"}
    before, stored = written(), Order.objects.values(field).get(pk=order.pk)
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    assert "Enter JSON that can be stored" in response.content.decode()
    assert message in response.content.decode()
    assert written() == before
    assert Order.objects.values(field).get(pk=order.pk) == stored


def test_the_admin_still_saves_json_it_can_store(login, order):
    client = login("Administrator")
    url = reverse("admin:orders_order_change", args=[order.pk])
    metadata = {"n": 10**30, "f": 1.5, "text": "æøå"}
    data = {**form_data(client.get(url).content.decode()), "metadata": json.dumps(metadata), "_save": "Save"}
    assert client.post(url, data).status_code == 302
    order.refresh_from_db()
    assert order.metadata == metadata
