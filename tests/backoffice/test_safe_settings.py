"""DEBUG is off unless asked for, and no page shows settings or the environment, even with it on."""

import os
import subprocess
import sys
import wsgiref.handlers

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.views import LoginView
from django.test import Client

from backoffice.api.views import TokenView

SECRET = "canary-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
CANARY = "canary-database-url-postgres://leak@db.internal/prod"
# What Django's technical pages print: their own words, the settings and the environment.
TECHNICAL = ["Traceback", "DEBUG = True", "SECRET_KEY", "DATABASE", "Django tried these URL patterns", "META"]


def boom(*args, **kwargs):
    raise RuntimeError("something broke")


def assert_nothing_leaks(response) -> None:
    body = response.content.decode(errors="replace")
    for word in [*TECHNICAL, SECRET, CANARY]:
        assert word not in body, (word, body[:2000])


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py` with the deployed settings module and no DEBUG in its environment."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**inherited, "DJANGO_SETTINGS_MODULE": "backoffice.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_debug_is_off_unless_asked_for():
    # Without DEBUG in the environment the app is in production mode: it needs a secret key …
    refused = manage("check")
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr
    # … and with one, DEBUG is off.
    show = "from django.conf import settings; print('DEBUG', settings.DEBUG)"
    shown = manage("shell", "-c", show, SECRET_KEY=SECRET)
    assert shown.returncode == 0, shown.stderr
    assert "DEBUG False" in shown.stdout
    # `make run` and the tests turn it on by saying so.
    asked = manage("shell", "-c", show, DEBUG="true")
    assert "DEBUG True" in asked.stdout, asked.stderr


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = SECRET
    return Client(raise_request_exception=False)


@pytest.mark.django_db
def test_a_crash_on_a_staff_page_shows_the_error_page_not_the_settings(debug_on, monkeypatch):
    monkeypatch.setattr(LoginView, "get", boom)
    response = debug_on.get("/login/", HTTP_ACCEPT="text/html")
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in response.content.decode()
    assert_nothing_leaks(response)
    # A client that asks for text gets no plain-text traceback either.
    assert_nothing_leaks(debug_on.get("/login/", HTTP_ACCEPT="text/plain"))


@pytest.mark.django_db
def test_a_crash_on_the_api_answers_the_error_body(debug_on, monkeypatch):
    monkeypatch.setattr(TokenView, "post", boom)
    response = debug_on.post("/v1/accounts/T12345678/auth/token", {}, content_type="application/json")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "server_error", "message": "an unexpected error occurred", "errors": []}
    }
    assert_nothing_leaks(response)


@pytest.mark.django_db
def test_an_unknown_page_is_the_404_page_not_the_url_patterns(debug_on):
    response = debug_on.get("/no-such-page/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.content.decode()
    assert_nothing_leaks(response)
    api = debug_on.get("/v1/no-such-endpoint")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_a_refused_host_is_a_plain_400(debug_on):
    # With DEBUG on, Django answers a DisallowedHost with its technical page, settings included.
    response = debug_on.get("/login/", HTTP_HOST="evil.example", HTTP_ACCEPT="text/html")
    assert response.status_code == 400
    assert_nothing_leaks(response)


@pytest.mark.django_db(transaction=True)
def test_over_http_a_crash_shows_no_environment(live_server, settings, monkeypatch):
    """Under a real server the technical page printed the process environment (DATABASE_URL)."""
    settings.DEBUG = True
    settings.SECRET_KEY = SECRET
    # wsgiref hands every request a copy of the environment it read at start-up.
    monkeypatch.setitem(wsgiref.handlers.BaseHandler.os_environ, "DATABASE_URL_CANARY", CANARY)
    monkeypatch.setattr(LoginView, "get", boom)
    for accept in ["text/html", "text/plain", "*/*"]:
        response = httpx.get(f"{live_server.url}/login/", headers={"Accept": accept}, timeout=30)
        assert response.status_code == 500
        assert "Something went wrong" in response.text
        for word in [*TECHNICAL, SECRET, CANARY]:
            assert word not in response.text, (word, response.text[:2000])
