"""Forms of the staff pages. They turn what staff type into the typed values the services take
(`orders.inputs`), and put the services' field errors back next to the fields they name."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, gettext_lazy, pgettext_lazy, to_locale

from backoffice.errors import DomainError
from orders.inputs import (
    AMOUNT_LIMIT,
    COUNT_LIMIT,
    ID_LIMIT,
    SEARCH_LIMIT,
    SEARCH_WORDS_LIMIT,
    DraftDocument,
    DraftItem,
    DraftOptions,
    TaxLine,
    search_too_long,
)
from orders.ledger import unit_amount, units_amount, units_available
from orders.models import ItemAmount, OperationKind, Order, OrderLine, OrderStatus, PaymentStatus
from orders.money import exponent, format_money, parse_amount, vat_contained
from orders.queues import Queue, queue_orders, queue_title
from orders.services.customer import ADDRESS_FIELDS, CUSTOMER_FIELDS
from orders.timeline import FIELD_LABELS

VAT_PRESETS = [("25", "25 %"), ("15", "15 %"), ("12", "12 %"), ("0", "0 %")]
CURRENCIES = ["NOK", "SEK", "DKK", "EUR", "USD", "GBP"]
SORTS = {
    "-created": "-created_at",
    "created": "created_at",
    "order_id": "order_id",
    "-order_id": "-order_id",
    "gross": "gross_amount",
    "-gross": "-gross_amount",
    "payment_status": "payment_status",
    "-payment_status": "-payment_status",
}


def amount_input(minor: int, currency: str) -> str:
    """Minor units as staff type them: 39800 NOK -> "398,00"."""
    digits = exponent(currency)
    text = f"{Decimal(minor).scaleb(-digits):.{digits}f}"
    return text.replace(".", ",")


# The statuses staff read (orders, drafts, the ledger's payment status) and the operation kinds,
# in the page's language; the filters' choices and the pages' badges (orders_ui's `label`).
STATUS_LABELS = {
    "PENDING": pgettext_lazy("payment status", "Pending"),
    "PARTIALLY_AUTHORIZED": gettext_lazy("Partially authorized"),
    "AUTHORIZED": gettext_lazy("Authorized"),
    "PARTIALLY_CAPTURED": gettext_lazy("Partially captured"),
    "CAPTURED": gettext_lazy("Captured"),
    "PARTIALLY_REFUNDED": gettext_lazy("Partially refunded"),
    "REFUNDED": gettext_lazy("Refunded"),
    "CANCELLED": pgettext_lazy("status", "Cancelled"),
    "ACTIVE": pgettext_lazy("order status", "Active"),
    "CLOSED": pgettext_lazy("order status", "Closed"),
    "OPEN": pgettext_lazy("draft status", "Open"),
    "COMPLETED": pgettext_lazy("draft status", "Completed"),
    "DELETED": pgettext_lazy("draft status", "Deleted"),
    "authorization": pgettext_lazy("operation", "Authorization"),
    "capture": pgettext_lazy("operation", "Capture"),
    "refund": pgettext_lazy("operation", "Refund"),
    "cancellation": pgettext_lazy("operation", "Cancellation"),
}


def status_label(value: str) -> str:
    """`PARTIALLY_CAPTURED` -> `Partially captured` (`Delvis trukket` in Norwegian)."""
    known = STATUS_LABELS.get(value)
    return str(known) if known else value.replace("_", " ").capitalize()


class AmountField(forms.CharField):
    """An amount in major units (398, 398,00 or 398.00); cleaned to minor units of `currency`,
    below AMOUNT_LIMIT."""

    def __init__(self, *, currency: str, **kwargs):
        self.currency = currency
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            minor = parse_amount(value, self.currency)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if abs(minor) >= AMOUNT_LIMIT:
            raise forms.ValidationError(gettext("%(amount)s is out of range") % {"amount": minor})
        return minor


class StaffForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ServiceErrorsMixin(forms.Form):
    """Puts a DomainError's field errors next to the fields they name: `service_fields` maps
    the service's field paths (`items[0].amount`) to the form's fields."""

    service_fields: dict[str, str] = {}

    def add_service_error(self, error: DomainError) -> None:
        """Each message once, in the words staff read (amounts as money): next to its field,
        or above the form when it names no field of it."""
        placed = False
        for fe in error.errors:
            name = self.service_fields.get(fe.field)
            if name and name in self.fields:
                self.add_error(name, fe.for_staff)
                placed = True
        if not placed:
            self.add_error(None, error.for_staff)


# What the placeholder of a date input says, per language (dd.mm.åååå in Norwegian).
DATE_PLACEHOLDER = pgettext_lazy("date input placeholder", "dd/mm/yyyy")


class LocaleDateInput(forms.DateInput):
    """A date as the page's language writes it, typed and shown so (`01.12.2026`, in English
    `01/12/2026`: the first of the language's DATE_INPUT_FORMATS, backoffice/formats/); ISO dates
    (`2026-12-01`, in the links the pages build) are read too. Not `<input type="date">`: browsers
    show that in their own locale's format (`12/01/2026`), whatever language the page speaks."""

    def __init__(self, attrs=None, format=None):
        defaults = {
            "inputmode": "numeric",
            "autocomplete": "off",
            "size": 10,
            "placeholder": DATE_PLACEHOLDER,
        }
        super().__init__(attrs={**defaults, **(attrs or {})}, format=format)


