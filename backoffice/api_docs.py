"""Redoc's script as the API docs page (`/api/redoc/`) loads it: the bundle drf-spectacular's
sidecar ships, with the logo of its "API docs by Redocly" footer drawn from a data: URI instead
of Redocly's CDN, which the bundle names outright. Nothing the app serves loads from a CDN."""

from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# A plain mark in Redocly's red, in place of theirs (img-src allows data:).
LOGO = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
    "%3Crect width='16' height='16' rx='3' fill='%23e23e2c'/%3E%3C/svg%3E"
)


@lru_cache(maxsize=1)
def redoc_bundle_text() -> bytes:
    path = finders.find(BUNDLE)
    if not isinstance(path, str):  # the sidecar is a pinned dependency: it is there
        raise FileNotFoundError(BUNDLE)
    return Path(path).read_text(encoding="utf-8").replace(CDN_LOGO, LOGO).encode()


@require_GET
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(redoc_bundle_text(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    return response
