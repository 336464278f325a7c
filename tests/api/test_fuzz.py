"""Fuzz the API from its own OpenAPI schema, over HTTP: no 5xx, every response matches the
schema, and every 4xx carries the spec's error body.

`FUZZ_EXAMPLES=200 pytest tests/api/test_fuzz.py` runs it longer.
"""

import json
import os

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import token_for
from tests.factories import AccountFactory, api_client_for, item, make_order

AID = "T12345678"
# The same document /api/schema/ serves, generated in-process.
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=DjangoJSONEncoder))
)
pytestmark = pytest.mark.django_db(transaction=True)


@schemathesis.check
def error_body_on_4xx(ctx, response, case):
    if 400 <= response.status_code < 500:
        body = response.json()
        assert set(body) == {"error"}, body
        assert isinstance(body["error"].get("code"), str) and body["error"]["code"]
        assert isinstance(body["error"].get("message"), str) and body["error"]["message"]
        assert isinstance(body["error"].get("errors"), list)


@pytest.fixture
def bearer(transactional_db):
    account = AccountFactory(aid=AID)
    make_order(account, [item(1), item(2, gross=12900, rate=15)])
    client, secret = api_client_for(account)
    return token_for(client, secret, AID)


@schema.include(path_regex="^/v1/").parametrize()
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_answers_every_request_within_its_contract(case, bearer, live_server):
    if "aid" in case.path_parameters:
        case.path_parameters["aid"] = AID
    headers = {} if case.path.endswith("/auth/token") else {"Authorization": f"Bearer {bearer}"}
    case.call_and_validate(
        base_url=live_server.url,
        headers=headers,
        checks=[
            not_a_server_error,
            response_schema_conformance,
            status_code_conformance,
            content_type_conformance,
            error_body_on_4xx,
        ],
    )