class OrderFilterForm(StaffForm):
    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": gettext_lazy("Order id, customer, e-mail, SKU or payment id"),
            }
        ),
    )
    status = forms.ChoiceField(
        label=gettext_lazy("Status"),
        required=False,
        choices=[("", gettext_lazy("Any")), *((v, STATUS_LABELS.get(v, n)) for v, n in OrderStatus.choices)],
    )
    payment_status = forms.ChoiceField(
        label=gettext_lazy("Payment status"),
        required=False,
        choices=[("", gettext_lazy("Any"))] + [(v, STATUS_LABELS.get(v, v)) for v in PaymentStatus.values],
    )
    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"),
        required=False,
        choices=[("", gettext_lazy("Any"))] + [(c, c) for c in CURRENCIES],
    )
    created_from = forms.DateField(label=gettext_lazy("Created from"), required=False, widget=LocaleDateInput)
    created_to = forms.DateField(
        label=pgettext_lazy("date range", "to"), required=False, widget=LocaleDateInput
    )
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORTS], widget=forms.HiddenInput)
    # A work queue (orders.queues), as the work page links to it; `days` for the old authorizations.
    queue = forms.ChoiceField(
        required=False, choices=[("", gettext_lazy("Any")), *Queue.choices], widget=forms.HiddenInput
    )
    days = forms.IntegerField(required=False, min_value=0, max_value=3650, widget=forms.HiddenInput)

    def clean_q(self) -> str:
        text = self.cleaned_data.get("q", "")
        if search_too_long(text):
            raise forms.ValidationError(
                gettext("Use at most %(words)s words and %(characters)s characters.")
                % {"words": SEARCH_WORDS_LIMIT, "characters": SEARCH_LIMIT}
            )
        return text

    def filter(self, queryset):
        data = self.cleaned_data
        if data.get("queue"):
            queryset = queue_orders(queryset, data["queue"], days=data.get("days"))
        if data.get("status"):
            queryset = queryset.filter(status=data["status"])
        if data.get("payment_status"):
            queryset = queryset.filter(payment_status=data["payment_status"])
        if data.get("currency"):
            queryset = queryset.filter(currency=data["currency"])
        # Days in the current time zone, as bounds on the timestamp itself: the account's
        # created_at index serves them (a filter on each row's date would convert every row).
        if data.get("created_from"):
            queryset = queryset.filter(created_at__gte=day_start(data["created_from"]))
        if data.get("created_to"):
            queryset = queryset.filter(created_at__lt=day_start(data["created_to"] + timedelta(days=1)))
        return queryset

    @property
    def sort_key(self) -> str:
        return (self.cleaned_data.get("sort") if self.is_valid() else "") or "-created"

    @property
    def queue_label(self) -> str:
        if not self.is_valid() or not self.cleaned_data["queue"]:
            return ""
        return queue_title(self.cleaned_data["queue"], days=self.cleaned_data["days"])


