"""Which language a page speaks: the user's choice (the header's switcher, Django's `set_language`
view and its cookie), else the browser's Accept-Language, else Norwegian Bokmål (LANGUAGE_CODE).
The API and its schema always speak English: their messages are documented, and an integrator's
Accept-Language does not change them."""

import re

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

# The API, its token endpoint, and its schema and docs pages.
ENGLISH_ONLY = ("/v1/", "/api/")
# Browsers send Norwegian as `no` (or Nynorsk, `nn`) as often as `nb`: all of them read Bokmål here.
_NORWEGIAN = re.compile(r"(?<![\w-])(?:no|nn)(?=-|;|,|\s|$)", re.IGNORECASE)


def english_only(request: HttpRequest) -> bool:
    return request.path_info.startswith(ENGLISH_ONLY)


class StaffLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, except for the API, which is always English."""

    def process_request(self, request: HttpRequest) -> None:
        if english_only(request):
            translation.activate("en")
            request.LANGUAGE_CODE = "en"
            return
        accept = request.META.get("HTTP_ACCEPT_LANGUAGE")
        if accept:
            request.META["HTTP_ACCEPT_LANGUAGE"] = _NORWEGIAN.sub("nb", accept)
        super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if english_only(request):
            return response
        return super().process_response(request, response)
