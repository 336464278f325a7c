"""The OpenAPI 3 schema and the docs pages are served by the app itself, with no CDN."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200, response.content
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)


@pytest.mark.parametrize(
    "path, methods",
    [
        ("/v1/accounts/{aid}/auth/token", {"post"}),
        ("/v1/accounts/{aid}/shopping/draft_orders", {"get", "post"}),
        ("/v1/accounts/{aid}/shopping/draft_orders/{draft_id}", {"get", "put", "delete"}),
        ("/v1/accounts/{aid}/shopping/draft_orders/{draft_id}/complete", {"put"}),
        ("/v1/accounts/{aid}/shopping/draft_orders/{draft_id}/items", {"post"}),
        ("/v1/accounts/{aid}/shopping/draft_orders/{draft_id}/items/{line_id}", {"put", "delete"}),
        ("/v1/accounts/{aid}/shopping/orders", {"get"}),
        ("/v1/accounts/{aid}/shopping/orders/{order_id}", {"get"}),
        ("/v1/accounts/{aid}/shopping/orders/{order_id}/cancel", {"post"}),
        ("/v1/accounts/{aid}/shopping/orders/{order_id}/events", {"get"}),
        ("/v1/accounts/{aid}/shopping/orders/{order_id}/authorizations", {"get", "post"}),
        ("/v1/accounts/{aid}/shopping/orders/{order_id}/captures", {"get", "post"}),
        ("/v1/accounts/{aid}/shopping/orders/{order_id}/refunds", {"get", "post"}),
        ("/v1/accounts/{aid}/shopping/orders/{order_id}/cancellations", {"get", "post"}),
        ("/v1/accounts/{aid}/shopping/orders/{order_id}/captures/{operation_id}", {"get"}),
    ],
)
def test_schema_documents_every_endpoint_of_the_contract(schema, path, methods):
    assert path in schema["paths"], sorted(schema["paths"])
    assert methods <= set(schema["paths"][path])


def test_order_schema_carries_the_ledger_fields(schema):
    components = schema["components"]["schemas"]
    order = components["Order"]["properties"]
    for field in ("gross_amount", "net_amount", "tax_amount", "status", "payment_status", "items"):
        assert field in order
    item_ref = order["items"]["items"]["$ref"].rsplit("/", 1)[-1]
    for field in ("authorized_amount", "captured_amount", "refunded_amount", "cancelled_amount"):
        assert field in order and field in components[item_ref]["properties"]


def test_operation_ids_are_unique(schema):
    ids = [
        op["operationId"] for item in schema["paths"].values() for op in item.values() if "operationId" in op
    ]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_load_their_assets_from_static(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, html[:500]
    for url in assets:
        assert not url.startswith(("http:", "https:", "//")), url
    local = [url for url in assets if url.startswith("/")]
    assert any(url.endswith(".js") for url in local), assets
    for url in local:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is not a local static file"
        else:  # served by the app itself (Redoc's bundle, backoffice/api_docs.py)
            assert client.get(url).status_code == 200, url
    assert "cdn" not in html.lower()
