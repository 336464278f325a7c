"""Random sequences of draft completion, reversal, authorize, capture, refund, cancel,
replayed idempotency keys and provider faults, through the HTTP API, checked after every step
against a simple model of the ledger and the invariants of spec §7.

Orders paid through the sandbox provider are captured and refunded at the provider, which may
decline, or time out after or before doing it; reconciliation then settles what timed out.
They are kept apart from the orders whose operations are recorded directly, so that each
model stays exact.

`HYPOTHESIS_STEPS=2000 pytest tests/orders/test_ledger_state_machine.py` runs it longer.
"""

import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from orders.ledger import Figures, payment_status
from orders.models import Order, PaymentOperation
from payments.models import CallState, ProviderCall, SandboxFault
from payments.sandbox.gateway import SandboxGateway
from payments.services.reconcile import reconcile

KINDS = {"authorizations": "A", "captures": "C", "refunds": "R", "cancellations": "X"}


@dataclass
class LineModel:
    gross: int
    quantity: int
    reverses: int | None = None
    A: int = 0
    C: int = 0
    R: int = 0
    X: int = 0

    @property
    def sign(self) -> int:
        return -1 if self.gross < 0 else 1

    def room(self, kind: str) -> int:
        """What the line can still take of a kind (in its own sign)."""
        return {
            "A": self.gross - self.A,
            "C": self.A - self.C - self.X,
            "X": self.A - self.C - self.X,
            "R": self.C - self.R,
        }[kind]


@dataclass
class OrderModel:
    order_id: str
    lines: dict[int, LineModel] = field(default_factory=dict)
    cancelled: bool = False
    operations: int = 0

    def next_line_id(self) -> int:
        return max(self.lines) + 1


@dataclass
class PaidLine:
    """A line of an order paid at the provider: authorized in full when it was paid."""

    gross: int
    C: int = 0
    R: int = 0
    held: dict[str, int] = field(default_factory=lambda: {"capture": 0, "refund": 0})

    def room(self, kind: str) -> int:
        """What the provider may still be asked for, less what calls of unknown outcome hold."""
        left = self.gross - self.C if kind == "capture" else self.C - self.R
        return left - self.held[kind]


@dataclass
class PaidOrder:
    order_id: str
    lines: dict[int, PaidLine]
    operations: int = 1  # the authorization recorded when it was paid
    # Calls whose outcome is unknown: (kind, line id, amount, whether the provider did it).
    unknown: list[tuple[str, int, int, bool]] = field(default_factory=list)


