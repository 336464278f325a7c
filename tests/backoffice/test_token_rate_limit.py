import contextlib
import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from backoffice import rate_limit
from backoffice.models import RateLimitWindow
from tests.support.api import basic
from tests.support.factories import AID, api_client_for
from tests.support.threads import at_once

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


LIMIT = 30  # the default TOKEN_RATE_LIMIT, per minute
CLIENTS = 50
BURSTS = 4
REDIS_URL = "redis://127.0.0.1:6379/15"

GUNICORN = [sys.executable, "-m", "gunicorn", "backoffice.wsgi", "-w", "2", "--threads", "8"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict):
    """Two worker processes of eight threads each on loopback: concurrent requests, as in
    production, against this test's database."""
    port = _free_port()
    server = subprocess.Popen(
        [*GUNICORN, "-b", f"127.0.0.1:{port}", "--log-level", "warning"],
        env={**os.environ, **env},
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while True:
            try:
                httpx.get(f"{base}/login/", timeout=2)
                break
            except httpx.HTTPError:
                if time.time() > deadline or server.poll() is not None:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        client.ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    return client


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("store", ["database", "redis"])
def test_fifty_concurrent_guesses_evaluate_at_most_the_limit(account, store):
    """50 clients at once, four times, each guessing a secret: only the limit's worth of guesses
    is evaluated (401); every other one is refused unseen (429), across two app servers."""
    client, _ = api_client_for(account)
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    env = {
        "DATABASE_URL": f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_REPLICA_URL": "",
        "TOKEN_RATE_LIMIT": f"{LIMIT}/min",
    }
    if store == "redis":
        redis = _redis_or_skip()
        for key in redis.scan_iter("*throttle:token:*"):
            redis.delete(key)
        env["CACHE_URL"] = REDIS_URL
    guess = basic(client.client_id, "wrong secret")
    answers: list[int] = []

    with gunicorn(env) as base:
        url = f"{base}/v1/accounts/{AID}/auth/token"

        def guesser(_: int) -> int:
            with httpx.Client(timeout=60) as http:
                return http.post(url, json=BODY, headers={"Authorization": guess}).status_code

        started = time.monotonic()
        for _ in range(BURSTS):
            answers += at_once(CLIENTS, guesser)
        elapsed = time.monotonic() - started

    assert elapsed < 60, "the bursts must fall in one window for the count to be exact"
    assert len(answers) == CLIENTS * BURSTS
    assert set(answers) <= {401, 429}, sorted(set(answers))
    assert answers.count(401) == LIMIT, f"{answers.count(401)} guesses evaluated, limit {LIMIT}"
    # Counted where the store says: a row in the database, or a count in Redis.
    if store == "database":
        (window,) = RateLimitWindow.objects.filter(bucket="throttle:token:127.0.0.1")
        assert window.hits == CLIENTS * BURSTS
    else:
        assert not RateLimitWindow.objects.exists()
        assert [int(redis.get(k)) for k in redis.scan_iter("*throttle:token:127.0.0.1")] == [CLIENTS * BURSTS]


@pytest.mark.django_db
@pytest.mark.parametrize("store", ["database", "local memory"])
def test_a_window_counts_every_request_and_closes_after_its_period(store, settings, monkeypatch):
    if store == "local memory":
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "rate"}
        }
    now = [1_000_000.0]
    monkeypatch.setattr(rate_limit.time, "time", lambda: now[0])

    assert [rate_limit.hit("token:a", 60)[0] for _ in range(3)] == [1, 2, 3]
    assert rate_limit.hit("token:b", 60)[0] == 1  # each client its own window
    now[0] += 30
    hits, wait = rate_limit.hit("token:a", 60)
    assert (hits, wait) == (4, pytest.approx(30))  # the window opened with the first request
    now[0] += 31
    hits, wait = rate_limit.hit("token:a", 60)
    assert (hits, wait) == (1, pytest.approx(60))  # closed: the next one opens
    assert RateLimitWindow.objects.exists() is (store == "database")
