"""customer_mail sits above payments and orders (ARCHITECTURE.md): it imports them, and nothing
below it imports customer_mail; orders learns of it only through its event sink."""

import ast
from pathlib import Path

from django.conf import settings

from customer_mail.services.outbox import MailOutbox
from orders.services import events

OURS = {"backoffice", "orders", "payments", "hooks", "finance", "devtools", "customer_mail"}


def imported_apps(app: str) -> set[str]:
    found = set()
    for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            found |= {name.split(".")[0] for name in names} & OURS
    return found - {app}


def test_customer_mail_imports_only_what_is_below_it():
    assert imported_apps("customer_mail") <= {"payments", "orders", "backoffice"}


def test_nothing_below_imports_customer_mail():
    for app in ("backoffice", "orders", "payments"):
        assert "customer_mail" not in imported_apps(app), app


def test_its_outbox_is_an_event_sink_of_orders():
    assert any(isinstance(sink, MailOutbox) for sink in events._sinks)
