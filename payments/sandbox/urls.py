from django.urls import path

from . import views

# Included by payments/urls.py, in its namespace (`payments:sandbox-page`).
urlpatterns = [
    path("payments/sandbox/<str:session_id>", views.sandbox_page, name="sandbox-page"),
    path("<str:aid>/orders/<str:order_id>/payments/sandbox-fault", views.sandbox_fault, name="sandbox-fault"),
]
