"""The payment link e-mailed to the customer by the worker: once, in their language, on the
timeline; nothing without an address."""

import pytest
from django.core import mail
from django_tasks_db.models import DBTaskResult

from backoffice.actor import Actor
from customer_mail.models import CustomerEmail, Language, MailState, Purpose
from customer_mail.services.sending import email_send
from orders.models import EventKind
from payments.services.sessions import session_create
from tests.support.orders import item, record, update

from .helpers import CUSTOMER, order_for, send_all

pytestmark = pytest.mark.django_db
STAFF = Actor(system="tests")


def test_a_payment_link_is_e_mailed_once_in_norwegian_with_the_amount_as_money(account):
    order = order_for(account)
    session = session_create(order=order, actor=STAFF)

    (email,) = CustomerEmail.objects.all()
    assert email.purpose == Purpose.PAYMENT_LINK and email.state == MailState.PENDING
    # The task that sends it was enqueued with it, in the same transaction.
    assert DBTaskResult.objects.filter(args_kwargs__args=[email.pk], queue_name="mail").exists()
    assert mail.outbox == []

    assert email_send(email.pk) == "attempt 1: sent"
    assert email_send(email.pk) == "already sent"

    (message,) = mail.outbox
    assert message.to == ["kari@example.no"]
    assert message.from_email == '"Demo shop" <orders@shop.example>'
    assert message.subject == f"Betal bestilling {order.order_id} hos Demo shop"
    assert "Hei Kari," in message.body
    assert "Bestilling " + order.order_id + " koster 398,00\xa0kr." in message.body
    assert session.url in message.body
    assert message.extra_headers["Message-ID"] == email.message_id
    email.refresh_from_db()
    assert email.state == MailState.SENT and email.attempts == 1 and email.language == Language.NB


def test_the_timeline_says_what_was_sent_to_whom_and_when(account, login):
    order = order_for(account)
    session_create(order=order, actor=STAFF)
    send_all()

    event = order.events.get(kind=EventKind.CUSTOMER_EMAIL_SENT)
    assert event.created_by == "mail worker"
    assert event.data["to"] == "kari@example.no"
    assert event.data["purpose"] == "payment_link" and event.data["amount"] == 39800
    assert event.data["sent_at"]
    assert event.summary.startswith("Payment link (398,00")
    assert "e-mailed to kari@example.no in Norwegian" in event.summary

    page = login("Customer service").get(f"/{account.aid}/orders/{order.order_id}/")
    text = page.content.decode()
    assert "e-mailed to kari@example.no" in text
    assert "Payment link (398,00\xa0kr) e-mailed" in text


def test_english_when_the_order_says_so_or_the_address_is_abroad(account):
    by_locale = order_for(account, metadata={"locale": "en-GB"})
    abroad = order_for(
        account,
        customer={**CUSTOMER, "email": "sam@example.co.uk"},
        shipping_address={"address_line": "1 High St", "postal_code": "SW1A 1AA", "country": "GB"},
    )
    for order in (by_locale, abroad):
        session_create(order=order, actor=STAFF)
    send_all()

    assert {m.to[0] for m in mail.outbox} == {"kari@example.no", "sam@example.co.uk"}
    for message in mail.outbox:
        assert message.subject.startswith("Pay for order ")
        assert "398.00\xa0NOK" in message.body
    assert set(CustomerEmail.objects.values_list("language", flat=True)) == {"en"}


def test_no_e_mail_without_an_address_and_the_timeline_says_so(account):
    order = order_for(account, customer={"first_name": "Kari"})
    session_create(order=order, actor=STAFF)

    assert send_all() == ["skipped: no address"]
    assert mail.outbox == []
    (email,) = CustomerEmail.objects.all()
    assert email.state == MailState.SKIPPED and email.attempts == 0
    event = order.events.get(kind=EventKind.CUSTOMER_EMAIL_SKIPPED)
    assert event.summary == "Payment link (398,00\xa0kr) not e-mailed: the order has no customer e-mail"
    # Run again, nothing more happens.
    assert email_send(email.pk) == "already skipped"
    assert order.events.filter(kind=EventKind.CUSTOMER_EMAIL_SKIPPED).count() == 1


