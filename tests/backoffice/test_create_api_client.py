"""`manage.py create_api_client` prints one JSON object with working credentials."""

import base64
import json

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from backoffice.models import Account, ApiClient
from tests.support.api import ShoppingApi, token_for


def run(capsys, *args: str) -> dict:
    call_command("create_api_client", *args)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1, out
    return json.loads(lines[0])


def test_creates_the_account_and_prints_working_credentials(db, capsys):
    printed = run(capsys, "--account", "T12345678", "--name", "shop", "--scopes", "admin:shopping")
    assert set(printed) == {"account", "client_id", "client_secret"}
    assert printed["account"] == "T12345678"
    account = Account.objects.get(aid="T12345678")
    client = ApiClient.objects.get(client_id=printed["client_id"])
    assert client.account == account and client.scopes == ["admin:shopping"]
    assert printed["client_secret"] not in client.secret_hash
    token = token_for(client, printed["client_secret"], "T12345678")
    assert ShoppingApi("T12345678", token).call("get", "orders").status_code == 200


def test_reuses_an_existing_account_and_accepts_several_scopes(account, capsys):
    printed = run(
        capsys, "--account", account.aid, "--name", "erp", "--scopes", "read:shopping,write:shopping"
    )
    assert Account.objects.count() == 1
    assert ApiClient.objects.get(client_id=printed["client_id"]).scopes == ["read:shopping", "write:shopping"]
    second = run(capsys, "--account", account.aid, "--name", "erp", "--scopes", "read:shopping")
    assert second["client_id"] != printed["client_id"]


@pytest.mark.parametrize(
    "args, words",
    [
        (
            ["--account", "T12345678", "--name", "shop", "--scopes", "admin:checkout"],
            ["admin:checkout", "choose"],
        ),
        (["--account", "T12345678", "--name", "shop", "--scopes", ""], ["scopes"]),
        (["--account", "X12345678", "--name", "shop"], ["X12345678", "T12345678"]),
        (["--account", "T1234", "--name", "shop"], ["T1234"]),
        (["--account", "T12345678", "--name", ""], ["name"]),
    ],
)
def test_bad_arguments_are_a_clear_command_error_and_create_nothing(db, args, words):
    with pytest.raises(CommandError) as raised:
        call_command("create_api_client", *args)
    for word in words:
        assert word in str(raised.value)
    assert not Account.objects.exists()
    assert not ApiClient.objects.exists()


def test_the_seed_token_request_works_with_printed_credentials(db, capsys):
    printed = run(capsys, "--account", "T12345678", "--name", "shop")
    response = APIClient().post(
        "/v1/accounts/T12345678/auth/token",
        {"audience": "http://testserver/v1/accounts/T12345678", "grant_type": "client_credentials"},
        format="json",
    )
    assert response.status_code == 401
    client = APIClient()
    credentials = f"{printed['client_id']}:{printed['client_secret']}".encode()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(credentials).decode())
    response = client.post(
        "/v1/accounts/T12345678/auth/token",
        {"audience": "http://testserver/v1/accounts/T12345678", "grant_type": "client_credentials"},
        format="json",
    )
    assert response.status_code == 200, response.content
