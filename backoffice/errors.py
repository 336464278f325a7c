"""Domain errors: a stable code, a message that names the line and the amounts, and, for bad
input, the fields at fault. The API turns them into its error body; the pages show the same
messages next to the fields."""

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "invalid_request"
    NOT_FOUND = "not_found"
    DRAFT_COMPLETED = "draft_completed"
    ORDER_CANCELLED = "order_cancelled"
    LEDGER = "ledger_conflict"
    REVERSAL = "reversal_conflict"
    CONFLICT = "conflict"


@dataclass
class FieldError:
    field: str
    message: str
    # What staff read instead, where it differs: amounts as money (`398,00 kr`) rather than in
    # minor units, which the API's documented messages keep.
    shown: str = ""

    @property
    def for_staff(self) -> str:
        return self.shown or self.message


@dataclass
class DomainError(Exception):
    message: str
    code: ErrorCode = ErrorCode.CONFLICT
    errors: list[FieldError] = field(default_factory=list)
    shown: str = ""  # as FieldError.shown

    def __str__(self) -> str:
        return self.message

    @property
    def for_staff(self) -> str:
        return self.shown or self.message


class InvalidInput(DomainError):
    """The request itself is malformed or invalid, whatever the order's state."""

    def __init__(self, errors: list[FieldError], message: str = ""):
        super().__init__(
            message or "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors),
            ErrorCode.INVALID,
            errors,
            # Staff read the messages without the API's field paths (`order.items[0].line_id`),
            # which name nothing on their pages.
            shown="" if message else "; ".join(e.for_staff for e in errors),
        )


class NotFound(DomainError):
    def __init__(self, message: str):
        super().__init__(message, ErrorCode.NOT_FOUND)


class Conflict(DomainError):
    """The request is well formed but conflicts with the order's state or its ledger."""
