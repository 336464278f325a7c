"""Currencies, minor units, and amounts as people read and type them."""

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    list_currencies,
)
from django.utils.translation import gettext

_KNOWN_CURRENCIES = frozenset(list_currencies())


def is_currency(code: object) -> bool:
    return isinstance(code, str) and code in _KNOWN_CURRENCIES


def exponent(currency: str) -> int:
    """Digits after the decimal mark: NOK 2, JPY 0, KWD 3."""
    return get_currency_precision(currency)


def format_money(amount: int, currency: str, locale: str = "nb_NO") -> str:
    """`39800, "NOK"` -> `398,00 kr` in nb-NO."""
    return _money_formatter(currency, locale)(amount)


@lru_cache(maxsize=512)
def _money_formatter(currency: str, locale: str) -> Callable[[int], str]:
    """Babel's currency format for the locale, read once and applied to integers directly:
    pages show hundreds of amounts, and babel's general formatter is the slow part of them."""
    pattern = Locale.parse(locale).currency_formats["standard"]
    digits = exponent(currency)

    def babel(amount: int) -> str:
        return format_currency(Decimal(amount).scaleb(-digits), currency, locale=locale)

    if pattern.grouping != (3, 3):
        return babel
    symbol = get_currency_symbol(currency, locale)
    prefix = [p.replace("¤", symbol) for p in pattern.prefix]
    suffix = [p.replace("¤", symbol) for p in pattern.suffix]
    decimal, group = get_decimal_symbol(locale), get_group_symbol(locale)

    def fast(amount: int) -> str:
        major, minor = divmod(abs(amount), 10**digits)
        text = f"{major:,}".replace(",", group) + (f"{decimal}{minor:0{digits}d}" if digits else "")
        negative = int(amount < 0)
        return f"{prefix[negative]}{text}{suffix[negative]}"

    return fast


_AMOUNT = re.compile(r"^(?P<sign>-)?(?P<int>\d{1,15})(?:[.,](?P<frac>\d+))?$")


def parse_amount(text: str, currency: str) -> int:
    """`"398"`, `"398,00"`, `"398.00"`, `"1 234,50"` -> minor units. Raises ValueError."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", str(text)).replace("kr", "")
    match = _AMOUNT.match(cleaned)
    if not match:
        raise ValueError(gettext("“%(text)s” is not an amount") % {"text": text})
    digits = exponent(currency)
    frac = match["frac"] or ""
    if len(frac) > digits:
        raise ValueError(
            gettext("%(currency)s has %(digits)s decimals; “%(text)s” has %(typed)s")
            % {"currency": currency, "digits": digits, "text": text, "typed": len(frac)}
        )
    try:
        value = Decimal(f"{match['int']}.{frac or '0'}").scaleb(digits)
    except InvalidOperation as exc:  # pragma: no cover - the regex already rules this out
        raise ValueError(gettext("“%(text)s” is not an amount") % {"text": text}) from exc
    minor = int(value)
    return -minor if match["sign"] else minor


def vat_contained(gross: int, percentage: Decimal | int | float) -> int:
    """The VAT contained in a gross amount at a rate: 39800 at 25 % contains 7960."""
    p = Decimal(str(percentage))
    return int((Decimal(gross) * p / (100 + p)).to_integral_value())
