from rest_framework import permissions

from backoffice.models import ApiClient


class HasShoppingScope(permissions.BasePermission):
    """Reads need `read:shopping` (or a write scope); writes need `write:` or `admin:shopping`."""

    message = "this API client lacks the scope for this request"

    def has_permission(self, request, view) -> bool:
        client = request.user
        if not isinstance(client, ApiClient):
            return False
        if request.method in permissions.SAFE_METHODS:
            return client.can_read()
        return client.can_write()
