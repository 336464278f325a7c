from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.translation import gettext as _

from backoffice.api.errors import api_not_found, api_server_error


def _is_api(request) -> bool:
    return request.path.startswith("/v1/")


def not_found(request, exception=None):
    if _is_api(request):
        return api_not_found(request, exception)
    return render(request, "404.html", status=404)


def server_error(request):
    if _is_api(request):
        return api_server_error(request)
    return render(request, "500.html", status=500)


def login_locked_out(request, original_response=None, credentials=None):
    """The sign-in page again (django-axes' lock-out answer, for /login/ and /admin/login/), with
    the lock-out said plainly and no password checked: 429."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": AuthenticationForm(request, initial={"username": username}),
        "next": request.POST.get("next") or request.GET.get("next", ""),
        "locked_out": _(
            "Too many failed sign-ins for this user or from this address: signing in is locked "
            "for %(minutes)s minutes. An administrator can unlock it sooner."
        )
        % {"minutes": minutes},
    }
    return render(request, "registration/login.html", context, status=429)
