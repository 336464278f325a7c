"""The one access check of every staff page: signed in, a member of the account in the URL
(else 404, as for anything of another account), holding the page's permission (else 403)."""

from collections.abc import Callable
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from backoffice.auth_backends import staff_accounts
from backoffice.models import Account
from backoffice.pages import StaffRequest

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponseBase)


def staff_page(
    permission: str = "orders.view_order",
) -> Callable[
    [Callable[Concatenate[StaffRequest, Account, P], R]], Callable[Concatenate[HttpRequest, str, P], R]
]:
    """Signed in, a member of the account in the URL (else 404), holding `permission` (else 403).
    The view is called as `view(request, account, ...)` for a URL's `(request, aid, ...)`."""

    def decorate(
        view: Callable[Concatenate[StaffRequest, Account, P], R],
    ) -> Callable[Concatenate[HttpRequest, str, P], R]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, aid: str, *args: P.args, **kwargs: P.kwargs) -> R:
            staff = cast(StaffRequest, request)  # what this check makes of the request
            # The layout's account switcher reuses this list: one query for both.
            staff.staff_accounts = staff_accounts(staff.user)
            account = next((a for a in staff.staff_accounts if a.aid == aid), None)
            if account is None:
                raise Http404("no such account")
            staff.account = account  # the 403 page keeps the account's navigation
            if not staff.user.has_perm(permission):
                raise PermissionDenied
            if staff.method == "GET" and staff.session.get("account") != aid:
                staff.session["account"] = aid
            return view(staff, account, *args, **kwargs)

        return wrapped

    return decorate
