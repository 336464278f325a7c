"""Demo data: one account, staff logins for each role, an API client, and a few dozen orders in
every payment status, reversals included, all made through the services."""

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from backoffice import roles
from backoffice.actor import Actor
from backoffice.models import ApiClient
from backoffice.services import account_get_or_create, api_client_create, api_client_revoke
from orders.inputs import DraftDocument, DraftItem, DraftOptions, TaxLine
from orders.models import Event, ItemAmount, OperationKind, Order, PaymentOperation
from orders.money import vat_contained
from orders.services.drafts import draft_complete, draft_create
from orders.services.events import note_add
from orders.services.finance_rollup import finance_days_rebuild
from orders.services.operations import operation_record, order_cancel

DEMO_AID = "T12345678"
DEMO_CLIENT = "demo-shop"
STAFF = [("cs", roles.CUSTOMER_SERVICE), ("finance", roles.FINANCE), ("admin", roles.ADMINISTRATOR)]

PRODUCTS = [
    ("175938", "Stablestol for utendørsbruk", "Stablestol", 19900, 25),
    ("003929", "Stablestol for innendørsbruk", "Stablestol Lux", 38800, 25),
    ("448120", "Hagebord i teak, 180 cm", "Hagebord", 649900, 25),
    ("220017", "Parasoll med vippefunksjon", "Parasoll", 89900, 25),
    ("310554", "Kaffe, hele bønner 1 kg", "Kaffe", 24900, 15),
    ("310555", "Sjokoladeplate 200 g", "Sjokolade", 4990, 15),
    ("900100", "Bok: Hagens år", "Hagebok", 34900, 0),
    ("512300", "Putetrekk, lin", "Putetrekk", 29900, 25),
]
CUSTOMERS = [
    ("Kari", "Nordmann", "kari.nordmann@example.no"),
    ("Ola", "Hansen", "ola.hansen@example.no"),
    ("Ingrid", "Berg", "ingrid.berg@example.no"),
    ("Lars", "Johansen", "lars.j@example.no"),
    ("Sofie", "Larsen", "sofie.larsen@example.no"),
    ("Emil", "Andersen", "emil.andersen@example.se"),
    ("Nora", "Pedersen", "nora@example.no"),
    ("Jonas", "Nilsen", "jonas.nilsen@example.no"),
]
# (what to do, how many orders)
SCENARIOS = [
    ("pending", 4),
    ("failed_authorization", 2),
    ("partially_authorized", 3),
    ("authorized", 5),
    ("partially_captured", 3),
    ("captured", 8),
    ("partially_refunded", 3),
    ("refunded", 3),
    ("cancelled", 3),
    ("replaced_cheaper", 2),
    ("replaced_dearer", 2),
]


