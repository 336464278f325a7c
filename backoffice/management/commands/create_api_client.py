import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from backoffice.errors import InvalidInput
from backoffice.services import account_get_or_create, api_client_create


class Command(BaseCommand):
    help = "Create an API client (and its account if missing); print its credentials as JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--account", required=True, help="account id, e.g. T12345678")
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--scopes",
            default="admin:shopping",
            help="comma- or space-separated: read:shopping write:shopping admin:shopping",
        )

    def handle(self, *args, account: str, name: str, scopes: str, **options) -> None:
        try:
            # A refused client leaves no new account behind.
            with transaction.atomic():
                acc = account_get_or_create(aid=account)
                client, secret = api_client_create(
                    account=acc, name=name, scopes=scopes.replace(",", " ").split()
                )
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            json.dumps({"account": acc.aid, "client_id": client.client_id, "client_secret": secret})
        )
