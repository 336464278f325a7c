"""Staff send a payment link from the order page; the worker e-mails it; the order's timeline
says so. In a real browser (Playwright + Chromium); screenshot under screenshots/."""

import pytest
from django.core import mail

from customer_mail.models import CustomerEmail
from tests.support.browser import SCREENSHOTS, go, sign_in

from .helpers import order_for, send_all

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_link_sent_from_the_order_page_is_e_mailed_and_the_timeline_says_so(page, staff, account):
    order = order_for(account)
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/{order.order_id}/")
    page.get_by_role("button", name="Send payment link").click()
    page.get_by_text("Payment link ready").wait_for()
    assert CustomerEmail.objects.filter(order=order).count() == 1

    assert send_all() == ["attempt 1: sent"]  # what the worker does
    (message,) = mail.outbox
    assert message.to == ["kari@example.no"]

    go(page, f"/{account.aid}/orders/{order.order_id}/")
    entry = page.locator(".timeline__item--customer_email_sent")
    entry.wait_for()
    assert "e-mailed to kari@example.no in Norwegian" in entry.inner_text()
    assert "mail worker" in entry.inner_text()
    entry.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "payment_link_e_mailed_timeline.png"), full_page=True)


def test_without_an_address_the_timeline_says_nothing_was_sent(page, staff, account):
    order = order_for(account, customer={"first_name": "Kari"})
    sign_in(page, staff["Customer service"])
    go(page, f"/{account.aid}/orders/{order.order_id}/")
    page.get_by_role("button", name="Send payment link").click()
    page.get_by_text("Payment link ready").wait_for()
    send_all()

    go(page, f"/{account.aid}/orders/{order.order_id}/")
    entry = page.locator(".timeline__item--customer_email_skipped")
    entry.wait_for()
    assert "not e-mailed: the order has no customer e-mail" in entry.inner_text()
    assert mail.outbox == []
