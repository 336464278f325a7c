"""Factories for tests. Orders are built through the services, as real ones are."""

import copy

import factory
from django.contrib.auth.models import Group, User

from backoffice.actor import Actor
from backoffice.models import Account
from backoffice.services import api_client_create
from orders.models import OperationKind, Order
from orders.services.drafts import draft_complete, draft_create
from orders.services.operations import operation_record

SEED_ITEM = {
    "id": "175938",
    "line_id": 1,
    "quantity": 2,
    "gross_amount": 39800,
    "tax_lines": [{"amount": 7960, "percentage": 25}],
    "description": "Stablestol for utendørsbruk",
    "description_alias": "Stablestol",
}
SEED_DRAFT = {
    "options": {"generate_order_id": "ALPHANUMERIC_9"},
    "order": {"currency": "NOK", "items": [SEED_ITEM]},
}
TEST_ACTOR = Actor(system="tests")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account
        django_get_or_create = ("aid",)

    aid = factory.Sequence(lambda n: f"T{10000000 + n:08d}")
    name = factory.Faker("company")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    is_staff = False
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """`UserFactory(role="Finance", accounts=[account])`."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            self.save()

    @factory.post_generation
    def accounts(self, create, extracted, **kwargs):
        if create and extracted:
            self.accounts.add(*extracted)


def api_client_for(account: Account, scopes: str = "admin:shopping", name: str = "shop"):
    """An API client and its secret."""
    return api_client_create(account=account, name=name, scopes=scopes.split())


def item(line_id: int = 1, gross: int = 39800, rate: int = 25, **extra) -> dict:
    """An order line body with the VAT its gross contains."""
    tax = round(gross * rate / (100 + rate))
    return {
        **copy.deepcopy(SEED_ITEM),
        "line_id": line_id,
        "gross_amount": gross,
        "tax_lines": [{"amount": tax, "percentage": rate}],
        **extra,
    }


def make_order(
    account: Account,
    items: list[dict] | None = None,
    currency: str = "NOK",
    actor: Actor = TEST_ACTOR,
    **order_fields,
) -> Order:
    draft = draft_create(
        account=account,
        payload={
            "options": {"generate_order_id": "ALPHANUMERIC_9"},
            "order": {"currency": currency, "items": items or [item()], **order_fields},
        },
        actor=actor,
    )
    return draft_complete(draft=draft, actor=actor)


def record(
    order: Order,
    kind: OperationKind | str,
    lines: list[tuple[int, int]],
    payment_id: str = "PID_123",
    success: bool = True,
    actor: Actor = TEST_ACTOR,
):
    """Record an operation: `record(order, "capture", [(1, 39800)])`."""
    return operation_record(
        order=order,
        kind=OperationKind(kind),
        actor=actor,
        payload={
            "items": [{"line_id": line, "amount": amount} for line, amount in lines],
            "payment_details": {"payment_id": payment_id},
            "success": success,
        },
    )
