from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("orders/<uuid:order_pk>/", views.order_payments, name="order"),
    path("orders/<uuid:order_pk>/panel", views.order_panel, name="panel"),
    path("orders/<uuid:order_pk>/link", views.link_send, name="link"),
    path(
        "orders/<uuid:order_pk>/links/<uuid:session_pk>/withdraw", views.link_withdraw, name="link-withdraw"
    ),
    path("orders/<uuid:order_pk>/capture", views.capture, name="capture"),
    path("orders/<uuid:order_pk>/refund", views.refund, name="refund"),
    path("orders/<uuid:order_pk>/void", views.void, name="void"),
    path("orders/<uuid:order_pk>/sandbox-fault", views.sandbox_fault, name="sandbox-fault"),
    path("callback/<uuid:session_pk>", views.callback, name="callback"),
    path("return/<uuid:session_pk>", views.payment_return, name="return"),
    path("sandbox/<str:session_id>", views.sandbox_page, name="sandbox-page"),
]
