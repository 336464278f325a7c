"""A generated set of orders, all made through the HTTP API: several currencies and VAT rates,
partial captures, cancellations, refunds, reversals with replacements and failed operations."""

import random
from fractions import Fraction

from orders.money import vat_contained

CURRENCIES = ("NOK", "SEK", "EUR")
RATES = (25, 15, 12, 0)
KIND_PATHS = {
    "authorization": "authorizations",
    "capture": "captures",
    "refund": "refunds",
    "cancellation": "cancellations",
}


def _ok(response, status=201) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def _line(line_id: int, gross: int, rate: int, sku: str, **extra) -> dict:
    return {
        "id": sku,
        "line_id": line_id,
        "quantity": 1,
        "gross_amount": gross,
        "tax_lines": [{"amount": vat_contained(gross, rate), "percentage": rate}],
        "description": f"Item {sku}",
        **extra,
    }


def _order(api, currency: str, items: list[dict], options: dict | None = None) -> dict:
    draft = _ok(
        api.call(
            "post",
            "draft_orders",
            {
                "options": options or {"generate_order_id": "ALPHANUMERIC_9"},
                "order": {"currency": currency, "items": items},
            },
        )
    )
    return _ok(api.call("put", f"draft_orders/{draft['id']}/complete"), 200)["orders"][0]


def _op(api, oid: str, kind: str, items: list[tuple[int, int]], pid: str = "PID_1", success=True):
    return _ok(
        api.call(
            "post",
            f"orders/{oid}/{KIND_PATHS[kind]}",
            {
                "items": [{"line_id": line, "amount": amount} for line, amount in items],
                "payment_details": {"payment_id": pid},
                "success": success,
            },
        )
    )


def build(api, seed: int = 7, per_currency: int = 4) -> list[str]:
    rng = random.Random(seed)
    order_ids = []
    for currency in CURRENCIES:
        for n in range(per_currency):
            count = rng.randint(1, 3)
            items = [
                _line(i + 1, rng.randint(101, 99999), rng.choice(RATES), f"SKU{n}{i}") for i in range(count)
            ]
            order = _order(api, currency, items)
            oid = order["order_id"]
            order_ids.append(oid)
            pid = f"PID_{currency}_{n}"
            _op(api, oid, "authorization", [(i["line_id"], i["gross_amount"]) for i in items], pid)
            first = items[0]["gross_amount"]
            case = n % 4
            if case == 0:  # captured in full, part of line 1 refunded
                _op(api, oid, "capture", [(i["line_id"], i["gross_amount"]) for i in items], pid)
                _op(api, oid, "refund", [(1, rng.randint(1, first))], pid)
            elif case == 1:  # line 1 partly captured, the rest cancelled
                part = rng.randint(1, first - 1)
                _op(api, oid, "capture", [(1, part)], pid)
                _op(api, oid, "cancellation", [(1, first - part)], pid)
                if count > 1:
                    _op(api, oid, "capture", [(i["line_id"], i["gross_amount"]) for i in items[1:]], pid)
            elif case == 2:  # captured, line 1 reversed and replaced at another rate, part refunded
                _op(api, oid, "capture", [(i["line_id"], i["gross_amount"]) for i in items], pid)
                rev_id, new_id = count + 1, count + 2
                reversal = {
                    **_line(rev_id, -first, 0, items[0]["id"]),
                    "tax_lines": [
                        {
                            "amount": -items[0]["tax_lines"][0]["amount"],
                            "percentage": items[0]["tax_lines"][0]["percentage"],
                        }
                    ],
                    "related_item": {"line_id": 1, "type": "reversed"},
                    "reversed_reason": "Replace item",
                }
                replacement = _line(new_id, rng.randint(101, 99999), rng.choice(RATES), f"NEW{n}")
                _order(api, currency, [reversal, replacement], {"order_id": oid})
                for kind in ("authorization", "capture"):
                    _op(api, oid, kind, [(rev_id, -first), (new_id, replacement["gross_amount"])], pid)
                _op(api, oid, "refund", [(new_id, rng.randint(1, replacement["gross_amount"]))], pid)
            else:  # authorized only; a capture the provider refused
                _op(api, oid, "capture", [(1, first)], pid, success=False)
    return order_ids


def vat_share(amount: int, line_tax: int, line_gross: int) -> int:
    """The item's share of its line's VAT, rounded half away from zero."""
    if line_gross == 0:
        return 0
    share = Fraction(amount * line_tax, line_gross)
    magnitude = int(abs(share) + Fraction(1, 2))
    return -magnitude if share < 0 else magnitude


def expected_from_api(api, order_ids: list[str]) -> tuple[dict, dict]:
    """Per currency the sums of each kind, and per (currency, rate) the captured and refunded
    gross and VAT, computed from the API's order and operation documents."""
    totals: dict[str, dict[str, int]] = {}
    vat: dict[tuple[str, str], dict[str, int]] = {}
    for oid in order_ids:
        order = _ok(api.call("get", f"orders/{oid}"), 200)
        currency = order["currency"]
        lines = {i["line_id"]: i for i in order["items"]}
        per_kind = totals.setdefault(currency, dict.fromkeys(KIND_PATHS, 0))
        for kind, path in KIND_PATHS.items():
            for operation in _ok(api.call("get", f"orders/{oid}/{path}"), 200)[path]:
                if not operation["success"]:
                    continue
                for it in operation["items"]:
                    line = lines[it["line_id"]]
                    per_kind[kind] += it["amount"]
                    if kind not in ("capture", "refund"):
                        continue
                    tax = sum(t["amount"] for t in line["tax_lines"])
                    rate = f"{line['tax_lines'][0]['percentage'] if line['tax_lines'] else 0:g} %"
                    row = vat.setdefault(
                        (currency, rate), {"capture": 0, "capture_vat": 0, "refund": 0, "refund_vat": 0}
                    )
                    row[kind] += it["amount"]
                    row[f"{kind}_vat"] += vat_share(it["amount"], tax, line["gross_amount"])
    return totals, vat
