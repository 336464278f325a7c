from django.urls import path

from . import views

urlpatterns = [
    path("orders/<str:order_id>/sessions", views.SessionsView.as_view()),
    path("orders/<str:order_id>/capture", views.CaptureView.as_view()),
    path("orders/<str:order_id>/refund", views.RefundView.as_view()),
    path("orders/<str:order_id>/void", views.VoidView.as_view()),
]
