"""Fuzz the API from its own OpenAPI schema, over HTTP: no 5xx, every response matches the
schema, and every 4xx carries the spec's error body.

A second fuzzer takes the requests the schema describes and plants one hostile value in each:
in the JSON body (numbers that are not finite, NUL characters, lone surrogates, huge numbers,
long texts, deep nesting), in the query (NUL, undecodable bytes, huge numbers, tampered
cursors), in a path parameter or in a header. Those are the inputs that once answered 500; now
each must be refused with a 4xx and the error body, and write nothing.

`FUZZ_EXAMPLES=200 pytest tests/api/test_fuzz.py` runs both longer.
"""

import base64
import json
import os
import re
from urllib.parse import quote

import pytest
import requests
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api import snapshot, token_for
from tests.support.factories import AccountFactory, api_client_for
from tests.support.orders import item, make_order

AID = "T12345678"
# The same document /api/schema/ serves, generated in-process.
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=DjangoJSONEncoder))
)
pytestmark = pytest.mark.django_db(transaction=True)


def assert_error_body(body) -> None:
    assert set(body) == {"error"}, body
    assert isinstance(body["error"].get("code"), str) and body["error"]["code"]
    assert isinstance(body["error"].get("message"), str) and body["error"]["message"]
    assert isinstance(body["error"].get("errors"), list)


@schemathesis.check
def error_body_on_4xx(ctx, response, case):
    if 400 <= response.status_code < 500:
        assert_error_body(response.json())


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


# Hostile values ---------------------------------------------------------------------------------

# Pieces of JSON text, planted as they are (Python's json module would not write most of them).
HOSTILE_JSON = [
    "1e309",  # infinity once parsed
    "-1e309",
    "1E400",
    "NaN",
    "Infinity",
    "-Infinity",
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',  # a lone surrogate
    '"x\\udfff"',
    str(10**30),
    str(-(10**40)),
    "9" * 5000,
    "2147483648",
    "9223372036854775808",
    "1e308",
    '"' + "x" * 100_000 + '"',
    "[" * 200 + "]" * 200,
    '{"a": ' * 100 + "1" + "}" * 100,
]
HOSTILE_KEYS = ['"\\u0000"', '"\\ud800"', '"x"']


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


# Query values and path segments, already percent-encoded: %ED%A0%80 is a surrogate in UTF-8.
HOSTILE_TEXT = ["%00", "a%00b", "%ED%A0%80", "%FF%FE", str(10**30), "-1", "1e309", "NaN", "x" * 5000]
# In a path, no longer than a file name: the test server looks every path up as a media file first,
# and the operating system refuses longer names (gunicorn, in production, does no such thing).
HOSTILE_SEGMENTS = [*HOSTILE_TEXT[:-1], "x" * 250]
tampered_cursors = st.one_of(
    st.sampled_from([_cursor("p=garbage"), _cursor("p=2024-02-30 10:00:00%2B00:00"), "not-a-cursor"]),
    st.text(st.characters(codec="ascii", exclude_characters="&="), max_size=30).map(
        lambda position: _cursor(f"p={quote(position)}")
    ),
    st.tuples(
        st.integers(), st.integers(), st.text(st.characters(codec="utf-8"), max_size=10).map(quote)
    ).map(lambda t: _cursor(f"o={t[0]}&r={t[1]}&p={t[2]}")),
    st.binary(max_size=40).map(lambda raw: base64.b64encode(raw).decode()),
)
HOSTILE_HEADERS = {"Idempotency-Key": ["a\x00b", "k" * 10_000, ""], "X-Request-Id": ["\x00"]}
RAW = "__hostile__"


KEY = "__hostile_key__"


def _containers(value, path=()):
    """The path of every object and list in a JSON value."""
    if isinstance(value, dict | list):
        yield path
        for key, child in value.items() if isinstance(value, dict) else enumerate(value):
            yield from _containers(child, (*path, key))


def _planted(body, data) -> bytes:
    """`body` as JSON text with one hostile value in it: instead of a value, or under a new key."""
    raw = data.draw(st.sampled_from(HOSTILE_JSON), label="hostile value")
    if not isinstance(body, dict | list):
        return raw.encode()
    body = json.loads(json.dumps(body))
    holder = body
    for key in data.draw(st.sampled_from(list(_containers(body))), label="where"):
        holder = holder[key]
    keys = list(holder) if isinstance(holder, dict) else list(range(len(holder)))
    if keys and data.draw(st.booleans(), label="instead of a value"):
        holder[data.draw(st.sampled_from(keys), label="key")] = RAW
    elif isinstance(holder, list):
        holder.append(RAW)
    else:
        holder[KEY] = RAW
    key = data.draw(st.sampled_from(HOSTILE_KEYS), label="new key") if KEY in holder else '"x"'
    return json.dumps(body).replace(f'"{KEY}"', key).replace(f'"{RAW}"', raw).encode()


def _segment(value) -> str:
    return quote(str(value), safe="")


@schema.include(path_regex="^/v1/").parametrize()
@schema.given(data=st.data())
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "8")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_hostile_input_is_refused_with_the_error_body_and_writes_nothing(case, data, bearer, live_server):
    params = {**case.path_parameters, "aid": AID} if "aid" in case.path_parameters else case.path_parameters
    segments = {name: _segment(value) for name, value in params.items()}
    query = {name: _segment(value) for name, value in (case.query or {}).items()}
    headers = {} if case.path.endswith("/auth/token") else {"Authorization": f"Bearer {bearer}"}
    has_body = case.media_type == "application/json" and isinstance(case.body, dict | list)
    body = json.dumps(case.body).encode() if has_body else None

    places = ["query", "header"] + (["body", "body", "body"] if has_body else [])
    places += ["path"] * bool(set(segments) - {"aid"})
    place = data.draw(st.sampled_from(places), label="place")
    if place == "body":
        body = _planted(case.body, data)
    elif place == "query":
        name = data.draw(st.sampled_from([*query, "cursor", "limit", "created_at_gte", "search", "%00"]))
        values = st.sampled_from(HOSTILE_TEXT)
        query[name] = data.draw(st.one_of(values, tampered_cursors) if name == "cursor" else values)
    elif place == "path":
        name = data.draw(st.sampled_from(sorted(set(segments) - {"aid"})), label="path parameter")
        segments[name] = data.draw(st.sampled_from(HOSTILE_SEGMENTS), label="path value")
    else:
        name = data.draw(st.sampled_from(sorted(HOSTILE_HEADERS)), label="header")
        headers[name] = data.draw(st.sampled_from(HOSTILE_HEADERS[name]), label="header value")

    path = re.sub(r"{(\w+)}", lambda m: segments[m[1]], case.path)
    url = live_server.url + path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    if body is not None:
        headers["Content-Type"] = "application/json"
    before = snapshot()
    response = requests.request(case.method, url, data=body, headers=headers, timeout=60)

    assert response.status_code < 500, (place, url[:300], (body or b"")[:300], response.text[:500])
    if response.status_code >= 400:
        assert_error_body(response.json())
        assert snapshot() == before, (place, url[:300], (body or b"")[:300])
