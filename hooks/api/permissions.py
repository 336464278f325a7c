from rest_framework import permissions

from backoffice.models import ApiClient, Scope


class HasHooksScope(permissions.BasePermission):
    """As Dintero scopes its Hooks API: reads need `read:hooks` or `admin:hooks`, writes
    `admin:hooks`. The shopping scopes give nothing here."""

    message = "this API client lacks the scope for this request (read:hooks or admin:hooks)"

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            return False
        scopes = set(client.scopes)
        if request.method in permissions.SAFE_METHODS:
            return bool(scopes & {Scope.HOOKS_READ, Scope.HOOKS_ADMIN})
        return Scope.HOOKS_ADMIN in scopes