def day_start(day: date) -> datetime:
    """Midnight starting `day` in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


# Dintero's phone numbers: ITU E.123 with the international prefix (`^\+?\d{5,15}$`,
# https://docs.dintero.com/checkout-api/payment/checkout_sid_pay_post); staff may type spaces.
PHONE_PATTERN = re.compile(r"^\+?\d{5,15}$")
# Codes in CLDR's territory list that name no country.
_NOT_COUNTRIES = {"EU", "EZ", "QO", "UN", "XA", "XB", "ZZ"}
# The address fields of the New order page (Dintero's address, `customer.py`'s ADDRESS_FIELDS
# without the contact fields the customer's own carry), and those an address needs once begun.
NEW_ORDER_ADDRESS_FIELDS = tuple(f for f in ADDRESS_FIELDS if f not in ("phone_number", "email"))
ADDRESS_REQUIRED = ("address_line", "postal_code", "postal_place", "country")


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes (as Dintero's addresses carry them), named in the page's language."""
    return _country_choices(get_language() or "en")


@lru_cache(maxsize=16)
def _country_choices(language: str) -> list[tuple[str, str]]:
    names = Locale.parse(to_locale(language)).territories
    countries = [(code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()]
    countries = [(code, name) for code, name in countries if code not in _NOT_COUNTRIES]
    return [("", "—"), *sorted(countries, key=lambda c: c[1])]


class LongSelect(forms.Select):
    """A select of a few hundred choices (the countries), its options written here, exactly as
    Django's templates write them: those render each option through a template of its own, and
    the New order page's two country lists took 35 of its 42 ms."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = []
        for group, choices, _index in widget["optgroups"]:
            if group:  # as Django writes a group; the countries have none
                return super().render(name, value, attrs, renderer)
            options += [
                format_html(
                    '\n  <option value="{}"{}>{}</option>\n',
                    option["value"],
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in choices
            ]
        return format_html(
            '<select name="{}"{}>{}\n</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(options)),
        )


def phone_number_clean(value: str) -> str:
    """`+47 999 99 999` -> `+4799999999`, or a ValidationError in Dintero's terms."""
    number = re.sub(r"[\s\-().]", "", value or "")
    if number and not PHONE_PATTERN.match(number):
        raise forms.ValidationError(
            gettext("a phone number is 5 to 15 digits, the country code first: +4799999999")
        )
    return number


class DraftStartForm(StaffForm):
    """A new order's currency, customer, shipping address and billing address (the shipping one
    unless said), stored on the draft as Dintero's Orders API stores them (`customer`,
    `shipping_address`, `billing_address`). Each text is at most ID_LIMIT characters, as the
    customer form allows; the e-mail is checked as an e-mail, the phone number and country as
    Dintero writes them."""

    currency = forms.ChoiceField(
        label=gettext_lazy("Currency"), choices=[(c, c) for c in CURRENCIES], initial="NOK"
    )
    first_name = forms.CharField(
        label=gettext_lazy("Customer first name"), required=False, max_length=ID_LIMIT
    )
    last_name = forms.CharField(label=gettext_lazy("Customer last name"), required=False, max_length=ID_LIMIT)
    email = forms.EmailField(label=gettext_lazy("Customer e-mail"), required=False, max_length=ID_LIMIT)
    phone_number = forms.CharField(
        label=gettext_lazy("Customer phone"),
        required=False,
        max_length=ID_LIMIT,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "placeholder": "+4799999999"}),
    )
    merchant_reference = forms.CharField(
        label=gettext_lazy("Merchant reference"), required=False, max_length=200
    )
    billing_same = forms.BooleanField(
        label=gettext_lazy("Billing address same as shipping"), required=False, initial=True
    )

    ADDRESS_GROUPS = (
        ("shipping", "shipping_address", gettext_lazy("Shipping address")),
        ("billing", "billing_address", gettext_lazy("Billing address")),
    )
    options = DraftOptions(generate_order_id="ALPHANUMERIC_9")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        countries = country_choices()
        for prefix, _group, _title in self.ADDRESS_GROUPS:
            for name in NEW_ORDER_ADDRESS_FIELDS:
                label = FIELD_LABELS[name].capitalize()
                if name == "country":
                    field: forms.Field = forms.ChoiceField(
                        label=label, required=False, choices=countries, initial="NO", widget=LongSelect
                    )
                else:
                    field = forms.CharField(label=label, required=False, max_length=ID_LIMIT)
                if name in ("first_name", "last_name"):
                    field.help_text = gettext_lazy("empty: the customer's")
                self.fields[f"{prefix}-{name}"] = field

    def address_groups(self):
        """(prefix, title, bound fields) per address, for the template."""
        return [
            (prefix, title, [self[f"{prefix}-{name}"] for name in NEW_ORDER_ADDRESS_FIELDS])
            for prefix, _group, title in self.ADDRESS_GROUPS
        ]

    def clean_phone_number(self) -> str:
        return phone_number_clean(self.cleaned_data.get("phone_number", ""))

    def _address(self, prefix: str) -> dict[str, str]:
        """The address as typed, checked: empty, or with at least what a parcel needs."""
        data = self.cleaned_data
        address = {}
        for name in NEW_ORDER_ADDRESS_FIELDS:
            value = (data.get(f"{prefix}-{name}") or "").strip()
            if value:
                address[name] = value
        # The country is chosen in advance: an address is begun when anything else is typed.
        if not set(address) - {"country"}:
            return {}
        for name in ADDRESS_REQUIRED:
            if name not in address and f"{prefix}-{name}" not in self.errors:
                self.add_error(f"{prefix}-{name}", gettext("needed for the address"))
        postal_code = address.get("postal_code", "")
        if address.get("country") == "NO" and postal_code and not re.fullmatch(r"\d{4}", postal_code):
            self.add_error(f"{prefix}-postal_code", gettext("a Norwegian postcode is four digits"))
        for name in ("first_name", "last_name"):
            if name not in address and data.get(name):
                address[name] = data[name].strip()
        return address

    def clean(self):
        super().clean()
        data = self.cleaned_data
        data["shipping_address"] = self._address("shipping")
        data["billing_address"] = (
            dict(data["shipping_address"]) if data.get("billing_same") else self._address("billing")
        )
        return data

    def document(self) -> DraftDocument:
        data = self.cleaned_data
        customer = {
            k: data[k].strip() for k in ("first_name", "last_name", "email", "phone_number") if data.get(k)
        }
        return DraftDocument(
            currency=data["currency"],
            customer=customer,
            shipping_address=data["shipping_address"],
            billing_address=data["billing_address"],
            merchant_reference=data["merchant_reference"],
        )


