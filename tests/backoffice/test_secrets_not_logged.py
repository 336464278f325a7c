import base64
import logging

from django.core.management import call_command
from django.test import override_settings

from tests.support.factories import AID, api_client_for


@override_settings(DEBUG=True)  # SQL is logged too when debugging: it must not carry secrets either
def test_client_secrets_and_tokens_never_reach_the_logs(client, account, caplog):
    caplog.set_level(logging.DEBUG)
    api_client, secret = api_client_for(account)
    basic = base64.b64encode(f"{api_client.client_id}:{secret}".encode()).decode()
    body = {"grant_type": "client_credentials", "audience": f"http://testserver/v1/accounts/{AID}"}

    token = client.post(
        f"/v1/accounts/{AID}/auth/token",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {basic}",
    ).json()["access_token"]
    client.post(
        f"/v1/accounts/{AID}/auth/token",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{api_client.client_id}:wrong".encode()).decode(),
    )
    client.get(f"/v1/accounts/{AID}/shopping/orders/NOPE", HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get(f"/v1/accounts/{AID}/shopping/orders", HTTP_AUTHORIZATION=f"Bearer {token}x")
    call_command("create_api_client", "--account", AID, "--name", "logged", "--scopes", "read:shopping")

    assert caplog.records, "nothing was logged: the test would prove nothing"
    logged = caplog.text
    for needle in (secret, token, basic):
        assert needle not in logged
