"""The one access check of every staff page: signed in, a member of the account in the URL
(else 404, as for anything of another account), holding the page's permission (else 403)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404


def staff_page(permission: str = "orders.view_order") -> Callable:
    """Signed in, a member of the account in the URL (else 404), holding `permission` (else 403)."""

    def decorate(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request, aid: str, *args, **kwargs):
            # The layout's account switcher reuses this list: one query for both.
            request.staff_accounts = list(request.user.accounts.all())
            account = next((a for a in request.staff_accounts if a.aid == aid), None)
            if account is None:
                raise Http404("no such account")
            request.account = account  # the 403 page keeps the account's navigation
            if not request.user.has_perm(permission):
                raise PermissionDenied
            if request.method == "GET" and request.session.get("account") != aid:
                request.session["account"] = aid
            return view(request, account, *args, **kwargs)

        return wrapped

    return decorate
