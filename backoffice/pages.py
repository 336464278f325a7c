"""How staff pages answer: the whole page or, for htmx, only the part it asked for; after a
successful POST, a redirect (a client redirect for htmx)."""

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from backoffice.models import Account

# A form the service refused: re-rendered with its messages.
UNPROCESSABLE = 422


class HtmxHttpRequest(HttpRequest):
    """For type hints only, as django-htmx's docs have it: a request through its middleware."""

    htmx: HtmxDetails


class SignedInRequest(HtmxHttpRequest):
    """For type hints only: a request that `login_required` let through (never anonymous)."""

    user: User


class StaffRequest(SignedInRequest):
    """For type hints only: a request that `staff_page` let through, with the user's accounts
    and the URL's account set on it."""

    staff_accounts: list[Account]
    account: Account


def done(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """POST-redirect-GET; htmx follows it with a client redirect."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def page_or_partial(
    request: HtmxHttpRequest, template: str, partial: str, context: dict, status: int = 200
) -> HttpResponse:
    """The whole page, or only the named partial when htmx asks for it."""
    name = f"{template}#{partial}" if request.htmx and partial else template
    return render(request, name, context, status=status)
