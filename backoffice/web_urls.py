from django.contrib.auth import views as auth_views
from django.urls import include, path

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Before the orders' pages: `<aid>/orders/<order_id>/payments/` would match their `<action>/`.
    path("", include("payments.urls")),
    path("", include("orders.urls")),
    path("", include("finance.urls")),
    path("", include("hooks.urls")),
]
