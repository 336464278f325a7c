"""Payments' routes on the shopping path (`/v1/accounts/{aid}/shopping/`), mounted beside the
Orders API's by the root URLconf: `orders` imports nothing of `payments`."""

from django.urls import path

from . import views

urlpatterns = [
    path("orders/<str:order_id>/sessions", views.OrderSessionsView.as_view()),
    path("orders/<str:order_id>/sessions/<str:session_id>", views.OrderSessionDetailView.as_view()),
]
