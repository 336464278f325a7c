"""The order page in a browser set to Norwegian and to English, and the header's language
switcher, remembered from page to page (Chromium through Playwright). Each test saves its
screenshots under screenshots/."""

import datetime as dt
import re

import pytest

from backoffice.models import Account
from orders.models import Event, Order, PaymentOperation
from tests.support.browser import SCREENSHOTS, go, sign_in
from tests.support.orders import item, make_order, record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CREATED = dt.datetime(2026, 12, 1, 5, 54, tzinfo=dt.UTC)  # 06:54 in Oslo


@pytest.fixture
def order(account) -> Order:
    Account.objects.filter(pk=account.pk).update(name="Testbutikken AS")
    order = make_order(account, [item(1), item(2, gross=10000)], authorized=True)
    record(order, "capture", [(1, 39800)])
    Order.objects.filter(pk=order.pk).update(created_at=CREATED)
    PaymentOperation.objects.filter(order=order).update(created_at=CREATED)
    Event.objects.filter(order=order).update(created_at=CREATED)
    return order


@pytest.fixture
def browser_in(browser, live_server, settings, request):
    """`browser_in("nb-NO")`: a page of a browser whose language is that locale."""
    settings.PUBLIC_URL = live_server.url
    contexts = []

    def make(locale: str):
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, base_url=live_server.url, locale=locale
        )
        contexts.append(context)
        page = context.new_page()
        page.base_url = live_server.url
        page.set_default_timeout(30_000)
        return page

    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_the_order_page_in_a_norwegian_browser(browser_in, staff, order):
    page = browser_in("nb-NO")
    sign_in(page, staff["Administrator"])
    go(page, f"/{order.account.aid}/orders/{order.order_id}/")
    assert page.locator("html").get_attribute("lang") == "nb"
    assert page.get_by_role("heading", level=1).inner_text() == f"Ordre {order.order_id}"
    assert page.get_by_role("heading", name="Tidslinje").is_visible()
    assert page.get_by_role("heading", name="Betalingsoperasjoner").is_visible()
    assert page.get_by_role("link", name="Bytt vare").is_visible()
    # The payment panel, loaded by htmx after the page, speaks Norwegian too.
    panel = page.get_by_test_id("payments-panel")
    panel.wait_for()
    assert "Betalingsleverandør" in panel.inner_text()
    body = page.locator("main").inner_text()
    assert "01.12.2026 06:54" in body and "Trekk av 398,00" in body and "398,00\xa0kr" in body
    assert "Timeline" not in body and "Payment operations" not in body
    # The capture form, by htmx, in Norwegian.
    page.get_by_role("link", name="Trekk", exact=True).click()
    form = page.locator("form.operation-form")
    form.wait_for()
    assert "Velg hvor mange av varene" in form.inner_text()
    shot(page, "languages-order-page-nb")


def test_the_order_page_in_an_english_browser(browser_in, staff, order):
    page = browser_in("en-GB")
    sign_in(page, staff["Administrator"])
    go(page, f"/{order.account.aid}/orders/{order.order_id}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == f"Order {order.order_id}"
    assert page.get_by_role("heading", name="Timeline").is_visible()
    page.get_by_test_id("payments-panel").wait_for()
    body = page.locator("main").inner_text()
    assert "1 Dec 2026 06:54" in body and "Capture of 398,00" in body and "398,00\xa0kr" in body
    assert not re.search(r"\d\s?[ap]\.m\.", body)
    shot(page, "languages-order-page-en")


def test_switching_languages_is_remembered(browser_in, staff, order):
    page = browser_in("nb-NO")
    sign_in(page, staff["Customer service"])
    order_path = f"/{order.account.aid}/orders/{order.order_id}/"
    go(page, order_path)
    switcher = page.get_by_test_id("language-switcher")
    assert switcher.get_by_role("button", name="Norsk bokmål").is_disabled()
    switcher.get_by_role("button", name="English").click()
    page.wait_for_load_state("networkidle")
    # Back on the same page, in English.
    assert page.url.endswith(order_path)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Timeline").is_visible()
    shot(page, "languages-switched-to-en")
    # Remembered on the next page, though the browser asks for Norwegian.
    page.get_by_role("link", name="Orders", exact=True).first.click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Orders"
    assert "1 Dec 2026 06:54" in page.locator("main").inner_text()
    page.get_by_test_id("language-switcher").get_by_role("button", name="Norsk bokmål").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", level=1).inner_text() == "Ordrer"
    assert page.locator("html").get_attribute("lang") == "nb"
    assert "01.12.2026 06:54" in page.locator("main").inner_text()
    shot(page, "languages-switched-back-to-nb")


def test_sign_in_in_norwegian(browser_in, staff, account):
    page = browser_in("nb-NO")
    go(page, "/login/")
    assert page.locator("html").get_attribute("lang") == "nb"
    page.get_by_label("Brukernavn").fill("customer")
    page.get_by_label("Passord").fill("wrong")
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_load_state("networkidle")
    # Django's own Norwegian for the refused sign-in.
    assert "brukernavn" in page.locator("main").inner_text().lower()
    shot(page, "languages-sign-in-nb")


def test_finance_and_the_work_queues_in_norwegian(browser_in, staff, order):
    page = browser_in("nb-NO")
    sign_in(page, staff["Administrator"])
    aid = order.account.aid
    go(page, f"/{aid}/work/")
    assert page.get_by_role("heading", level=1).inner_text() == "Arbeidskøer"
    assert "Gjenstår å trekke" in page.locator("main").inner_text()
    shot(page, "languages-work-queues-nb")
    go(page, f"/{aid}/finance/?period=custom&first=2026-12-01&last=2026-12-31&group=week")
    main = page.locator("main").inner_text()
    assert page.get_by_role("heading", level=1).inner_text() == "Økonomi"
    assert "01.12.2026 til 31.12.2026" in main and "Summer per valuta" in main
    shot(page, "languages-finance-nb")


def test_the_order_list_takes_a_date_as_norwegian_writes_it(browser_in, staff, order):
    page = browser_in("nb-NO")
    sign_in(page, staff["Customer service"])
    go(page, f"/{order.account.aid}/orders/")
    field = page.get_by_label("Opprettet fra")
    assert field.get_attribute("placeholder") == "dd.mm.åååå"
    field.fill("02.12.2026")
    field.press("Enter")
    page.wait_for_url("**created_from=02.12.2026**")
    page.get_by_test_id("no-match").wait_for()
    field = page.get_by_label("Opprettet fra")
    field.fill("01.12.2026")
    field.press("Enter")
    page.wait_for_url("**created_from=01.12.2026**")
    page.get_by_role("link", name=order.order_id).wait_for()
    assert page.get_by_label("Opprettet fra").input_value() == "01.12.2026"
    shot(page, "languages-order-list-date-nb")
