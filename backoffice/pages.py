"""How staff pages answer: the whole page or, for htmx, only the part it asked for; after a
successful POST, a redirect (a client redirect for htmx)."""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect

# A form the service refused: re-rendered with its messages.
UNPROCESSABLE = 422


def done(request, url: str) -> HttpResponse:
    """POST-redirect-GET; htmx follows it with a client redirect."""
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def page_or_partial(request, template: str, partial: str, context: dict, status: int = 200) -> HttpResponse:
    """The whole page, or only the named partial when htmx asks for it."""
    name = f"{template}#{partial}" if request.htmx and partial else template
    return render(request, name, context, status=status)
