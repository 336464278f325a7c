"""The payments app's pages. Staff's are under the account, beside the order's own pages; the
provider's callback, the customer's return page and the sandbox's payment page are public URLs
given to the provider, under `/payments/`."""

from django.urls import include, path

from . import views

app_name = "payments"

staff = "<str:aid>/orders/<str:order_id>/payments/"

urlpatterns = [
    path(staff, views.order_payments, name="order"),
    path(f"{staff}panel", views.order_panel, name="panel"),
    path(f"{staff}link", views.link_send, name="link"),
    path(f"{staff}links/<uuid:session_pk>/withdraw", views.link_withdraw, name="link-withdraw"),
    path(f"{staff}capture", views.capture, name="capture"),
    path(f"{staff}refund", views.refund, name="refund"),
    path(f"{staff}void", views.void, name="void"),
    path("payments/callback/<uuid:session_pk>", views.callback, name="callback"),
    path("payments/return/<uuid:session_pk>", views.payment_return, name="return"),
    path("", include("payments.sandbox.urls")),
]
