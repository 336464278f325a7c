"""What every staff page's layout needs: the accounts the user may switch between."""


def staff_accounts(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "staff_accounts": getattr(request, "staff_accounts", None) or user.accounts.all(),
        "current_account": getattr(request, "account", None),
    }
