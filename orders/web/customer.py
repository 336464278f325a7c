"""Who and where the customer is: the customer card on the order page, and changing the
customer's details and addresses with a reason."""

from django.contrib import messages
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from backoffice.access import staff_page
from backoffice.errors import DomainError
from backoffice.models import Account
from backoffice.pages import UNPROCESSABLE, StaffRequest, done, page_or_partial
from orders.forms import CustomerForm
from orders.services.customer import order_customer_update
from orders.web.common import order_or_404, order_url, staff_actor


@require_http_methods(["GET", "POST"])
@staff_page("orders.build_draft")
def customer_edit(request: StaffRequest, account: Account, order_id: str) -> HttpResponse:
    order = order_or_404(account, order_id)
    form = CustomerForm(request.POST or None, order=order)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                order_customer_update(
                    order=order,
                    customer=form.values("customer"),
                    shipping_address=form.values("shipping_address"),
                    billing_address=form.values("billing_address"),
                    reason=form.cleaned_data["reason"],
                    actor=staff_actor(request),
                )
            except DomainError as exc:
                for error in exc.errors:
                    form.add_error(error.field if error.field in form.fields else None, error.for_staff)
            else:
                messages.success(request, _("Customer details saved."))
                return done(request, order_url(order))
        status = UNPROCESSABLE
    context = {"order": order, "form": form}
    return page_or_partial(request, "orders/customer_form.html", "form", context, status)
