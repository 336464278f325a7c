"""Staff roles: Django groups with real permissions, created by a migration."""

CUSTOMER_SERVICE = "Customer service"
FINANCE = "Finance"
ADMINISTRATOR = "Administrator"

# Permission codenames of the orders app, per role. The Administrator role has them all.
ROLE_PERMISSIONS = {
    CUSTOMER_SERVICE: ["view_order", "build_draft", "record_operation", "cancel_order", "add_note"],
    FINANCE: ["view_order", "record_refund", "view_finance", "reconcile", "add_note"],
}
ORDER_PERMISSIONS = [
    "view_order",
    "build_draft",
    "record_operation",
    "record_refund",
    "cancel_order",
    "add_note",
    "view_finance",
    "reconcile",
]
