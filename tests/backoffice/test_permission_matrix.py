"""Who may open what: every staff page and API endpoint, for anonymous visitors, each role,
staff of another account, each API scope and another account's token; and every admin page
and action, for an administrator of one account on another account's records."""

import re

import pytest
from django.apps import apps
from django.contrib import admin as django_admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from rest_framework.test import APIClient

from backoffice.actor import Actor
from backoffice.models import AccessToken, IdempotencyRecord
from hooks.tasks import delivery_send
from orders.models import DraftOrder
from payments.models import Mismatch, PaymentSession, ProviderCall, ReconciliationRun, SandboxFault
from tests.support.admin_forms import form_data
from tests.support.api import ShoppingApi, token_for
from tests.support.factories import AID, OTHER_AID, AccountFactory, UserFactory, api_client_for, staff_for
from tests.support.once import shared
from tests.support.orders import SEED_DRAFT, item, make_order, record

CS, FIN, ADMIN = "Customer service", "Finance", "Administrator"
ALL = {CS: 200, FIN: 200, ADMIN: 200}
OPERATE = {CS: 200, FIN: 403, ADMIN: 200}
REFUND = {CS: 403, FIN: 200, ADMIN: 200}
FINANCE = {CS: 403, FIN: 200, ADMIN: 200}
ADMINISTRATORS = {CS: 403, FIN: 403, ADMIN: 200}

# (name, path with {aid}/{oid}/{pk}, who may open it)
PAGES = [
    ("order list", "/{aid}/orders/", ALL),
    ("order page", "/{aid}/orders/{oid}/", ALL),
    ("authorize form", "/{aid}/orders/{oid}/authorize/", OPERATE),
    ("capture form", "/{aid}/orders/{oid}/capture/", OPERATE),
    ("cancellation form", "/{aid}/orders/{oid}/cancellation/", OPERATE),
    ("refund form", "/{aid}/orders/{oid}/refund/", REFUND),
    ("cancel order", "/{aid}/orders/{oid}/cancel/", OPERATE),
    ("replace item", "/{aid}/orders/{oid}/replace/", OPERATE),
    ("drafts", "/{aid}/drafts/", OPERATE),
    ("new draft", "/{aid}/drafts/new/", OPERATE),
    ("finance", "/{aid}/finance/", FINANCE),
    ("finance drill-down", "/{aid}/finance/operations/", FINANCE),
    ("finance CSV", "/{aid}/finance/export.csv", FINANCE),
    ("books check", "/{aid}/finance/books/", FINANCE),
    ("provider actions", "/{aid}/orders/{oid}/payments/", ALL),
    ("provider panel", "/{aid}/orders/{oid}/payments/panel", ALL),
    ("webhooks", "/{aid}/hooks/", ADMINISTRATORS),
]


# Built once for the tests that ask for the same ones (tests/support/once.py): the accounts,
# staff, order and records of every model the cases here look at, as they were made.
@shared
def account():
    return AccountFactory(aid=AID, name="Demo shop")


@shared
def other_account():
    return AccountFactory(aid=OTHER_AID, name="Other shop")


@shared
def staff(account):
    return staff_for(account)


@shared
def order(account):
    order = make_order(account, [item(1), item(2, gross=10000)])
    record(order, "authorization", [(1, 39800), (2, 10000)])
    record(order, "capture", [(1, 39800)])
    return order


def url(path: str, order) -> str:
    return path.format(aid=order.account.aid, oid=order.order_id, pk=order.pk)


