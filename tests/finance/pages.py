"""Read figures back from the finance page's HTML and from the CSV."""

import csv
import io
import re
from decimal import Decimal


def table(html: str, table_id: str) -> str:
    match = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)
    assert match, f"no table {table_id}"
    return match.group(0)


def currency_totals(html: str) -> dict[str, dict[str, int]]:
    body = table(html, "currency-totals")
    result = {}
    for currency, row in re.findall(r'<tr data-currency="(\w+)">(.*?)</tr>', body, re.S):
        result[currency] = {
            f: int(a) for f, a in re.findall(r'data-figure="(\w+)" data-amount="(-?\d+)"', row)
        }
    return result


def vat_rows(html: str) -> dict[tuple[str, str], dict[str, int]]:
    body = table(html, "vat-table").split("<tfoot>")[0]
    result = {}
    for currency, rate, row in re.findall(
        r'<tr data-currency="(\w+)" data-rate="([^"]+)">(.*?)</tr>', body, re.S
    ):
        amounts = [int(a) for a in re.findall(r'data-amount="(-?\d+)"', row)]
        result[(currency, rate)] = dict(
            zip(["capture", "capture_vat", "refund", "refund_vat"], amounts, strict=True)
        )
    return result


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def minor(text: str, currency: str) -> int:
    from orders.money import exponent

    return int(Decimal(text).scaleb(exponent(currency)))