class LedgerMachine(RuleBasedStateMachine):
    api = None  # set by the test

    def __init__(self):
        super().__init__()
        self.orders: list[OrderModel] = []
        self.paid: list[PaidOrder] = []
        self.replays: list[tuple[str, str, dict, int, dict, str]] = []

    # -- helpers --------------------------------------------------------------

    def _item(self, line_id: int, gross: int, quantity: int, reverses: int | None = None) -> dict:
        item = {
            "id": f"SKU{line_id}",
            "line_id": line_id,
            "quantity": quantity,
            "gross_amount": gross,
            "tax_lines": [{"amount": round(gross * 25 / 125), "percentage": 25}],
            "description": f"line {line_id}",
        }
        if reverses:
            item["related_item"] = {"line_id": reverses, "type": "reversed"}
            item["reversed_reason"] = "test"
        return item

    def _new_order(self, grosses: list[int]) -> str:
        items = [self._item(i, g, 2) for i, g in enumerate(grosses, start=1)]
        draft = self.api.call(
            "post",
            "draft_orders",
            {
                "options": {"generate_order_id": "ALPHANUMERIC_9"},
                "order": {"currency": "NOK", "items": items},
            },
        )
        assert draft.status_code == 201, draft.content
        done = self.api.call("put", f"draft_orders/{draft.json()['id']}/complete")
        assert done.status_code == 200, done.content
        return done.json()["orders"][0]["order_id"]

    def _at_provider(self, order_id: str, action: str, body: dict):
        path = f"/v1/accounts/{self.api.aid}/payments/orders/{order_id}/{action}"
        return self.api.post(path, body, format="json")

    # -- rules ----------------------------------------------------------------

    @rule(grosses=st.lists(st.integers(1, 50_000), min_size=1, max_size=3))
    def complete_draft(self, grosses):
        model = OrderModel(self._new_order(grosses))
        for i, g in enumerate(grosses, start=1):
            model.lines[i] = LineModel(gross=g, quantity=2)
        self.orders.append(model)

    @rule(grosses=st.lists(st.integers(1, 50_000), min_size=1, max_size=3))
    def pay_at_provider(self, grosses):
        order_id = self._new_order(grosses)
        response = self._at_provider(order_id, "sessions", {})
        assert response.status_code == 201, response.content
        session = response.json()["session"]
        txn = SandboxGateway("http://testserver").session_pay(session["session_id"])
        callback = self.api.get(f"/payments/callback/{session['id']}?transaction_id={txn.id}")
        assert callback.status_code == 200, callback.content
        lines = {i: PaidLine(gross=g) for i, g in enumerate(grosses, start=1)}
        self.paid.append(PaidOrder(order_id, lines))

    @precondition(lambda self: self.paid)
    @rule(
        data=st.data(),
        kind=st.sampled_from(["capture", "refund"]),
        share=st.sampled_from([0.5, 1.0, 1.5]),
        fault=st.sampled_from([None, "decline", "timeout", "timeout_undone"]),
    )
    def act_at_provider(self, data, kind, share, fault):
        order = data.draw(st.sampled_from(self.paid))
        line_id = data.draw(st.sampled_from(sorted(order.lines)))
        line = order.lines[line_id]
        room = line.room(kind)
        amount = max(1, int((room or line.gross) * share))
        if fault:
            SandboxFault.objects.create(account=self.api.aid, kind=kind, outcome=fault)
        response = self._at_provider(
            order.order_id, kind, {"items": [{"line_id": line_id, "amount": amount}]}
        )
        SandboxFault.objects.all().delete()  # a fault the call never reached must not fall on a later one
        if amount > room:
            assert response.status_code == 409, response.content
            assert "error" in response.json()
        elif fault is None:
            assert response.status_code == 201, response.content
            setattr(line, kind[0].upper(), getattr(line, kind[0].upper()) + amount)
            order.operations += 1
        elif fault == "decline":
            assert response.status_code == 502, response.content
            assert response.json()["error"]["code"] == "provider_failed"
        else:
            assert response.status_code == 202, response.content
            line.held[kind] += amount
            order.unknown.append((kind, line_id, amount, fault == "timeout"))

    @precondition(lambda self: any(order.unknown for order in self.paid))
    @rule()
    def reconcile_unknown_calls(self):
        waiting = [order for order in self.paid if order.unknown]
        report = reconcile(
            orders=list(Order.objects.filter(order_id__in=[o.order_id for o in waiting])),
            min_age=timedelta(0),
        )
        assert not report.still_unknown
        for order in waiting:
            for kind, line_id, amount, done in order.unknown:
                line = order.lines[line_id]
                line.held[kind] -= amount
                if done:
                    setattr(line, kind[0].upper(), getattr(line, kind[0].upper()) + amount)
                    order.operations += 1
            order.unknown = []

    @precondition(lambda self: self.orders)
    @rule(
        data=st.data(),
        fraction=st.sampled_from([0.25, 0.5, 1.0, 1.5]),
        quantity=st.integers(1, 3),
        replacement=st.integers(0, 60_000),
    )
    def reverse_line(self, data, fraction, quantity, replacement):
        order = data.draw(st.sampled_from(self.orders))
        originals = [lid for lid, line in order.lines.items() if line.reverses is None]
        original_id = data.draw(st.sampled_from(originals))
        original = order.lines[original_id]
        amount = max(1, int(original.gross * fraction))
        new_id = order.next_line_id()
        items = [self._item(new_id, -amount, quantity, reverses=original_id)]
        if replacement:
            items.append(self._item(new_id + 1, replacement, 1))
        draft = self.api.call(
            "post",
            "draft_orders",
            {"options": {"order_id": order.order_id}, "order": {"currency": "NOK", "items": items}},
        )
        assert draft.status_code == 201, draft.content
        response = self.api.call("put", f"draft_orders/{draft.json()['id']}/complete")
        reversed_gross = -sum(x.gross for x in order.lines.values() if x.reverses == original_id)
        reversed_qty = sum(x.quantity for x in order.lines.values() if x.reverses == original_id)
        fits = reversed_gross + amount <= original.gross and reversed_qty + quantity <= original.quantity
        if order.cancelled or not fits:
            assert response.status_code == 409, response.content
            return
        assert response.status_code == 200, response.content
        order.lines[new_id] = LineModel(gross=-amount, quantity=quantity, reverses=original_id)
        if replacement:
            order.lines[new_id + 1] = LineModel(gross=replacement, quantity=1)

    @precondition(lambda self: self.orders)
    @rule(
        data=st.data(),
        kind=st.sampled_from(list(KINDS)),
        share=st.sampled_from([0.3, 0.5, 1.0, 1.2]),
        use_key=st.booleans(),
    )
    def record(self, data, kind, share, use_key):
        order = data.draw(st.sampled_from(self.orders))
        line_id = data.draw(st.sampled_from(sorted(order.lines)))
        line = order.lines[line_id]
        letter = KINDS[kind]
        room = line.room(letter)
        base = room if room else line.gross
        amount = int(base * share) or line.sign
        body = {
            "items": [{"line_id": line_id, "amount": amount}],
            "payment_details": {"payment_id": "PID_1"},
            "success": True,
        }
        headers = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex} if use_key else {}
        response = self.api.call("post", f"orders/{order.order_id}/{kind}", body, **headers)
        blocked = order.cancelled and kind != "refunds"
        if line.gross == 0:
            assert response.status_code == 400, response.content
        elif blocked or line.sign * amount > line.sign * room:
            assert response.status_code == 409, response.content
            assert "error" in response.json()
        else:
            assert response.status_code == 201, response.content
            setattr(line, letter, getattr(line, letter) + amount)
            order.operations += 1
        if use_key:
            self.replays.append(
                (
                    order.order_id,
                    kind,
                    body,
                    response.status_code,
                    response.json(),
                    headers["HTTP_IDEMPOTENCY_KEY"],
                )
            )

    @precondition(lambda self: self.replays)
    @rule(data=st.data())
    def replay(self, data):
        order_id, kind, body, status, payload, key = data.draw(st.sampled_from(self.replays))
        response = self.api.call("post", f"orders/{order_id}/{kind}", body, HTTP_IDEMPOTENCY_KEY=key)
        assert (response.status_code, response.json()) == (status, payload)
        other = {
            **body,
            "items": [{"line_id": body["items"][0]["line_id"], "amount": body["items"][0]["amount"] + 1}],
        }
        conflict = self.api.call("post", f"orders/{order_id}/{kind}", other, HTTP_IDEMPOTENCY_KEY=key)
        assert conflict.status_code == 409

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def cancel(self, data):
        order = data.draw(st.sampled_from(self.orders))
        response = self.api.call("post", f"orders/{order.order_id}/cancel", {})
        if order.cancelled or any(line.C for line in order.lines.values()):
            assert response.status_code == 409, response.content
            return
        assert response.status_code == 200, response.content
        order.cancelled = True
        open_lines = [line for line in order.lines.values() if line.A - line.X]
        for line in open_lines:
            line.X = line.A
        # One cancellation per payment id; the machine uses a single payment id.
        order.operations += 1 if open_lines else 0

    # -- invariants -----------------------------------------------------------

    @invariant()
    def books_match_the_model(self):
        stored, operations, _ = _as_stored(self.orders)
        for model in self.orders:
            order = stored[model.order_id]
            lines = {line.line_id: line for line in order.lines.all()}
            assert set(lines) == set(model.lines)
            for line_id, m in model.lines.items():
                line = lines[line_id]
                got = (
                    line.authorized_amount,
                    line.captured_amount,
                    line.refunded_amount,
                    line.cancelled_amount,
                )
                assert got == (m.A, m.C, m.R, m.X), f"line {line_id}"
                s = m.sign
                assert s * m.A <= s * m.gross
                assert s * (m.C + m.X) <= s * m.A
                assert s * m.R <= s * m.C
            totals = Figures(
                gross=sum(m.gross for m in model.lines.values()),
                authorized=sum(m.A for m in model.lines.values()),
                captured=sum(m.C for m in model.lines.values()),
                refunded=sum(m.R for m in model.lines.values()),
                cancelled=sum(m.X for m in model.lines.values()),
            )
            assert (
                order.gross_amount,
                order.authorized_amount,
                order.captured_amount,
                order.refunded_amount,
                order.cancelled_amount,
            ) == (totals.gross, totals.authorized, totals.captured, totals.refunded, totals.cancelled)
            assert order.payment_status == payment_status(totals, order_cancelled=model.cancelled)
            assert order.is_cancelled == model.cancelled
            assert operations[model.order_id] == model.operations

    @invariant()
    def provider_books_match_the_model(self):
        stored, operations, unknown = _as_stored(self.paid)
        for model in self.paid:
            order = stored[model.order_id]
            lines = {line.line_id: line for line in order.lines.all()}
            for line_id, m in model.lines.items():
                line = lines[line_id]
                got = (line.authorized_amount, line.captured_amount, line.refunded_amount)
                assert got == (m.gross, m.C, m.R), f"line {line_id}"
                assert line.cancelled_amount == 0
            totals = Figures(
                gross=sum(m.gross for m in model.lines.values()),
                authorized=sum(m.gross for m in model.lines.values()),
                captured=sum(m.C for m in model.lines.values()),
                refunded=sum(m.R for m in model.lines.values()),
                cancelled=0,
            )
            assert order.payment_status == payment_status(totals)
            assert operations[model.order_id] == model.operations
            assert unknown[model.order_id] == len(model.unknown)


