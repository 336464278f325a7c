"""What the staff pages of orders share: the acting user, lookups that answer 404, and how a
draft is told apart from the others in a list."""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from backoffice.actor import Actor
from backoffice.errors import NotFound
from backoffice.models import Account
from backoffice.pages import StaffRequest
from orders.models import DraftOrder, Order
from orders.selectors import draft_get, order_get, order_page_get


def staff_actor(request: StaffRequest) -> Actor:
    return Actor(user=request.user)


def order_or_404(account: Account, order_id: str) -> Order:
    try:
        return order_get(account=account, order_id=order_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def order_page_or_404(account: Account, order_id: str) -> Order:
    try:
        return order_page_get(account=account, order_id=order_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def draft_or_404(account: Account, draft_id: str) -> DraftOrder:
    try:
        return draft_get(account=account, draft_id=draft_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def order_url(order: Order) -> str:
    return reverse("order-detail", args=[order.account.aid, order.order_id])


def draft_customer(draft: DraftOrder) -> str:
    """Who a draft is for, as staff would find it again: the customer's name, else their e-mail,
    else the shop's reference."""
    target = draft.target_order
    customer = draft.document.get("customer") or (target.customer if target else None) or {}
    name = " ".join(str(customer.get(k) or "") for k in ("first_name", "last_name")).strip()
    return name or str(customer.get("email") or "") or str(draft.document.get("merchant_reference") or "")


def draft_lines(draft: DraftOrder, shown: int = 3) -> str:
    """`2 \u00d7 Stablestol, Parasoll and 2 more`: what is on the draft so far."""
    names = []
    for item in draft.items:
        name = str(item.get("description_alias") or item.get("description") or item.get("id") or "")
        quantity = item.get("quantity", 1)
        names.append(f"{quantity}\u00a0\u00d7 {name}" if quantity != 1 else name)
    text = ", ".join(names[:shown])
    if len(names) > shown:
        text += " " + _("and %(count)d more") % {"count": len(names) - shown}
    return text
