from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from tests.conftest import AID

BODY = {"grant_type": "client_credentials", "audience": f"http://testserver/v1/accounts/{AID}"}


def test_token_endpoint_is_rate_limited_per_address(client, account, monkeypatch):
    cache.clear()
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"token": "3/min"})
    answers = [
        client.post(
            f"/v1/accounts/{AID}/auth/token",
            BODY,
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic bm9ib2R5Om5vdGhpbmc=",
        ).status_code
        for _ in range(5)
    ]
    assert answers == [401, 401, 401, 429, 429]
    limited = client.post(f"/v1/accounts/{AID}/auth/token", BODY, content_type="application/json")
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0
    # another address is not limited
    other = client.post(
        f"/v1/accounts/{AID}/auth/token", BODY, content_type="application/json", REMOTE_ADDR="10.9.8.7"
    )
    assert other.status_code == 401
    assert api_settings.DEFAULT_THROTTLE_RATES["token"]
