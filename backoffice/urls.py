from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from backoffice import api_docs
from backoffice.api.views import TokenView

api_patterns: list[URLPattern | URLResolver] = [
    path("accounts/<str:aid>/auth/token", TokenView.as_view(), name="api-token"),
    path("accounts/<str:aid>/shopping/", include("orders.api.urls")),
    # Order sessions on the shopping path, served by payments (orders imports no payments).
    path("accounts/<str:aid>/shopping/", include("payments.api.shopping_urls")),
    path("accounts/<str:aid>/payments/", include("payments.api.urls")),
    path("accounts/<str:aid>/hooks/", include("hooks.api.urls")),
]

urlpatterns = [
    path("v1/", include(api_patterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Its start-up script is served from this address, not inline (Content-Security-Policy).
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html"),
        name="api-docs",
    ),
    path(
        "api/redoc/",
        # The stock template loads web fonts from Google; ours serves everything locally. Redoc
        # styles itself with <style> elements it writes at run time (styled-components), which no
        # nonce reaches, and searches in a worker it starts from a blob: URL; both are allowed on
        # this page only. Scripts stay strict. Its script is the sidecar's with the footer's logo
        # taken from no CDN (backoffice/api_docs.py).
        csp_replace({"style-src": [SELF, UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})(
            SpectacularRedocView.as_view(url_name="api-schema", template_name="api/redoc.html")
        ),
        name="api-redoc",
    ),
    path("api/redoc/redoc.standalone.js", api_docs.redoc_bundle, name="api-redoc-bundle"),
    path("admin/", admin.site.urls),
    # The header's language switcher posts here (Django's set_language: the language cookie).
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("backoffice.web_urls")),
]

handler404 = "backoffice.views.not_found"
handler500 = "backoffice.views.server_error"