class LineItemForm(ServiceErrorsMixin, StaffForm):
    """One line: SKU, description, quantity, line total including VAT and the VAT rate."""

    sku = forms.CharField(label=gettext_lazy("SKU"), required=False, max_length=200)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=500)
    quantity = forms.IntegerField(
        min_value=1,
        max_value=COUNT_LIMIT,
        initial=1,
        widget=forms.NumberInput(attrs={"min": 1}),
        label=gettext_lazy("Quantity"),
        error_messages={"max_value": gettext_lazy("must be a positive whole number up to %(limit_value)s")},
    )
    amount = forms.CharField(label=gettext_lazy("Line total incl. VAT"))
    vat_rate = forms.ChoiceField(label=gettext_lazy("VAT rate"), choices=VAT_PRESETS, initial="25")

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"] = AmountField(currency=currency, label=gettext("Line total incl. VAT"))

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError(gettext("a line total must be more than zero"))
        return amount

    @property
    def vat_amount(self) -> int | None:
        data = getattr(self, "cleaned_data", {})
        if data.get("amount") is None or data.get("vat_rate") is None:
            return None
        return vat_contained(data["amount"], Decimal(data["vat_rate"]))

    def item(self) -> DraftItem:
        """The line, without a line_id: a draft numbers it."""
        data = self.cleaned_data
        rate = Decimal(data["vat_rate"])
        return DraftItem(
            id=data["sku"],
            description=data["description"],
            quantity=data["quantity"],
            gross_amount=data["amount"],
            tax_lines=[TaxLine(amount=vat_contained(data["amount"], rate), percentage=rate)],
        )

    @classmethod
    def initial_from(cls, item: dict, currency: str) -> dict:
        taxes = item.get("tax_lines") or []
        return {
            "sku": item.get("id", ""),
            "description": item.get("description", ""),
            "quantity": item.get("quantity", 1),
            "amount": amount_input(item.get("gross_amount", 0), currency),
            "vat_rate": str(int(taxes[0]["percentage"])) if taxes else "0",
        }


@dataclass(frozen=True)
class OperationRow:
    """One line of the operation form: what it may still take (`left`), how many whole units
    that is, what each count of them takes (`options`: units, amount), and its two fields."""

    line: OrderLine
    left: int
    units: int
    options: list[tuple[int, int]]
    quantity: forms.BoundField | None
    amount: forms.BoundField

    @property
    def unit(self) -> int:
        return unit_amount(self.line.gross_amount, self.line.quantity)

    @property
    def choices(self) -> list[tuple[int, int, str]]:
        """(units, amount, the amount as typed: what the script adds up)."""
        return [(n, amount, amount_input(amount, self.line.order.currency)) for n, amount in self.options]


