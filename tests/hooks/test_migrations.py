"""The migration that keeps each attempt's subscription on it fills it in for the attempts
written before it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("hooks", "0002_administrator_manage_hooks")]
AFTER = [("hooks", "0003_attempt_subscription")]


@pytest.mark.django_db(transaction=True)
def test_attempts_written_before_get_their_delivery_s_subscription(account):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    subscriptions = [
        old.get_model("hooks", "Subscription").objects.create(account_id=account.pk, url=f"https://x/{n}")
        for n in range(2)
    ]
    for subscription in subscriptions:
        delivery = old.get_model("hooks", "Delivery").objects.create(subscription=subscription, body="{}")
        old.get_model("hooks", "Attempt").objects.create(delivery=delivery, number=1, url=subscription.url)

    executor = MigrationExecutor(connection)  # the graph as it is after the step back
    executor.migrate(AFTER)

    from hooks.models import Attempt

    assert sorted(Attempt.objects.values_list("delivery__subscription_id", "subscription_id")) == sorted(
        (s.pk, s.pk) for s in subscriptions
    )