def _as_stored(models) -> tuple[dict[str, Order], Counter, Counter]:
    """The models' orders as stored, with their lines; the number of operations of each, and of
    its provider calls whose outcome is unknown: four queries after every step, not three per
    order."""
    order_ids = [model.order_id for model in models]
    orders = list(Order.objects.filter(order_id__in=order_ids).prefetch_related("lines"))
    stored = {order.order_id: order for order in orders}
    assert len(orders) == len(stored) and set(stored) == set(order_ids)  # each one order, as .get() says
    operations = Counter(
        PaymentOperation.objects.filter(order__in=orders).values_list("order__order_id", flat=True)
    )
    unknown = Counter(
        ProviderCall.objects.filter(order__in=orders, state=CallState.UNKNOWN).values_list(
            "order__order_id", flat=True
        )
    )
    return stored, operations, unknown


@pytest.mark.django_db
def test_ledger_state_machine(api, settings):
    LedgerMachine.api = api
    # The sandbox provider.
    settings.DINTERO_CLIENT_ID = settings.DINTERO_CLIENT_SECRET = settings.DINTERO_ACCOUNT_ID = ""
    steps = int(os.environ.get("HYPOTHESIS_STEPS", "25"))
    run_state_machine_as_test(
        LedgerMachine,
        settings=hypothesis_settings(
            max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "12")),
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        ),
    )
