"""The staff pages: what each role sees and may do, the account boundary, and escaping."""

import pytest
from django.test import Client

from backoffice.actor import Actor
from orders.forms import SORTS
from orders.models import Event, Order, PaymentOperation
from orders.services.events import note_add
from orders.web import order_list
from tests.support.orders import item, make_draft, make_order, record, reversal, update


def url(order: Order, suffix: str = "") -> str:
    return f"/{order.account.aid}/orders/{order.order_id}/{suffix}"


def test_anonymous_is_sent_to_sign_in(account):
    response = Client().get(f"/{account.aid}/orders/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_sign_in_page_and_home_redirect(account, staff):
    client = Client()
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "customer", "password": "correct horse battery"})
    assert response.status_code == 302
    assert client.get("/").url == f"/{account.aid}/work/"


@pytest.mark.parametrize("role", ["Customer service", "Finance", "Administrator"])
def test_every_role_sees_the_list_and_the_order(account, login, role):
    order = make_order(account, customer={"first_name": "Kari", "last_name": "Nordmann"})
    client = login(role)
    listing = client.get(f"/{account.aid}/orders/")
    assert listing.status_code == 200
    assert order.order_id in listing.content.decode()
    page = client.get(url(order))
    assert page.status_code == 200
    assert "Kari Nordmann" in page.content.decode()
    assert "398,00" in page.content.decode()