class OperationForm(ServiceErrorsMixin, StaffForm):
    """Record one operation by item and quantity: per line, how many of its units ("1 of 3",
    their amount pro rata, `orders.ledger.units_amount`) or another amount; nothing selected
    until staff select it. A reason on refunds and cancellations; a payment id.

    `review` (sent by the page without JavaScript, which cannot show the total on the button)
    asks for the confirmation step first. Carries a one-time token so that a double click
    records once."""

    payment_id = forms.CharField(label=gettext_lazy("Payment id"), max_length=200)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False)
    review = forms.BooleanField(required=False, widget=forms.HiddenInput)
    form_token = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        order: Order,
        kind: OperationKind,
        lines: list[OrderLine],
        held: dict[int, int] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.order, self.kind = order, kind
        self.reason_required = kind in (OperationKind.REFUND, OperationKind.CANCELLATION)
        self.fields["reason"].required = self.reason_required
        self.lines: list[tuple[OrderLine, int, int, list[tuple[int, int]]]] = []
        held = held or {}
        for line in lines:
            # What provider calls or payment links still under way hold is not offered.
            left = line.figures.remaining(kind) - held.get(line.line_id, 0)
            if not left or (left < 0) != (line.sign < 0):
                continue
            units = units_available(line.gross_amount, line.quantity, left)
            options = [(n, units_amount(line.gross_amount, line.quantity, left, n)) for n in range(units + 1)]
            if units:
                self.fields[f"qty_{line.line_id}"] = forms.TypedChoiceField(
                    label=gettext("Quantity on line %(line)s") % {"line": line.line_id},
                    choices=[
                        (n, gettext("%(units)s of %(quantity)s") % {"units": n, "quantity": line.quantity})
                        for n, _ in options
                    ],
                    coerce=int,
                    required=False,
                )
            self.fields[f"line_{line.line_id}"] = AmountField(
                currency=order.currency,
                required=False,
                label=gettext("Other amount on line %(line)s") % {"line": line.line_id},
            )
            self.lines.append((line, left, units, options))
        self.order_fields(["reason", "payment_id"])

    @property
    def line_rows(self) -> list[OperationRow]:
        return [
            OperationRow(
                line=line,
                left=left,
                units=units,
                options=options,
                quantity=self[f"qty_{line.line_id}"] if units else None,
                amount=self[f"line_{line.line_id}"],
            )
            for line, left, units, options in self.lines
        ]

    @property
    def total(self) -> int:
        """What the selection adds up to (0 until something valid is selected)."""
        if not self.is_bound or not hasattr(self, "cleaned_data"):
            return 0
        return sum(item.amount for item in self.cleaned_data.get("items") or [])

    def clean(self):
        """`items`: an ItemAmount per line given a quantity or another amount (not both); the
        payment id and the reason come stripped."""
        super().clean()
        data = self.cleaned_data
        items: list[ItemAmount] = []
        self.service_fields = {}
        for line, _left, _units, options in self.lines:
            qty_name, amount_name = f"qty_{line.line_id}", f"line_{line.line_id}"
            units = data.get(qty_name) or 0
            amount = data.get(amount_name)
            if units and amount:
                self.add_error(amount_name, gettext("choose a quantity or type another amount, not both"))
                continue
            if units:
                amount = options[units][1]
            if not amount:
                continue
            # Reversal lines take negative amounts; accept them typed without the sign.
            if line.sign < 0 and amount > 0:
                amount = -amount
            # The service names the items by their place in the list.
            self.service_fields[f"items[{len(items)}].line_id"] = amount_name
            self.service_fields[f"items[{len(items)}].amount"] = amount_name
            items.append(ItemAmount(line.line_id, amount))
        if not items and not self.errors:
            raise forms.ValidationError(gettext("choose a quantity or type an amount on at least one line"))
        data["items"] = items
        return data

    def money_format(self) -> dict[str, str]:
        """How the page writes money, for the script that shows the total on the button."""
        return money_parts(self.order.currency)