class Command(BaseCommand):
    help = "Load demo data (safe to run again) and print staff logins and API credentials."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--password", default="backoffice-demo", help="password given to the demo staff users"
        )

    def handle(self, *args, password: str, **options) -> None:
        account = account_get_or_create(aid=DEMO_AID, name="Demo Hagemøbler AS")
        for username, role in STAFF:
            user, _ = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            user.set_password(password)
            user.is_staff = role == roles.ADMINISTRATOR
            user.save()
            user.groups.set([Group.objects.get(name=role)])
            account.members.add(user)
        for old in ApiClient.objects.filter(account=account, name=DEMO_CLIENT, revoked_at=None):
            api_client_revoke(client=old)
        client, secret = api_client_create(account=account, name=DEMO_CLIENT, scopes=["admin:shopping"])

        if Order.objects.filter(account=account).exists():
            self.stdout.write("Demo orders already there; left as they are.")
        else:
            count = self._orders(account, User.objects.get(username="cs"))
            self.stdout.write(f"Created {count} demo orders.")

        self.stdout.write(self.style.SUCCESS(f"\nStaff logins ({settings.PUBLIC_URL}/login/):"))
        for username, role in STAFF:
            self.stdout.write(f"  {role:<17} {username} / {password}")
        self.stdout.write(self.style.SUCCESS("\nAPI client (scope admin:shopping):"))
        self.stdout.write(
            f"  account        {account.aid}\n  client_id      {client.client_id}\n  client_secret  {secret}"
        )
        self.stdout.write(
            f"  token:  curl -s -u {client.client_id}:{secret} -H 'Content-Type: application/json' "
            f'-d \'{{"grant_type": "client_credentials", "audience": '
            f'"{settings.PUBLIC_URL}/v1/accounts/{account.aid}"}}\' '
            f"{settings.PUBLIC_URL}/v1/accounts/{account.aid}/auth/token\n"
        )

    @transaction.atomic
    def _orders(self, account, cs_user) -> int:
        rng = random.Random(20261124)
        staff = Actor(user=cs_user)
        shop = Actor(system="demo-shop")
        now = timezone.now()
        count = 0
        for scenario, times in SCENARIOS:
            for _ in range(times):
                order = self._order(account, rng, shop)
                self._play(scenario, order, rng, shop, staff)
                # Spread the demo over the past two months so period reports have something to show.
                self._backdate(order, now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600)))
                count += 1
        # The operations were dated after they were recorded: the finance rollup follows them.
        finance_days_rebuild(account.pk)
        return count

    def _order(self, account, rng: random.Random, actor: Actor) -> Order:
        first, last, email = rng.choice(CUSTOMERS)
        currency = rng.choices(["NOK", "SEK", "EUR"], weights=[8, 1, 1])[0]
        items = []
        for line_id, (sku, description, alias, price, rate) in enumerate(
            rng.sample(PRODUCTS, rng.randint(1, 3)), start=1
        ):
            quantity = rng.randint(1, 4)
            gross = price * quantity
            items.append(
                DraftItem(
                    id=sku,
                    line_id=line_id,
                    quantity=quantity,
                    gross_amount=gross,
                    tax_lines=[TaxLine(vat_contained(gross, rate), Decimal(rate))],
                    description=description,
                    description_alias=alias,
                )
            )
        draft = draft_create(
            account=account,
            actor=actor,
            options=DraftOptions(generate_order_id="ALPHANUMERIC_9"),
            document=DraftDocument(
                currency=currency,
                items=items,
                customer={"first_name": first, "last_name": last, "email": email},
                shipping_address={
                    "first_name": first,
                    "last_name": last,
                    "address_line": "Storgata 1",
                    "postal_code": "0155",
                    "postal_place": "Oslo",
                    "country": "NO",
                },
            ),
        )
        return draft_complete(draft=draft, actor=actor)

    def _record(self, order, kind, lines, payment_id, actor, success=True):
        operation_record(
            order=order,
            kind=OperationKind(kind),
            actor=actor,
            items=[ItemAmount(line_id, amount) for line_id, amount in lines],
            payment_id=payment_id,
            success=success,
        )

    def _play(self, scenario: str, order: Order, rng, shop: Actor, staff: Actor) -> None:
        lines = list(order.lines.order_by("line_id"))
        everything = [(line.line_id, line.gross_amount) for line in lines]
        pid = f"T{rng.randint(10**9, 10**10 - 1)}"
        if scenario == "pending":
            return
        if scenario == "failed_authorization":
            self._record(order, "authorization", everything, pid, shop, success=False)
            return
        if scenario == "partially_authorized":
            first = lines[0]
            self._record(order, "authorization", [(first.line_id, first.gross_amount // 2 or 1)], pid, shop)
            return
        self._record(order, "authorization", everything, pid, shop)
        if scenario == "authorized":
            return
        if scenario == "cancelled":
            order_cancel(order=order, actor=staff, reason="Customer changed their mind")
            return
        if scenario == "partially_captured":
            first = lines[0]
            self._record(order, "capture", [(first.line_id, max(first.gross_amount // 2, 1))], pid, shop)
            return
        self._record(order, "capture", everything, pid, shop)
        if scenario == "partially_refunded":
            first = lines[0]
            self._record(order, "refund", [(first.line_id, max(first.gross_amount // 4, 1))], pid, staff)
        elif scenario == "refunded":
            self._record(order, "refund", everything, pid, staff)
        elif scenario in ("replaced_cheaper", "replaced_dearer"):
            self._replace(order, lines[0], pid, scenario == "replaced_dearer", rng, shop, staff)
        if rng.random() < 0.3:
            note_add(order=order, text="Customer called about delivery date.", actor=staff)

    def _replace(self, order, original, pid, dearer: bool, rng, shop: Actor, staff: Actor) -> None:
        """Spec §8: reverse a line, add a replacement, settle the difference."""
        rate = original.tax_lines.first().percentage
        new_gross = original.gross_amount + (5000 if dearer else -5000)
        next_id = order.last_line_id + 1
        items = [
            DraftItem(
                id=original.item_id,
                line_id=next_id,
                quantity=original.quantity,
                gross_amount=-original.gross_amount,
                tax_lines=[TaxLine(-original.tax_amount, rate)],
                description=original.description,
                reversed_reason="Replace item",
                reverses=original.line_id,
            ),
            DraftItem(
                id="003929",
                line_id=next_id + 1,
                quantity=1,
                gross_amount=new_gross,
                tax_lines=[TaxLine(vat_contained(new_gross, rate), rate)],
                description="Stablestol for innendørsbruk",
                description_alias="Stablestol Lux",
            ),
        ]
        if not dearer:
            items.append(
                DraftItem(
                    id="refund",
                    line_id=next_id + 2,
                    quantity=1,
                    gross_amount=5000,
                    tax_lines=[TaxLine(vat_contained(5000, rate), rate)],
                    description="Refund of price difference",
                    metadata={"purpose": "refund"},
                )
            )
        draft = draft_create(
            account=order.account,
            actor=staff,
            options=DraftOptions(order_id=order.order_id),
            document=DraftDocument(currency=order.currency, items=items),
        )
        draft_complete(draft=draft, actor=staff)
        reversal = [(next_id, -original.gross_amount)]
        base = original.gross_amount if dearer else new_gross
        new = [(next_id + 1, base)] + ([] if dearer else [(next_id + 2, 5000)])
        for kind in ("authorization", "capture"):
            self._record(order, kind, reversal, pid, staff)
            self._record(order, kind, new, pid, staff)
        if dearer:
            extra = f"T{rng.randint(10**9, 10**10 - 1)}"
            self._record(order, "authorization", [(next_id + 1, 5000)], extra, shop)
            self._record(order, "capture", [(next_id + 1, 5000)], extra, shop)
        else:
            self._record(order, "refund", [(next_id + 2, 5000)], pid, staff)

    def _backdate(self, order: Order, when) -> None:
        Order.objects.filter(pk=order.pk).update(created_at=when, updated_at=when)
        history: list[QuerySet[Any]] = [PaymentOperation.objects.all(), Event.objects.all()]
        for rows in history:
            for offset, pk in enumerate(
                rows.filter(order=order).order_by("created_at", "pk").values_list("pk", flat=True)
            ):
                rows.filter(pk=pk).update(created_at=when + timedelta(minutes=5 * (offset + 1)))
