"""What a payment link or a provider call asks for, line by line: the typed input of the
payments services (the API's `ItemsInputSerializer` and the staff pages make it)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ItemAmount:
    """An amount (in minor units, positive) on one order line."""

    line_id: int
    amount: int

    def as_json(self) -> dict[str, int]:
        """As calls and links store their items: `{"line_id": 1, "amount": 39800}`."""
        return {"line_id": self.line_id, "amount": self.amount}
