"""Staff pages of the webhooks (Administrator role): subscriptions, what each was sent and how
it went, and redelivery of one event."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from backoffice.access import staff_page
from backoffice.actor import Actor
from backoffice.errors import DomainError, NotFound
from backoffice.models import Account
from backoffice.pages import StaffRequest

from . import selectors
from .models import Subscription
from .services.delivery import delivery_redeliver
from .services.subscriptions import subscription_activate

PERMISSION = "hooks.manage_hooks"
SHOWN = 50


@require_GET
@staff_page(PERMISSION)
def subscription_list_page(request: StaffRequest, account: Account) -> HttpResponse:
    subscriptions = selectors.subscriptions_with_figures(account=account)
    return render(
        request,
        "hooks/subscription_list.html",
        {"account": account, "subscriptions": subscriptions, "counted": selectors.DELIVERIES_COUNTED},
    )


def _subscription(account: Account, hid: str) -> Subscription:
    try:
        return selectors.subscription_get(account=account, hid=hid, deleted=True)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


@require_GET
@staff_page(PERMISSION)
def subscription_page(request: StaffRequest, account: Account, hid: str) -> HttpResponse:
    subscription = _subscription(account, hid)
    deliveries = list(selectors.deliveries_with_last_attempt(subscription=subscription)[:SHOWN])
    attempts = list(selectors.attempt_list(subscription=subscription)[:SHOWN])
    return render(
        request,
        "hooks/subscription_detail.html",
        {"account": account, "subscription": subscription, "deliveries": deliveries, "attempts": attempts},
    )


@require_POST
@staff_page(PERMISSION)
def delivery_redeliver_page(request: StaffRequest, account: Account, delivery_id: int) -> HttpResponse:
    try:
        delivery = selectors.delivery_get(account=account, delivery_id=delivery_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    try:
        delivery_redeliver(delivery=delivery, actor=Actor(user=request.user))
        messages.success(
            request,
            _("%(event)s %(delivery)s will be sent again.")
            % {"event": delivery.event, "delivery": delivery.event_delivery},
        )
    except DomainError as exc:
        messages.error(request, exc.for_staff)
    return redirect(reverse("hooks-subscription", args=[account.aid, delivery.subscription_id]))


@require_POST
@staff_page(PERMISSION)
def subscription_activate_page(request: StaffRequest, account: Account, hid: str) -> HttpResponse:
    subscription = _subscription(account, hid)
    subscription_activate(subscription=subscription, actor=Actor(user=request.user))
    messages.success(request, _("The subscription is on again; what it is owed is being sent."))
    return redirect(reverse("hooks-subscription", args=[account.aid, subscription.pk]))