def test_the_difference_of_a_dearer_replacement(account):
    order = order_for(account)
    record(order, "authorization", [(1, 39800)])
    record(order, "capture", [(1, 39800)])
    # Line 1 reversed, line 3 a dearer replacement: 498,00 - 398,00 left to pay.
    update(
        order,
        [
            item(2, -39800, related_item={"line_id": 1, "type": "reversed"}),
            item(3, 49800),
        ],
    )
    order.refresh_from_db()
    record(order, "authorization", [(2, -39800), (3, 39800)])
    session_create(order=order, actor=STAFF)
    send_all()

    (message,) = mail.outbox
    assert message.subject == f"Betal mellomlegget for bestilling {order.order_id} hos Demo shop"
    assert "Mellomlegget for bestilling" in message.body and "100,00" in message.body


def test_a_rolled_back_change_owes_nothing(account):
    from django.db import transaction

    order = order_for(account)
    with pytest.raises(RuntimeError), transaction.atomic():
        record(order, "authorization", [(1, 39800)])
        record(order, "capture", [(1, 39800)])
        record(order, "refund", [(1, 10000)])
        raise RuntimeError("rolled back")
    assert not CustomerEmail.objects.exists()


def test_one_e_mail_per_link_even_if_its_call_is_told_of_again(account):
    from payments.models import ProviderCall
    from payments.services.journal import call_event_write

    order = order_for(account)
    session_create(order=order, actor=STAFF)
    call = ProviderCall.objects.get(order=order, kind="session")
    call_event_write(order, call, STAFF, "succeeded (settled again)")

    assert CustomerEmail.objects.count() == 1
    # Asking again for the same amounts answers the same link, and no second e-mail.
    session_create(order=order, actor=STAFF)
    assert CustomerEmail.objects.count() == 1
    assert send_all() == ["attempt 1: sent"]
    assert len(mail.outbox) == 1


def test_an_address_that_is_not_one_is_not_sent_to_and_the_timeline_says_why(account):
    order = order_for(account, customer={"first_name": "Kari", "email": "kari at example"})
    session_create(order=order, actor=STAFF)

    assert send_all() == ["skipped: no address"]
    assert mail.outbox == []
    event = order.events.get(kind=EventKind.CUSTOMER_EMAIL_SKIPPED)
    assert event.summary.endswith(
        "not e-mailed: the order's customer e-mail “kari at example” is not an e-mail address"
    )


def test_an_e_mail_that_cannot_be_written_does_not_undo_the_link(account, monkeypatch, caplog):
    from customer_mail.services import outbox

    def broken(*args):
        raise RuntimeError("template broken")

    monkeypatch.setattr(outbox, "_rendered", broken)
    order = order_for(account)
    session = session_create(order=order, actor=STAFF)

    assert session.status == "open" and session.url
    assert not CustomerEmail.objects.exists()
    assert "no customer e-mail for event" in caplog.text


def test_the_sender_is_the_shop_by_name(account):
    from customer_mail.services.outbox import _sender

    assert _sender('Kaffebønna AS, "Oslo"') == '"Kaffebønna AS, \\"Oslo\\"" <orders@shop.example>'
    account.name = "Kaffebønna AS, Oslo"
    account.save()
    order = order_for(account)
    session_create(order=order, actor=STAFF)
    send_all()
    (message,) = mail.outbox
    assert message.message()["From"] == "=?utf-8?q?Kaffeb=C3=B8nna_AS=2C_Oslo?= <orders@shop.example>"


def test_an_html_part_beside_the_text_with_the_link_as_a_button_and_names_escaped(account):
    order = order_for(account, customer={**CUSTOMER, "first_name": "<b>Kari</b>"})
    session = session_create(order=order, actor=STAFF)
    send_all()

    (message,) = mail.outbox
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert '<html lang="nb">' in html
    assert f'<a href="{session.url}"' in html and "Betal 398,00\xa0kr</a>" in html
    assert "Hei &lt;b&gt;Kari&lt;/b&gt;," in html and "<b>Kari</b>" not in html
    # The text part is for reading, not for a browser: nothing escaped there.
    assert message.body.startswith("Hei <b>Kari</b>,")


def test_the_refund_confirmation_has_an_html_part_in_english_too(account):
    from tests.support.orders import record as record_operation

    order = order_for(account, captured=True, customer={**CUSTOMER, "locale": "en"})
    record_operation(order, "refund", [(1, 39800)])
    send_all()
    ((html, _),) = mail.outbox[0].alternatives
    assert '<html lang="en">' in html
    assert "We have refunded <strong>398.00\xa0NOK</strong> for order" in html
