"""Django's technical error pages are never served, not even with DEBUG on.

With DEBUG on, Django answers an uncaught exception, a 404 and a refused request (a bad Host
header, a body too large) with its technical pages, and they print the settings, the request's
environment (under runserver and gunicorn, the process environment: DATABASE_URL, SECRET_KEY)
and the URL patterns, to anyone, signed in or not. Here those answers are the project's own
error handlers (`handler400` … `handler500` of the root URLconf: an HTML page, or the API's JSON
error body under /v1/), whatever DEBUG says. The traceback still goes to the log
(`django.request`), which is where a developer running `make run` reads it.

Django calls `django.views.debug.technical_404_response` and `technical_500_response` from one
place, `django.core.handlers.exception`, through the module; `install()` replaces both there.
"""

from django.urls import get_resolver, get_urlconf
from django.views import debug


def _handler(status: int):
    return get_resolver(get_urlconf()).resolve_error_handler(status)


def public_404_response(request, exception):
    return _handler(404)(request, exception=exception)


def public_error_response(request, exc_type, exc_value, tb, status_code: int = 500):
    if status_code == 500:
        return _handler(500)(request)
    return _handler(status_code)(request, exception=exc_value)


def install() -> None:
    debug.technical_404_response = public_404_response
    debug.technical_500_response = public_error_response
