"""What every staff page's layout needs: the accounts the user may switch between."""

from backoffice.auth_backends import staff_accounts as staff_accounts_of


def staff_accounts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "staff_accounts": staff_accounts_of(user),
        "current_account": getattr(request, "account", None),
    }
