"""The outbox: the e-mails an event owes the customer, written in the event's own transaction
with the task that will send them. A rollback sends nothing; a crash after the commit loses
nothing (the row is there for the worker).

Which events owe one:

* a payment link made at the provider (the provider call for a session, succeeded, its link
  still payable): the link, with what it asks the customer to pay — the order, what is left of
  it, or the difference of a dearer replacement;
* a refund recorded on the order (from any path: staff, the API, the provider): what was
  refunded.
"""

import logging
import uuid
from email.utils import parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from customer_mail.language import MONEY_LOCALES, customer_language
from customer_mail.models import CustomerEmail, Language, Purpose
from customer_mail.tasks import email_send
from orders.models import DraftOrder, Event, EventKind, Order
from orders.money import format_money
from orders.services.events import DraftChange
from payments.models import CallKind, CallState, ProviderCall, SessionStatus

logger = logging.getLogger("customer_mail")

# The timeline's entries about e-mails are written by the worker; they owe nothing.
MAIL_KINDS = {
    EventKind.CUSTOMER_EMAIL_SENT,
    EventKind.CUSTOMER_EMAIL_FAILED,
    EventKind.CUSTOMER_EMAIL_SKIPPED,
}


def _kick(email: CustomerEmail) -> None:
    email_send.enqueue(email.pk)
    CustomerEmail.objects.filter(pk=email.pk).update(kicked_at=timezone.now())


def _message_id(email: CustomerEmail) -> str:
    """The same on every attempt, so a mail server or client that sees it twice can tell."""
    domain = urlsplit(settings.PUBLIC_URL).hostname or "localhost"
    return f"<customer-mail.{email.pk}.{uuid.uuid4().hex[:12]}@{domain}>"


def _rendered(purpose: Purpose, language: Language, context: dict) -> tuple[str, str, str]:
    """Subject, text and HTML, from the language's templates."""
    folder = f"customer_mail/{language}"
    lines = render_to_string(f"{folder}/{purpose}_subject.txt", context).splitlines()
    body = render_to_string(f"{folder}/{purpose}.txt", context)
    # A subject is one line, whatever the template's line breaks (its no-break spaces kept).
    subject = " ".join(part.strip() for part in lines if part.strip())[:300]
    html = render_to_string(f"{folder}/{purpose}.html", {**context, "subject": subject, "language": language})
    return subject, body.strip() + "\n", html


def _replaced_lines(order: Order) -> set[int]:
    """The lines update drafts added to the order: a link for them is for a replacement."""
    ids: set[int] = set()
    for data in order.events.filter(kind=EventKind.ORDER_UPDATED).values_list("data", flat=True):
        ids.update((data or {}).get("line_ids") or [])
    return ids


def _payment_link(event: Event) -> tuple[Purpose, dict] | None:
    data = event.data or {}
    if data.get("kind") != CallKind.SESSION or data.get("state") != CallState.SUCCEEDED:
        return None
    call_id = data.get("call_id")
    if not isinstance(call_id, str):
        return None
    call = ProviderCall.objects.select_related("session").filter(pk=call_id).first()
    session = call.session if call is not None else None
    # A link withdrawn while it was being made (the order was cancelled) is not sent.
    if session is None or session.status != SessionStatus.OPEN or not session.url:
        return None
    if urlsplit(session.url).scheme not in ("https", "http"):
        return None
    # One e-mail per link, should its call be told of as succeeded again (reconciliation).
    if CustomerEmail.objects.filter(
        order_id=session.order_id, purpose=Purpose.PAYMENT_LINK, data__payment_session=str(session.pk)
    ).exists():
        return None
    order = event.order
    line_ids = [item["line_id"] for item in session.items]
    if set(line_ids) & _replaced_lines(order):
        what = "difference"
    elif session.amount < order.gross_amount:
        what = "remaining"
    else:
        what = "order"
    return Purpose.PAYMENT_LINK, {
        "amount": session.amount,
        "url": session.url,
        "what": what,
        "payment_session": str(session.pk),
        "line_ids": line_ids,
    }


def _refund(event: Event) -> tuple[Purpose, dict] | None:
    data = event.data or {}
    amount = data.get("amount")
    if not isinstance(amount, int) or amount <= 0:
        return None
    return Purpose.REFUND_CONFIRMATION, {
        "amount": amount,
        "payment_id": data.get("payment_id", ""),
        "line_ids": [item["line_id"] for item in data.get("items") or []],
    }


def email_owed(event: Event) -> tuple[Purpose, dict] | None:
    """What e-mail, if any, `event` owes the customer, and what it is about."""
    if event.kind == EventKind.PROVIDER_CALL:
        return _payment_link(event)
    if event.kind == EventKind.REFUND_RECORDED:
        return _refund(event)
    return None


def _sender(shop: str) -> str:
    """DEFAULT_FROM_EMAIL's address under the shop's name: the customer sees who writes."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = " ".join(shop.split()).replace("\\", "\\\\").replace('"', '\\"')
    # Kept readable here; Django encodes the name when it sends (RFC 2047).
    return f'"{name}" <{address or settings.DEFAULT_FROM_EMAIL}>'[:254]


def _is_address(text: str) -> bool:
    try:
        validate_email(text)
    except ValidationError:
        return False
    return len(text) <= 254


def email_create(event: Event, purpose: Purpose, about: dict) -> CustomerEmail:
    """The e-mail, rendered now in the customer's language, to the order's customer e-mail as
    it is now (none: the worker notes on the timeline that nothing was sent)."""
    order = event.order
    language = customer_language(order)
    money = MONEY_LOCALES[language]
    context = {
        "shop": order.account.name or order.account.aid,
        "order_id": order.order_id,
        "first_name": str((order.customer or {}).get("first_name") or "").strip(),
        "amount": format_money(about["amount"], order.currency, money),
        "refunded_total": format_money(order.refunded_amount, order.currency, money),
        **{k: v for k, v in about.items() if k != "amount"},
    }
    subject, body, html = _rendered(purpose, language, context)
    given = order.customer_email.strip()
    to_address = given if _is_address(given) else ""
    # Kept to say on the timeline why nothing was sent; an empty one needs no saying.
    given = "" if to_address else given[:254]
    email = CustomerEmail.objects.create(
        account_id=order.account_id,
        order=order,
        source_event=event,
        purpose=purpose,
        language=language,
        to_address=to_address,
        from_address=_sender(context["shop"]),
        subject=subject,
        body=body,
        html_body=html,
        data={**about, "currency": order.currency, **({"not_an_address": given} if given else {})},
    )
    email.message_id = _message_id(email)
    email.save(update_fields=["message_id"])
    _kick(email)
    return email


class MailOutbox:
    """The orders app's event sink (`orders.services.events.EventSink`)."""

    def event_written(self, event: Event) -> None:
        if event.kind in MAIL_KINDS:
            return
        owed = email_owed(event)
        if owed is None:
            return
        # An e-mail that cannot be written (a broken template) must not undo the refund or the
        # link it is about: its own savepoint, and the error in the log.
        try:
            with transaction.atomic():
                email_create(event, *owed)
        except Exception:
            logger.exception("no customer e-mail for event %s of order %s", event.pk, event.order_id)

    def draft_changed(self, draft: DraftOrder, change: DraftChange) -> None:
        """Drafts owe the customer nothing."""
