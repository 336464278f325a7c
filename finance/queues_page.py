"""The home page of an account: the work queues of the signed-in user's role."""

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from backoffice.access import staff_page
from backoffice.models import Account
from backoffice.pages import StaffRequest
from backoffice.roles import CUSTOMER_SERVICE, FINANCE
from finance.queues import stale_days, work_queues
from orders.queues import Queue


@require_GET
@staff_page("orders.view_order")
def work_queues_page(request: StaffRequest, account: Account) -> HttpResponse:
    days = stale_days(request.GET.get("days"))
    # Read from the primary, as the lists it links to are: a queue just worked on counts right.
    queues = work_queues(account=account, user=request.user, days=days)
    headings = {CUSTOMER_SERVICE: _("For customer service"), FINANCE: _("For finance")}
    groups = [(headings[role], [q for q in queues if q.role == role]) for role in (CUSTOMER_SERVICE, FINANCE)]
    context = {
        "account": account,
        "days": days,
        "groups": [(role, items) for role, items in groups if items],
        "waiting": sum(1 for q in queues if q.count),
        "asks_days": any(q.key == Queue.STALE_AUTHORIZATIONS for q in queues),
    }
    return render(request, "finance/queues.html", context)