def money_parts(currency: str, locale: str = "nb_NO") -> dict[str, str]:
    """The pieces `orders.money.format_money` writes an amount with: 1 234,50 kr ->
    prefix "", group " ", decimal ",", suffix " kr" (negative: "-"…), and the decimals."""
    sample = format_money(-123456789 * 10 ** exponent(currency), currency, locale)
    positive = format_money(123456789 * 10 ** exponent(currency), currency, locale)
    digits = exponent(currency)
    start, end = positive.index("1"), positive.rindex("9") + 1 + (digits and digits + 1)
    body = positive[start:end]
    group = body[3] if len(body) > 3 and not body[3].isdigit() else ""
    decimal = body[-digits - 1] if digits else ""
    n_start, n_end = sample.index("1"), sample.index("1") + len(body)
    return {
        "prefix": positive[:start],
        "suffix": positive[end:],
        "negPrefix": sample[:n_start],
        "negSuffix": sample[n_end:],
        "group": group,
        "decimal": decimal,
        "digits": str(digits),
    }


class NoteForm(StaffForm):
    text = forms.CharField(
        label=gettext_lazy("Add a note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CancelForm(StaffForm):
    reason = forms.CharField(label=gettext_lazy("Reason (optional)"), required=False, max_length=300)


class ReplaceForm(StaffForm):
    """Which lines to reverse, how many of each, and why."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, initial=gettext_lazy("Replace item")
    )

    def __init__(self, *args, reversible, **kwargs):
        super().__init__(*args, **kwargs)
        self.reversible = []
        for line, gross_left, quantity_left in reversible:
            name = f"reverse_{line.line_id}"
            self.fields[name] = forms.IntegerField(
                label=gettext("Quantity of line %(line)s to reverse") % {"line": line.line_id},
                min_value=0,
                max_value=quantity_left,
                required=False,
                initial=0,
                widget=forms.NumberInput(attrs={"min": 0, "max": quantity_left}),
            )
            self.reversible.append((line, gross_left, quantity_left, name))

    @property
    def rows(self):
        return [(line, gross, quantity, self[name]) for line, gross, quantity, name in self.reversible]

    def choices(self) -> list[tuple[int, int]]:
        return [
            (line.line_id, self.cleaned_data.get(name) or 0)
            for line, _gross, _quantity, name in self.reversible
            if self.cleaned_data.get(name)
        ]


class ReplacementLineForm(LineItemForm):
    """A replacement line; a row left empty is skipped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_permitted = True
        self.use_required_attribute = False


class ExtraAuthorizationForm(StaffForm):
    payment_id = forms.CharField(label=gettext_lazy("New payment id"), max_length=200)
    capture = forms.BooleanField(
        label=gettext_lazy("The extra amount is captured as well"), required=False, initial=True
    )
    form_token = forms.CharField(widget=forms.HiddenInput)


class SettleForm(StaffForm):
    form_token = forms.CharField(widget=forms.HiddenInput)


class CustomerForm(StaffForm):
    """The customer's details and addresses as staff edit them, with the reason for the change."""

    GROUPS = (
        ("customer", gettext_lazy("Customer"), CUSTOMER_FIELDS),
        ("shipping_address", gettext_lazy("Shipping address"), ADDRESS_FIELDS),
        ("billing_address", gettext_lazy("Billing address"), ADDRESS_FIELDS),
    )

    def __init__(self, *args, order: Order, **kwargs):
        initial = {
            f"{group}-{name}": (getattr(order, group) or {}).get(name, "")
            for group, _title, names in self.GROUPS
            for name in names
        }
        super().__init__(*args, initial={**initial, **kwargs.pop("initial", {})}, **kwargs)
        for group, _title, names in self.GROUPS:
            for name in names:
                field = forms.EmailField if name == "email" else forms.CharField
                label = FIELD_LABELS[name].capitalize()
                self.fields[f"{group}-{name}"] = field(label=label, required=False, max_length=200)
        self.fields["reason"] = forms.CharField(
            label=gettext("Reason for the change"), max_length=300, widget=forms.TextInput(attrs={"size": 50})
        )

    def groups(self):
        """(title, bound fields) per group, for the template."""
        return [(title, [self[f"{group}-{name}"] for name in names]) for group, title, names in self.GROUPS]

    def values(self, group: str) -> dict[str, str]:
        names = dict((g, n) for g, _t, n in self.GROUPS)[group]
        return {name: self.cleaned_data.get(f"{group}-{name}", "") for name in names}
