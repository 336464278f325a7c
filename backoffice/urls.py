from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from backoffice.api.views import TokenView

api_patterns = [
    path("accounts/<str:aid>/auth/token", TokenView.as_view(), name="api-token"),
    path("accounts/<str:aid>/shopping/", include("orders.api.urls")),
    path("accounts/<str:aid>/payments/", include("payments.api.urls")),
]

urlpatterns = [
    path("v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path(
        "api/redoc/",
        # The stock template loads web fonts from Google; ours serves everything locally.
        SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html"),
        name="api-redoc",
    ),
    path("admin/", admin.site.urls),
    path("", include("backoffice.web_urls")),
]

handler404 = "backoffice.views.not_found"
handler500 = "backoffice.views.server_error"
