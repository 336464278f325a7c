"""Browser-test fixtures: Playwright driving Debian's Chromium against pytest-django's
live_server. Without Chromium the tests skip, unless REQUIRE_BROWSER=1 (as in CI), where they
fail. Each test saves a screenshot of where it ended under screenshots/ (git-ignored): what the
window shows, or the whole page with SCREENSHOTS=full."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"
# A whole long page (the API docs) takes seconds to capture; the window is what a scenario ends on.
FULL_PAGE_SCREENSHOTS = os.environ.get("SCREENSHOTS") == "full"
# Playwright's sync API runs an event loop in this thread; the tests still use the ORM in it.
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="session")
def browser():
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not executable:
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    sync_api = pytest.importorskip("playwright.sync_api")
    before = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()
    if before is None:
        os.environ.pop(ASYNC_UNSAFE, None)
    else:
        os.environ[ASYNC_UNSAFE] = before


@pytest.fixture
def page(browser, live_server, request, settings):
    # Links the app builds (payment links, callbacks) point at the live server.
    settings.PUBLIC_URL = live_server.url
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, base_url=live_server.url, accept_downloads=True
    )
    page = context.new_page()
    page.base_url = live_server.url
    page.set_default_timeout(30_000)  # generous: CI shares two cores with the server and PostgreSQL
    yield page
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=FULL_PAGE_SCREENSHOTS)
    context.close()


def sign_in(page, user) -> None:
    """Reuse a Django session instead of typing the password in every scenario."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value, "url": page.base_url}]
    )


# True once the page has loaded (htmx has sent what it loads with the page) and htmx has nothing
# in flight: no request (`htmx-request` from when it is sent until its answer is swapped in), no
# swap and no settling of what was swapped in (which may send requests of its own).
HTMX_IDLE = """() => document.readyState === "complete"
    && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling")"""


def go(page, path: str) -> None:
    """Open `path` and wait for the page and what htmx loads into it (the payments panel, a
    preview): the page's only requests after it has loaded. Waiting for the network to be idle
    instead would add half a second to every page."""
    page.goto(path)
    htmx_idle(page)


def htmx_idle(page) -> None:
    """Wait for the page to load and htmx to have nothing in flight (after an action that opens
    a page of its own)."""
    page.wait_for_function(HTMX_IDLE)