@pytest.mark.parametrize(("name", "path", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_staff_pages_by_role(client, staff, order, name, path, allowed):
    assert client.get(url(path, order)).status_code == 302  # anonymous: to the sign-in page
    for role, status in allowed.items():
        client.force_login(staff[role])
        assert client.get(url(path, order)).status_code == status, role


@pytest.mark.parametrize(("name", "path", "allowed"), PAGES, ids=[p[0] for p in PAGES])
def test_staff_of_another_account_find_nothing(client, order, name, path, allowed):
    outsider = UserFactory(username="outsider", role=ADMIN, accounts=[AccountFactory(aid="T55555555")])
    client.force_login(outsider)
    assert client.get(url(path, order)).status_code == 404


def test_admin_site_only_for_administrators(client, staff):
    index = reverse("admin:index")
    assert client.get(index).status_code == 302
    for role, status in {CS: 302, FIN: 302, ADMIN: 200}.items():
        client.force_login(staff[role])
        assert client.get(index).status_code == status, role


# API: (method, path, body); writes answer 2xx or, for a valid request the ledger refuses, 409.
CAPTURE = {"items": [{"line_id": 2, "amount": 100}], "payment_details": {"payment_id": "PID_123"}}
ENDPOINTS = [
    ("get", "shopping/draft_orders", None),
    ("post", "shopping/draft_orders", SEED_DRAFT),
    ("get", "shopping/orders", None),
    ("get", "shopping/orders/{oid}", None),
    ("get", "shopping/orders/{oid}/events", None),
    ("get", "shopping/orders/{oid}/captures", None),
    ("post", "shopping/orders/{oid}/captures", CAPTURE),
    ("post", "shopping/orders/{oid}/authorizations", CAPTURE),
    ("post", "shopping/orders/{oid}/cancel", {}),
    ("post", "payments/orders/{oid}/capture", {"items": [{"line_id": 2, "amount": 100}]}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
def test_api_by_scope(make_api, account, other_account, order, method, path, body):
    full = f"/v1/accounts/{account.aid}/{path.format(oid=order.order_id)}"
    read, write = make_api(account, "read:shopping"), make_api(account, "write:shopping")
    admin, foreign = make_api(account, "admin:shopping"), make_api(other_account, "admin:shopping")

    def status(api, target=full):
        return getattr(api, method)(target, body, format="json").status_code

    assert status(APIClient()) == 401
    assert status(foreign) == 401  # another account's token on this account's path
    if method == "get":
        assert status(read) == 200
        assert status(write) == 200
    else:
        assert status(read) == 403
        assert status(write) in (200, 201, 202, 409, 502)
    assert status(admin) in (200, 201, 202, 409, 502)
    # this account's token cannot reach another account's order, even by its id
    if "{oid}" in path:
        theirs = make_order(other_account)
        assert status(admin, f"/v1/accounts/{account.aid}/{path.format(oid=theirs.order_id)}") == 404


# The admin, with two accounts: every page and action of every registered model, opened by
# account A's Administrator (not a superuser) on account B's records. Each is refused (403, 404,
# or Django's "not found" redirect to the admin index), or lists A's records only; B's data
# never shows and never changes. A superuser sees both.

SITE = django_admin.site
MODEL_ADMINS = {model._meta.label_lower: model_admin for model, model_admin in SITE._registry.items()}
# How each account's rows reach their account.
SCOPED = {
    "backoffice.account": "pk",
    "auth.user": "accounts",
    "backoffice.apiclient": "account",
    "backoffice.accesstoken": "client__account",
    "backoffice.idempotencyrecord": "account",
    "orders.order": "account",
    "orders.orderline": "order__account",
    "orders.taxline": "line__order__account",
    "orders.paymentoperation": "order__account",
    "orders.operationitem": "operation__order__account",
    "orders.event": "order__account",
    "orders.draftorder": "account",
    "payments.providercall": "order__account",
    "payments.paymentsession": "order__account",
    "payments.mismatch": "order__account",
    # django-axes' failed sign-ins: their username is a user of the account
    "axes.accessattempt": "username",
}
# Rows of no one account: roles are shared and read-only; the others are superusers' only.
SHARED = {"auth.group"}
SUPERUSERS_ONLY = {
    "payments.reconciliationrun",
    "payments.sandboxfault",
    "django_tasks_database.dbtaskresult",
}
ADMIN_MODELS = sorted(MODEL_ADMINS)


def _records(account, user, tag: str, currency: str, payment_id: str) -> dict:
    """One record of every registered model for the account, made the way the product makes them
    where it can (API client and token, an idempotent API write, orders through the services)."""
    api_client, secret = api_client_for(account, "admin:shopping", name=f"{tag}-shop")
    api = ShoppingApi(account.aid, token_for(api_client, secret, account.aid))
    assert api.call("post", "draft_orders", SEED_DRAFT, HTTP_IDEMPOTENCY_KEY=f"key-{tag}").status_code == 201
    actor = Actor(user=user)
    order = make_order(account, [item(1), item(2, gross=10000)], currency=currency, actor=actor)
    record(order, "authorization", [(1, 39800), (2, 10000)], payment_id=payment_id, actor=actor)
    capture = record(order, "capture", [(1, 39800)], payment_id=payment_id, actor=actor)
    line = order.lines.get(line_id=1)
    session = PaymentSession.objects.create(
        order=order, provider="sandbox", status="failed", amount=10000, currency=currency, actor_user=user
    )
    run = ReconciliationRun.objects.create()
    records = {}
    if "axes.accessattempt" in MODEL_ADMINS:
        # a wrong password on the staff sign-in page
        assert (
            Client().post(reverse("login"), {"username": user.username, "password": "wrong"}).status_code
            == 200
        )
        records["axes.accessattempt"] = apps.get_model("axes", "AccessAttempt").objects.get(
            username=user.username
        )
    return records | {
        "backoffice.account": account,
        "auth.user": user,
        "auth.group": Group.objects.get(name=FIN),
        "backoffice.apiclient": api_client,
        "backoffice.accesstoken": AccessToken.objects.get(client=api_client),
        "backoffice.idempotencyrecord": IdempotencyRecord.objects.get(account=account),
        "orders.order": order,
        "orders.orderline": line,
        "orders.taxline": line.tax_lines.get(),
        "orders.paymentoperation": capture,
        "orders.operationitem": capture.items.get(),
        "orders.event": order.events.filter(actor_user=user).first(),
        "orders.draftorder": DraftOrder.objects.filter(account=account, completed_order=None).get(),
        "payments.providercall": ProviderCall.objects.create(
            order=order, provider="sandbox", kind="capture", state="failed", payment_id=payment_id, amount=100
        ),
        "payments.paymentsession": session,
        "payments.mismatch": Mismatch.objects.create(
            order=order,
            provider="sandbox",
            payment_id=payment_id,
            kind="captured",
            recorded=39800,
            at_provider=0,
            first_run=run,
            last_run=run,
        ),
        "payments.reconciliationrun": run,
        "payments.sandboxfault": SandboxFault.objects.create(kind="capture", outcome="decline"),
        # the background worker's queue: a task names no account
        "django_tasks_database.dbtaskresult": DBTaskResult.objects.get(id=delivery_send.enqueue(0).id),
    }


@shared
def tenants(account, other_account, staff):
    theirs_user = UserFactory(username="b-finance", role=FIN, accounts=[other_account])
    mine = _records(account, staff[FIN], "a", "NOK", "PID_A")
    theirs = _records(other_account, theirs_user, "b", "DKK", "PID_B")
    # What of B's would give it away on one of A's pages.
    markers = [other_account.aid, other_account.name, "b-finance", "b-shop", "key-b", "PID_B", "DKK"]
    markers.append(theirs["orders.order"].order_id)
    return {"mine": mine, "theirs": theirs, "markers": markers}


@pytest.fixture
def administrator(client, staff):
    client.force_login(staff[ADMIN])
    return client


def admin_url(label: str, view: str, *args) -> str:
    return reverse(f"admin:{label.replace('.', '_')}_{view}", args=args)


def refused(response) -> bool:
    """403, 404, or Django's redirect to the admin index for an object it cannot find."""
    if response.status_code == 302:
        return response["Location"] == reverse("admin:index")
    return response.status_code in (403, 404)


def snapshot(obj):
    """The row as stored, with its many-to-many relations either way (a user's accounts)."""
    model = type(obj)
    row = model._default_manager.filter(pk=obj.pk).values().first()
    related = {}
    for field in model._meta.get_fields():
        if field.many_to_many:
            name = field.get_accessor_name() if field.auto_created else field.name
            related[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
    return row, related


def no_markers(html: str, markers: list[str], where: str) -> None:
    # The CSRF token and generated order ids are random text: a short marker ("DKK") would now
    # and then appear inside them, so a marker counts only as a token of its own.
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
    for marker in markers:
        shown = re.search(rf"(?<![A-Za-z0-9]){re.escape(marker)}(?![A-Za-z0-9])", html)
        assert shown is None, f"{where} shows {marker!r}"


def test_every_registered_admin_model_is_in_the_matrix():
    """A newly registered model must say how its rows reach their account (and get a record
    in `_records`), or why it belongs to none."""
    assert set(MODEL_ADMINS) - (set(SCOPED) | SHARED | SUPERUSERS_ONLY) == set()


@pytest.mark.parametrize("label", ADMIN_MODELS)
def test_admin_pages_of_another_account_are_refused(administrator, tenants, label):
    client, mine, theirs = administrator, tenants["mine"][label], tenants["theirs"][label]
    changelist = client.get(admin_url(label, "changelist"))
    if label in SUPERUSERS_ONLY:
        assert changelist.status_code == 403
    else:
        assert changelist.status_code == 200
        listed = set(changelist.context["cl"].result_list)
        assert mine in listed
        assert theirs not in listed or label in SHARED
        no_markers(changelist.content.decode(), tenants["markers"], "the list")
        facets = client.get(admin_url(label, "changelist"), {"_facets": "1"}).content.decode()
        no_markers(facets, tenants["markers"], "the list with facet counts")
        page = client.get(admin_url(label, "change", mine.pk))
        assert page.status_code == 200
        no_markers(page.content.decode(), tenants["markers"], "A's own record")
    if label in SHARED:
        # a role is read-only for an administrator: viewed, never changed, added or deleted
        assert client.post(admin_url(label, "change", theirs.pk), {"name": "x"}).status_code == 403
        assert client.post(admin_url(label, "delete", theirs.pk), {"post": "yes"}).status_code == 403
        assert Group.objects.filter(pk=theirs.pk, name=FIN).exists()
        return

    before = snapshot(theirs)
    mine_form = client.get(admin_url(label, "change", mine.pk))
    forged = form_data(mine_form.content.decode()) if mine_form.status_code == 200 else {}
    content_type = ContentType.objects.get_for_model(type(theirs))
    for view, method, path, body in [
        ("change", "get", admin_url(label, "change", theirs.pk), None),
        ("change", "post", admin_url(label, "change", theirs.pk), {**forged, "_save": "Save"}),
        ("history", "get", admin_url(label, "history", theirs.pk), None),
        ("delete", "get", admin_url(label, "delete", theirs.pk), None),
        ("delete", "post", admin_url(label, "delete", theirs.pk), {"post": "yes"}),
        ("view on site", "get", reverse("admin:view_on_site", args=[content_type.pk, theirs.pk]), None),
    ]:
        response = getattr(client, method)(path, body or {})
        assert refused(response), f"{method.upper()} {view}: {response.status_code}"
        no_markers(response.content.decode(), tenants["markers"], f"{method.upper()} {view}")
    if label == "auth.user":
        password = admin_url(label, "password_change", theirs.pk)
        assert client.get(password).status_code == 404
        new = {"password1": "x-Taken-over-1", "password2": "x-Taken-over-1", "usable_password": "true"}
        assert client.post(password, new).status_code == 404
    assert snapshot(theirs) == before


# What a forged add form names of account B (the rest of the form as the page has it).
FORGED_ADD = {
    "backoffice.account": {"aid": "T44444444", "name": "forged"},
    "backoffice.apiclient": {"name": "forged", "scopes": ["admin:shopping"]},
    "auth.user": {
        "username": "forged",
        "usable_password": "true",
        "password1": "x-Forged-pass-1",
        "password2": "x-Forged-pass-1",
        "Account_members-TOTAL_FORMS": "1",
        "Account_members-INITIAL_FORMS": "0",
    },
}


@pytest.mark.parametrize("label", ADMIN_MODELS)
def test_admin_add_cannot_reach_another_account(administrator, tenants, other_account, label):
    client, model = administrator, type(tenants["theirs"][label])
    page = client.get(admin_url(label, "add"))
    body = form_data(page.content.decode()) if page.status_code == 200 else {}
    body.update(FORGED_ADD.get(label, {}))
    for name in list(body):
        if name == "account" or name.endswith("-account"):
            body[name] = str(other_account.pk)
    if label == "auth.user":
        body["Account_members-0-account"] = str(other_account.pk)
    count = model._default_manager.count()

    response = client.post(admin_url(label, "add"), {**body, "_save": "Save"})

    if label in FORGED_ADD and label != "backoffice.account":
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    else:
        assert response.status_code == 403
    assert model._default_manager.count() == count


ACTIONS = [
    (label, action if isinstance(action, str) else action.__name__)
    for label in ADMIN_MODELS
    for action in [*(MODEL_ADMINS[label].actions or []), "delete_selected"]
]


@pytest.mark.parametrize(("label", "action"), ACTIONS, ids=[f"{label} {action}" for label, action in ACTIONS])
def test_admin_actions_cannot_reach_another_account(administrator, tenants, label, action):
    theirs = tenants["theirs"][label]
    before = snapshot(theirs)
    url = admin_url(label, "changelist")

    for extra in ({}, {"select_across": "1"}):
        response = administrator.post(
            url, {"action": action, "_selected_action": [theirs.pk], "index": "0", "post": "yes", **extra}
        )
        assert response.status_code in (200, 302, 403), response.status_code
        no_markers(response.content.decode(), tenants["markers"], f"action {action}")

    assert snapshot(theirs) == before


def _autocomplete_sources():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if not (field.is_relation and (field.concrete or field.many_to_many)) or field.auto_created:
                continue
            if field.many_to_many and not field.concrete:
                continue
            remote = field.remote_field.model._meta.label_lower
            if remote in SCOPED and MODEL_ADMINS[remote].search_fields:
                yield model._meta.app_label, model._meta.model_name, field.name, remote


AUTOCOMPLETE = sorted(set(_autocomplete_sources()))


@pytest.mark.parametrize(
    ("app_label", "model_name", "field_name", "remote"),
    AUTOCOMPLETE,
    ids=[f"{a}.{m}.{f}" for a, m, f, _ in AUTOCOMPLETE],
)
def test_admin_autocomplete_offers_nothing_of_another_account(
    administrator, tenants, app_label, model_name, field_name, remote
):
    response = administrator.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""},
    )

    assert response.status_code == 200
    offered = {result["id"] for result in response.json()["results"]}
    assert str(tenants["mine"][remote].pk) in offered
    assert str(tenants["theirs"][remote].pk) not in offered
    no_markers(response.content.decode(), tenants["markers"], "the autocomplete")


@pytest.mark.parametrize("label", ADMIN_MODELS)
def test_superusers_see_every_accounts_records(client, tenants, label, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.com", "x-Root-pass-1")
    )
    theirs = tenants["theirs"][label]

    listed = client.get(admin_url(label, "changelist")).context["cl"].result_list
    assert theirs in listed and tenants["mine"][label] in listed
    assert client.get(admin_url(label, "change", theirs.pk)).status_code == 200
