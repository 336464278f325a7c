"""What the staff pages of orders share: the acting user, and lookups that answer 404."""

from django.http import Http404
from django.urls import reverse

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
