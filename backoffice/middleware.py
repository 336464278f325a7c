import time
from io import BytesIO

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from backoffice.api.errors import error_body
from backoffice.views import not_found


class ServerTimingMiddleware:
    """`Server-Timing: app;dur=<ms>` on every response: the time the app spent on it, shown by
    browsers' developer tools and read by the benchmark under load (apart from queueing)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response


def unstorable(text: str) -> bool:
    """Whether `text` holds what no PostgreSQL text column can store, nor even compare: a NUL
    character, or a lone UTF-16 surrogate (not valid Unicode)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


_QUERY_PARAMETER = gettext_lazy("the query parameter {name} holds a NUL character or invalid Unicode")
_FORM_FIELD = gettext_lazy("the form field {name} holds a NUL character or invalid Unicode")


class Refused(Exception):
    """`message` is lazy: the API's answer says it in English, the HTML page in the user's
    language."""

    def __init__(self, status: int, code: str, message: str | Promise, field: str = ""):
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class BadInputMiddleware:
    """Refuses, before any view runs, what no view could take without a 500, in one place
    rather than in every view that reads the path, the query or the form:

    * a NUL character or a lone surrogate in the path: 404 (no such page can exist);
    * the same in a query parameter, a form field or a header: 400;
    * a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` (the `API_MAX_BODY_BYTES` setting): 413, judged
      from `Content-Length` before anything is read; a chunked body is read up to the limit.

    Under `/v1/` the answer is the API's JSON error body, elsewhere the HTML error page.
    A cookie holding a NUL is dropped, as if it had not been sent (the session cookie is looked
    up in the database)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            self.check(request)
        except Refused as refused:
            return self.refusal(request, refused)
        return self.get_response(request)

    def check(self, request: HttpRequest) -> None:
        if unstorable(request.path) or unstorable(request.path_info):
            raise Refused(404, "not_found", "no such page")
        for name, value in request.META.items():
            if name.startswith(("HTTP_", "CONTENT_")) and isinstance(value, str) and unstorable(value):
                header = name.removeprefix("HTTP_").replace("_", "-").title()
                raise Refused(
                    400,
                    "invalid_request",
                    format_lazy(
                        gettext_lazy("the {header} header holds a NUL character or invalid Unicode"),
                        header=header,
                    ),
                    header,
                )
        for name in [n for n, v in request.COOKIES.items() if unstorable(n) or unstorable(v)]:
            del request.COOKIES[name]
        self.check_body_size(request)
        try:
            self.check_fields(request.GET, _QUERY_PARAMETER)
            if request.method == "POST" and request.content_type in FORM_TYPES and not is_api(request):
                self.check_fields(request.POST, _FORM_FIELD)
        except RequestDataTooBig as exc:
            raise self.too_large() from exc
        except (TooManyFieldsSent, MultiPartParserError) as exc:
            raise Refused(
                400,
                "invalid_request",
                format_lazy(gettext_lazy("the request cannot be read: {why}"), why=exc),
            ) from exc

    @staticmethod
    def check_fields(fields, what: Promise) -> None:
        for name, values in fields.lists():
            for text in [name, *values]:
                if isinstance(text, str) and unstorable(text):
                    raise Refused(400, "invalid_request", format_lazy(what, name=repr(name)), name)

    def check_body_size(self, request: HttpRequest) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None:
            return
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            raise self.too_large()
        if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower() or length:
            return
        # No Content-Length: WSGI hands Django an empty body unless the server has decoded the
        # chunks and marked the input as ending (gunicorn does). Read it, up to the limit.
        if not request.META.get("wsgi.input_terminated"):
            raise Refused(
                411, "length_required", gettext_lazy("send the request body with a Content-Length header")
            )
        body = request.META["wsgi.input"].read(limit + 1)
        if len(body) > limit:
            raise self.too_large()
        request.META["CONTENT_LENGTH"] = str(len(body))
        request._stream = BytesIO(body)

    @staticmethod
    def too_large() -> Refused:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Refused(
            413,
            "request_too_large",
            format_lazy(
                gettext_lazy("the request body is larger than the limit of {limit} bytes"), limit=limit
            ),
        )

    @staticmethod
    def refusal(request: HttpRequest, refused: Refused) -> HttpResponse:
        if refused.status == 404:
            return not_found(request)
        if is_api(request):
            with translation.override("en"):
                message = str(refused.message)
            errors = [{"field": refused.field, "message": message}] if refused.field else []
            return JsonResponse(error_body(refused.code, message, errors), status=refused.status)
        template = "413.html" if refused.status == 413 else "400.html"
        # This runs before the locale middleware: the page speaks the user's language all the same.
        translation.activate(translation.get_language_from_request(request))
        return render(request, template, {"message": refused.message}, status=refused.status)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/v1/")