def test_list_search_filter_and_htmx_partial(account, login):
    kari = make_order(account, customer={"first_name": "Kari", "email": "kari@example.no"})
    ola = make_order(account, [item(id="999111")], customer={"first_name": "Ola"})
    record(ola, "authorization", [(1, 39800)], payment_id="PAY-OLA")
    client = login()
    by_name = client.get(f"/{account.aid}/orders/?q=kari").content.decode()
    assert kari.order_id in by_name and ola.order_id not in by_name
    for q in ("999111", "PAY-OLA", ola.order_id):
        found = client.get(f"/{account.aid}/orders/", {"q": q}).content.decode()
        assert ola.order_id in found and kari.order_id not in found, q
    by_status = client.get(f"/{account.aid}/orders/?payment_status=AUTHORIZED").content.decode()
    assert ola.order_id in by_status and kari.order_id not in by_status
    partial = client.get(f"/{account.aid}/orders/?q=kari", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and 'id="results"' in partial and kari.order_id in partial
    assert client.get(f"/{account.aid}/orders/?created_from=2999-01-01").context["total"] == 0


def test_list_sorts_and_pages_with_a_cursor(account, login):
    orders = [make_order(account, [item(gross=1000 * (i + 1))]) for i in range(30)]
    client = login()
    first = client.get(f"/{account.aid}/orders/?sort=gross")
    assert [o.pk for o in first.context["orders"]] == [o.pk for o in orders[:25]]
    cursor = first.context["next_cursor"]
    second = client.get(f"/{account.aid}/orders/", {"sort": "gross", "cursor": cursor})
    assert [o.pk for o in second.context["orders"]] == [o.pk for o in orders[25:]]
    assert second.context["next_cursor"] == ""
    assert client.get(f"/{account.aid}/orders/?cursor=forged").status_code == 200


@pytest.mark.parametrize("sort", list(SORTS))
def test_every_sort_pages_through_every_order_once_in_its_order(account, login, monkeypatch, sort):
    # Three currencies with tied totals, three to a page: pages end inside a currency, at its
    # end, and inside a run of equal totals.
    monkeypatch.setattr(order_list, "PAGE_SIZE", 3)
    for n, (currency, gross) in enumerate(
        [("NOK", 5000), ("EUR", 5000), ("NOK", 1000), ("SEK", 5000), ("NOK", 5000), ("EUR", 2000)] * 2
    ):
        make_order(account, [item(gross=gross)], currency=currency, customer={"first_name": f"N{n}"})
    client = login()
    seen, cursor = [], ""
    for _ in range(10):
        page = client.get(f"/{account.aid}/orders/", {"sort": sort, "cursor": cursor}).context
        seen += [o.pk for o in page["orders"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    field = SORTS[sort]
    ties = "-pk" if field.startswith("-") else "pk"
    ordering = ["currency", field, ties] if sort in order_list.BY_CURRENCY else [field, ties]
    assert seen == list(
        Order.objects.filter(account=account).order_by(*ordering).values_list("pk", flat=True)
    )


def test_a_cursor_of_another_sort_reads_as_the_first_page(account, login):
    for gross in (1000, 2000, 3000):
        make_order(account, [item(gross=gross)])
    newest = Order.objects.filter(account=account).order_by("-created_at", "-pk")[0]
    cursor = order_list.list_cursor(newest, "-created")
    client = login()
    for sort in ("gross", "-gross", "payment_status", "order_id"):
        page = client.get(f"/{account.aid}/orders/", {"sort": sort, "cursor": cursor})
        assert page.status_code == 200 and len(page.context["orders"]) == 3, sort


def test_another_accounts_order_and_account_answer_404(account, other_account, login):
    foreign = make_order(other_account)
    client = login()
    assert client.get(url(foreign)).status_code == 404
    assert client.get(f"/{account.aid}/orders/{foreign.order_id}/").status_code == 404
    assert client.post(url(foreign, "capture/")).status_code == 404
    assert client.get(f"/{other_account.aid}/orders/").status_code == 404


def test_order_page_shows_reversal_links_operations_and_events(account, login):
    order = make_order(account, captured=True)
    update(order, [reversal(2, of=1, gross=39800, quantity=2, reversed_reason="<u>changed</u> & gone")])
    page = login().get(url(order)).content.decode()
    assert "Reverses" in page and 'href="#line-1"' in page
    assert "<u>changed</u>" not in page and "· &lt;u&gt;changed&lt;/u&gt; &amp; gone" in page
    assert "Reversed by" in page and 'href="#line-2"' in page
    assert "PID_123" in page and "Capture recorded" in page


def test_user_text_is_escaped(account, login):
    order = make_order(
        account,
        [item(description="<script>alert('line')</script>", id='"><i>sku</i>')],
        customer={"first_name": "<b>Eve</b>"},
    )
    note_add(order=order, text="<img src=x onerror=alert(1)>", actor=Actor(system="tests"))
    page = login().get(url(order)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<i>sku</i>" not in page and "&quot;&gt;&lt;i&gt;sku&lt;/i&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "<b>Eve</b>" not in page
    listing = login().get(f"/{account.aid}/orders/?q=%3Cb%3E").content.decode()
    assert "<b>Eve</b>" not in listing


# Recording operations --------------------------------------------------------------------------


def _operation_form(client, order, action):
    response = client.get(url(order, f"{action}/"))
    assert response.status_code == 200
    return response.context["form"]


def _post_operation(
    client, order, action, amounts: dict[int, str], payment_id="PID_123", token=None, reason="", **extra
):
    form = _operation_form(client, order, action)
    data = {"payment_id": payment_id, "form_token": token or form.initial["form_token"]}
    data.update({f"line_{line}": amount for line, amount in amounts.items()})
    if reason:
        data["reason"] = reason
    return client.post(url(order, f"{action}/"), data, **extra)


def test_operation_forms_offer_what_remains_and_select_nothing(account, login):
    order = make_order(account, [item(1, 39800), item(2, 10000)])
    record(order, "authorization", [(1, 39800), (2, 10000)])
    record(order, "capture", [(1, 10000)])
    form = _operation_form(login(), order, "capture")
    assert [(row.line.line_id, row.left) for row in form.line_rows] == [(1, 29800), (2, 10000)]
    assert form.fields["line_1"].initial is None and form.fields["line_2"].initial is None
    assert form.initial["payment_id"] == "PID_123"
    partial = login().get(url(order, "capture/"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "298,00" in partial


def test_capture_part_records_and_redirects(account, login):
    order = make_order(account, authorized=True)
    client = login("Customer service")
    response = _post_operation(client, order, "capture", {1: "100,50"})
    assert response.status_code == 302 and response["Location"] == url(order)
    order.refresh_from_db()
    assert order.captured_amount == 10050 and order.payment_status == "PARTIALLY_CAPTURED"
    htmx = _post_operation(client, order, "capture", {1: "10"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and htmx["HX-Redirect"] == url(order)


def test_over_capture_is_shown_inline_and_writes_nothing(account, login):
    order = make_order(account, authorized=True)
    events = Event.objects.count()
    response = _post_operation(login(), order, "capture", {1: "500"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    body = response.content.decode()
    # Staff read the amounts as money (the API keeps minor units).
    assert "line 1: capture 500,00\xa0kr exceeds the remaining authorized 398,00\xa0kr" in body
    assert "<html" not in body
    assert not PaymentOperation.objects.filter(kind="capture").exists()
    assert Event.objects.count() == events


def test_bad_amount_and_missing_payment_id_are_field_errors(account, login):
    order = make_order(account)
    response = _post_operation(login(), order, "authorize", {1: "12,345"}, payment_id="")
    assert response.status_code == 422
    form = response.context["form"]
    assert "line_1" in form.errors and "payment_id" in form.errors


def test_a_form_token_records_once(account, login):
    order = make_order(account, authorized=True)
    client = login()
    form = _operation_form(client, order, "capture")
    data = {"payment_id": "PID_123", "form_token": form.initial["form_token"], "line_1": "100"}
    first = client.post(url(order, "capture/"), data)
    second = client.post(url(order, "capture/"), data)
    assert first.status_code == second.status_code == 302
    assert PaymentOperation.objects.filter(kind="capture").count() == 1
    messages = [str(m) for m in second.wsgi_request._messages]
    assert any("already submitted" in m for m in messages)


def test_a_refused_operation_leaves_its_token_usable(account, login):
    order = make_order(account, authorized=True)
    client = login()
    token = _operation_form(client, order, "capture").initial["form_token"]
    assert _post_operation(client, order, "capture", {1: "999"}, token=token).status_code == 422
    assert _post_operation(client, order, "capture", {1: "398"}, token=token).status_code == 302
    assert Order.objects.get(pk=order.pk).payment_status == "CAPTURED"


def test_reversal_lines_take_negative_amounts_typed_without_sign(account, login):
    order = make_order(account, authorized=True, reversed=[1])  # line 2 reverses line 1
    form = _operation_form(login(), order, "authorize")
    assert [(row.line.line_id, row.left) for row in form.line_rows] == [(2, -39800)]
    assert _post_operation(login(), order, "authorize", {2: "398"}).status_code == 302
    assert order.lines.get(line_id=2).authorized_amount == -39800


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("Customer service", "authorize", True),
        ("Customer service", "capture", True),
        ("Customer service", "refund", False),
        ("Finance", "refund", True),
        ("Finance", "capture", False),
        ("Finance", "authorize", False),
        ("Administrator", "refund", True),
    ],
)
def test_roles_are_enforced_on_operations(account, login, role, action, allowed):
    order = make_order(account, [item(1), item(2, 10000)])
    record(order, "authorization", [(1, 39800)])
    record(order, "capture", [(1, 20000)])
    client = login(role)
    page = client.get(url(order)).content.decode()
    assert (f'{url(order)}{action}/"' in page) == allowed
    assert client.get(url(order, f"{action}/")).status_code == (200 if allowed else 403)
    forced = client.post(
        url(order, f"{action}/"), {"payment_id": "PID_123", "line_1": "1", "form_token": "x"}
    )
    assert (forced.status_code == 403) != allowed
    if not allowed:
        assert PaymentOperation.objects.count() == 2


def test_unknown_action_is_404(account, login):
    order = make_order(account)
    assert login().get(url(order, "steal/")).status_code == 404


def test_refund_records(account, login):
    order = make_order(account, captured=True)
    refund = _post_operation(login("Finance"), order, "refund", {1: "98"}, reason="goodwill")
    assert refund.status_code == 302
    order.refresh_from_db()
    assert order.refunded_amount == 9800 and order.payment_status == "PARTIALLY_REFUNDED"


def test_cancel_order_with_confirmation(account, login):
    order = make_order(account, authorized=True)
    client = login("Customer service")
    confirm = client.get(url(order, "cancel/"))
    assert confirm.status_code == 200 and "cannot be undone" in confirm.content.decode()
    assert client.post(url(order, "cancel/"), {"reason": "customer asked"}).status_code == 302
    order.refresh_from_db()
    assert order.status == "CANCELLED" and order.cancelled_amount == 39800
    assert login("Finance").get(url(order, "cancel/")).status_code == 403


def test_cancel_refused_after_capture_shows_the_reason(account, login):
    order = make_order(account, authorized=True)
    record(order, "capture", [(1, 100)])
    response = login().post(url(order, "cancel/"), {"reason": ""})
    assert response.status_code == 422 and "refund it instead" in response.content.decode()


def test_notes(account, login):
    order = make_order(account)
    client = login("Finance")
    assert client.post(url(order, "notes/"), {"text": "Called the customer"}).status_code == 302
    htmx = client.post(url(order, "notes/"), {"text": "Second"}, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 200 and 'id="timeline"' in htmx.content.decode()
    assert "<html" not in htmx.content.decode()
    assert client.post(url(order, "notes/"), {"text": "  "}).status_code == 422
    assert order.events.filter(kind="note_added").count() == 2


# Drafts ---------------------------------------------------------------------------------------


def test_build_a_two_line_draft_and_complete_it(account, login):
    client = login("Customer service")
    response = client.post(
        f"/{account.aid}/drafts/new/",
        {
            "currency": "NOK",
            "first_name": "Kari",
            "last_name": "",
            "email": "kari@example.no",
            "merchant_reference": "",
        },
    )
    assert response.status_code == 302
    draft_url = response["Location"]
    assert client.get(draft_url).status_code == 200
    add = {
        "new-sku": "175938",
        "new-description": "Stablestol",
        "new-quantity": "2",
        "new-amount": "398",
        "new-vat_rate": "25",
    }
    assert client.post(f"{draft_url}items/", add).status_code == 302
    htmx = client.post(
        f"{draft_url}items/",
        {**add, "new-description": "Pute", "new-amount": "99,90", "new-vat_rate": "15"},
        HTTP_HX_REQUEST="true",
    )
    assert htmx.status_code == 200 and 'id="draft-editor"' in htmx.content.decode()
    assert "99,90" in htmx.content.decode() and "13,03" in htmx.content.decode()  # VAT at 15 %
    bad = client.post(f"{draft_url}items/", {**add, "new-amount": "abc"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and "is not an amount" in bad.content.decode()
    edit = client.get(f"{draft_url}?edit=2", HTTP_HX_REQUEST="true")
    assert edit.status_code == 200 and 'name="edit-amount"' in edit.content.decode()
    changed = client.post(
        f"{draft_url}items/2/",
        {
            "edit-sku": "",
            "edit-description": "Pute lin",
            "edit-quantity": "1",
            "edit-amount": "100",
            "edit-vat_rate": "15",
        },
    )
    assert changed.status_code == 302
    done = client.post(f"{draft_url}complete/")
    assert done.status_code == 302
    order = Order.objects.get(account=account)
    assert done["Location"] == url(order)
    assert order.gross_amount == 49800 and order.lines.count() == 2
    assert order.customer["email"] == "kari@example.no"
    assert client.post(f"{draft_url}complete/").status_code == 404


def test_completing_an_empty_draft_explains_why(account, login):
    client = login()
    draft_url = client.post(f"/{account.aid}/drafts/new/", {"currency": "NOK"})["Location"]
    response = client.post(f"{draft_url}complete/")
    assert response.status_code == 422 and "add at least one line" in response.content.decode()


def test_removing_a_draft_line_and_discarding(account, login):
    client = login()
    draft_url = client.post(f"/{account.aid}/drafts/new/", {"currency": "NOK"})["Location"]
    client.post(
        f"{draft_url}items/",
        {"new-description": "x", "new-quantity": "1", "new-amount": "10", "new-vat_rate": "0"},
    )
    assert client.post(f"{draft_url}items/1/delete/").status_code == 302
    assert "No lines yet" in client.get(draft_url).content.decode()
    assert client.post(f"{draft_url}discard/").status_code == 302
    assert client.get(draft_url).status_code == 404


def test_update_draft_continues_the_orders_line_ids(account, login):
    order = make_order(account)
    client = login()
    draft_url = client.post(url(order, "update/"))["Location"]
    client.post(
        f"{draft_url}items/",
        {"new-description": "Extra", "new-quantity": "1", "new-amount": "50", "new-vat_rate": "25"},
    )
    assert client.post(f"{draft_url}complete/").status_code == 302
    assert list(order.lines.values_list("line_id", flat=True)) == [1, 2]


def test_finance_cannot_build_drafts(account, login):
    order = make_order(account)
    client = login("Finance")
    assert client.get(f"/{account.aid}/drafts/new/").status_code == 403
    assert client.post(url(order, "update/")).status_code == 403
    assert client.get(url(order, "replace/")).status_code == 403


def test_vat_preview(account, login):
    response = login().get(
        f"/{account.aid}/vat/",
        {
            "currency": "NOK",
            "prefix": "new",
            "new-amount": "398",
            "new-vat_rate": "25",
            "new-description": "x",
            "new-quantity": "1",
        },
    )
    assert "79,60" in response.content.decode()


# CSRF -----------------------------------------------------------------------------------------


def test_every_post_needs_a_csrf_token(account, login):
    order = make_order(account, authorized=True)
    draft = make_draft(account)
    d = f"/{account.aid}/drafts/{draft.pk}/"
    posts = [
        url(order, "capture/"),
        url(order, "authorize/"),
        url(order, "refund/"),
        url(order, "cancellation/"),
        url(order, "cancel/"),
        url(order, "notes/"),
        url(order, "update/"),
        url(order, "replace/"),
        f"/{account.aid}/drafts/new/",
        f"{d}items/",
        f"{d}items/1/",
        f"{d}items/1/delete/",
        f"{d}complete/",
        f"{d}discard/",
        url(order, f"replacements/{draft.pk}/swap/"),
    ]
    client = login(enforce_csrf_checks=True)
    for path in posts:
        assert client.post(path, {}).status_code == 403, path
    assert PaymentOperation.objects.count() == 1
    assert Order.objects.get(pk=order.pk).status == "ACTIVE"
