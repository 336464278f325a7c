"""`python manage.py benchmark`: seed (or reuse) N orders on PostgreSQL, time the pages and API
calls staff and integrators use most, each beside its bare SQL, measure capture throughput over
HTTP, and write the figures to BENCHMARKS.md."""

import datetime as dt
import gc
import json as jsonlib
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.http import QueryDict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice import roles
from backoffice.actor import Actor
from backoffice.db_router import replica_configured
from backoffice.models import Account
from backoffice.services import api_client_create
from devtools.benchmark.measure import (
    Timing,
    capture_throughput,
    percentiles,
    reference_loop_ms,
    time_page,
    time_sql,
)
from devtools.benchmark.seed import bench_account, bench_subscription, check_sample, seed
from hooks.models import Attempt
from orders.inputs import DraftDocument, DraftItem, DraftOptions, TaxLine
from orders.models import (
    DraftOrder,
    Event,
    ItemAmount,
    OperationItem,
    OperationKind,
    Order,
    OrderLine,
    PaymentOperation,
    PaymentStatus,
)
from orders.money import vat_contained
from orders.services.drafts import draft_complete, draft_create
from orders.services.operations import operation_record

ACTOR = Actor(system="benchmark")
BIG_ORDER_REF = "benchmark-100-lines"
EMPTY_AID = "T99999998"  # an account with nothing in it: the trivial page's

# Each page's question as one bare SQL query on the same data.
LIST_SQL = """SELECT * FROM orders_order WHERE account_id = %s
ORDER BY created_at DESC, id DESC LIMIT 26"""
ORDER_ID_SQL = "SELECT * FROM orders_order WHERE account_id = %s AND order_id = %s"
EMAIL_SQL = """SELECT * FROM orders_order WHERE account_id = %s
AND lower(customer ->> 'email') = lower(%s) ORDER BY created_at DESC, id DESC LIMIT 26"""
SKU_SQL = """SELECT * FROM orders_order WHERE account_id = %s AND id IN
(SELECT order_id FROM orders_orderline WHERE item_id = %s) ORDER BY created_at DESC, id DESC LIMIT 26"""
STATUS_SQL = """SELECT * FROM orders_order WHERE account_id = %s AND payment_status = %s
ORDER BY created_at DESC, id DESC LIMIT 26"""
ORDER_PAGE_SQL = """SELECT l.*, t.amount, t.percentage FROM orders_orderline l
LEFT JOIN orders_taxline t ON t.line_id = l.id WHERE l.order_id = %s ORDER BY l.line_id"""
# The finance page reads the daily rollup: its totals per bucket and its VAT table, in one query.
FINANCE_SQL = """SELECT date_trunc(%s, day)::date AS bucket, currency, kind, rate_min, rate_max,
       sum(amount), sum(vat)
FROM orders_financeday
WHERE account_id = %s AND day >= %s AND day < %s
GROUP BY GROUPING SETS ((1, currency, kind), (currency, kind, rate_min, rate_max))"""
# The same month aggregated from operation items, as it would be without the rollup.
FINANCE_ITEMS_SQL = """SELECT date_trunc('day', p.created_at AT TIME ZONE %s), o.currency, p.kind,
       sum(i.amount), sum(CASE WHEN l.gross_amount = 0 THEN 0
                               ELSE round(i.amount::numeric * l.tax_amount / l.gross_amount) END)
FROM orders_operationitem i
JOIN orders_paymentoperation p ON p.id = i.operation_id
JOIN orders_orderline l ON l.id = i.line_id
JOIN orders_order o ON o.id = p.order_id
WHERE o.account_id = %s AND p.success AND p.created_at >= %s AND p.created_at < %s
GROUP BY 1, 2, 3"""
CAPTURE_SQL = """WITH locked AS (SELECT id FROM orders_order WHERE id = %s FOR UPDATE)
SELECT l.* FROM orders_orderline l JOIN locked ON l.order_id = locked.id"""


@dataclass(frozen=True)
class Target:
    """A performance target and what was measured against it: `value` at most (or, if not
    `at_most`, at least) `limit`."""

    what: str
    measured: str
    value: float
    limit: float
    at_most: bool = True

    @property
    def met(self) -> bool:
        return self.value <= self.limit if self.at_most else self.value >= self.limit

    @property
    def distance(self) -> float:
        """How far the measure is from the target, as a factor: above 1 it is not met."""
        if self.at_most:
            return self.value / self.limit
        return self.limit / self.value if self.value else float("inf")


class Command(BaseCommand):
    help = "Benchmark pages and APIs at scale on PostgreSQL; write BENCHMARKS.md."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--orders", type=int, default=1_000_000, help="orders to seed (kept between runs)"
        )
        parser.add_argument("--repeat", type=int, default=40, help="requests per timing")
        parser.add_argument(
            "--captures", type=int, default=1000, help="timed captures in each throughput run"
        )
        parser.add_argument(
            "--workers", default="2,4", help="gunicorn workers of each throughput run (comma-separated)"
        )
        parser.add_argument("--output", default=str(Path(settings.BASE_DIR) / "BENCHMARKS.md"))
        parser.add_argument("--json", default="", help="also write the figures here, as JSON")
        parser.add_argument(
            "--without-drafts",
            action="store_true",
            help="seed no completed drafts (a tenth of the data: for a disk too small for them)",
        )
        parser.add_argument(
            "--baseline", default="", help="figures (--json) of a run on fewer orders: the growth from them"
        )

    def handle(
        self,
        *args,
        orders: int,
        repeat: int,
        captures: int,
        workers: str,
        output: str,
        json: str,
        baseline: str,
        without_drafts: bool,
        **options,
    ) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("benchmarks need PostgreSQL: set DATABASE_URL")
        if settings.DEBUG:
            raise CommandError("benchmark production settings: DEBUG=false (see README, Benchmarks)")
        added = seed(orders, stdout=self.stderr, drafts=not without_drafts)
        self.stdout.write(f"{added} orders added; checking a sample of the data against the ledger")
        check_sample(200, drafts=not without_drafts)
        account = bench_account()
        staff = Client()
        staff.force_login(self._staff(account))
        big = self._big_order(account)
        sample = self._sample(account)
        email = sample.customer.get("email", "")
        sku = sample.lines.order_by("line_id")[0].item_id
        base = f"/{account.aid}"
        today = timezone.localdate()
        # Last month is a whole month whatever today's date ("this month" is one day on the 1st).
        month_end = today.replace(day=1)
        month_start = (month_end - dt.timedelta(days=1)).replace(day=1)
        year_start = today.replace(month=1, day=1)
        tz = str(timezone.get_current_timezone())
        start = lambda day: timezone.make_aware(dt.datetime.combine(day, dt.time()))  # noqa: E731

        reference = [reference_loop_ms()]  # the machine's speed, at the start and at the end
        rows: list[Timing] = []
        gc.freeze()  # as backoffice/wsgi.py does in the servers

        def page(name: str, url: str, sql: str | None = None, params: list | None = None) -> None:
            rows.append(self._page(staff, name, url, repeat, sql=sql, params=params))

        # Every read below is timed on the primary; the lag-tolerant ones again on the replica,
        # if one is configured (after them).
        primary_only = mock.patch("backoffice.db_router.replica_configured", return_value=False)
        primary_only.start()
        self.stdout.write("Timing pages and API calls (server side, through Django's handler):")
        page("order list, first page", f"{base}/orders/", LIST_SQL, [account.pk])
        page(
            "search by order id",
            f"{base}/orders/?q={sample.order_id}",
            ORDER_ID_SQL,
            [account.pk, sample.order_id],
        )
        page("search by customer e-mail", f"{base}/orders/?q={email}", EMAIL_SQL, [account.pk, email])
        page("search by SKU", f"{base}/orders/?q={sku}", SKU_SQL, [account.pk, sku])
        page(
            "filter by payment status",
            f"{base}/orders/?payment_status={PaymentStatus.PARTIALLY_REFUNDED}",
            STATUS_SQL,
            [account.pk, PaymentStatus.PARTIALLY_REFUNDED],
        )
        page("order page, 100 lines", f"{base}/orders/{big.order_id}/", ORDER_PAGE_SQL, [big.pk])
        page("  its provider panel (loaded after it)", f"{base}/orders/{big.order_id}/payments/panel")
        tomorrow = today + dt.timedelta(days=1)
        page(
            "finance page, last month",
            f"{base}/finance/?period=last_month&group=day",
            FINANCE_SQL,
            ["day", account.pk, month_start, month_end],
        )
        page(
            "finance page, this year",
            f"{base}/finance/?period=custom&group=month&first={year_start}&last={today}",
            FINANCE_SQL,
            ["month", account.pk, year_start, tomorrow],
        )
        rows.append(self._capture_api(account, repeat))
        self.stdout.write("Every other path a user reaches (searches by part, filters, sorts, deep pages):")
        rows += self._user_paths(staff, account, sample, repeat)
        primary_only.stop()
        if replica_configured():
            self.stdout.write("The lag-tolerant reads on the replica:")
            rows += self._replica_paths(staff, account, repeat)

        loads = []
        for count in [int(n) for n in workers.split(",")]:
            self.stdout.write(f"Capture throughput over HTTP ({captures} captures, {count} workers):")
            load = self._throughput(account, captures, count)
            self.stdout.write(
                f"  {load['rps']:.0f} requests/s, clients' p95 {load['p95_ms']:.1f} ms, app's p95 "
                f"{load['server_p95_ms']:.1f} ms, {load['ok']}/{load['requests']} recorded"
            )
            loads.append(load)
        # Last: this heavy query would disturb the timings after it.
        items_p50, items_p95 = time_sql(
            FINANCE_ITEMS_SQL, [tz, account.pk, start(month_start), start(month_end)], 3
        )
        after_finance = next(i for i, t in enumerate(rows) if t.name == "finance page, this year") + 1
        rows.insert(
            after_finance,
            Timing("  the month from operation items, without the rollup (bare SQL)", items_p50, items_p95),
        )
        self.stdout.write(f"  month from operation items (bare SQL)  p50 {items_p50:7.1f} ms")
        reference.append(reference_loop_ms())
        figures = {
            "reference_loop_ms": reference,
            "orders": Order.objects.filter(account=account).count(),
            "rows": [asdict(t) for t in rows],
            "loads": loads,
        }
        if json:
            Path(json).write_text(jsonlib.dumps(figures, indent=1))
        before = jsonlib.loads(Path(baseline).read_text()) if baseline else None
        self._write(Path(output), orders, repeat, rows, loads, before, reference)
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}"))

    @staticmethod
    def _sample(account) -> Order:
        """The order the searches look for: the one half way down the list, which every size of
        data has (its customer, SKU and ids are searched whole and in part)."""
        orders = Order.objects.filter(account=account, order_id__regex=r"^B[0-9]{8}$")
        return orders.order_by("-created_at", "-pk")[orders.count() // 2]

    @staticmethod
    def _drill_down_page(account, query: str, number: int) -> str:
        """The query of the drill-down's page `number` (or its last full page, if it has fewer:
        a last page of one row would time next to nothing), as its Next links reach it (by key):
        the key of the row before it, read here once, untimed."""
        from finance.reports import finance_entries, row_cursor
        from finance.views import ROWS_PER_PAGE, FinanceFilter

        form = FinanceFilter(QueryDict(query))
        if not form.is_valid():
            raise CommandError(f"the drill-down's filters are refused: {form.errors}")
        scope, _ = form.scope(account)
        rows = finance_entries(scope)
        number = max(1, min(number, rows.count() // ROWS_PER_PAGE))
        if number == 1:
            return "page=1"
        before = ROWS_PER_PAGE * (number - 1)
        (last,) = rows[before - 1 : before]
        return urlencode({"after": row_cursor(last), "page": number})

    def _user_paths(self, staff: Client, account, sample: Order, repeat: int) -> list[Timing]:
        """The searches, filters, sorts, deep pages, finance drill-down, CSV, books check, work
        queues and API lists staff and integrators reach, each timed as a page; searched values
        are real ones of the seeded data, common and rare, whole and in part."""
        from orders.web.order_list import list_cursor

        base = f"/{account.aid}"
        orders = Order.objects.filter(account=account)
        total = orders.count()
        middle = orders.order_by("-created_at", "-pk")[total // 2]
        middle_by_gross = orders.order_by("currency", "gross_amount", "pk")[total // 2]
        middle_by_gross_desc = orders.order_by("currency", "-gross_amount", "-pk")[total // 2]
        middle_by_status = orders.order_by("payment_status", "pk")[total // 2]
        oldest = orders.order_by("created_at").values_list("created_at", flat=True)[0].date()
        last_name = sample.customer.get("last_name", "")
        first_name = sample.customer.get("first_name", "")
        sku = sample.lines.order_by("line_id")[0].item_id
        today = timezone.localdate()
        month_end = today.replace(day=1)
        month_start = (month_end - dt.timedelta(days=1)).replace(day=1)
        finance_month = f"period=custom&first={month_start}&last={month_end - dt.timedelta(days=1)}"
        deep_page = self._drill_down_page(account, finance_month, 300)
        paths = [
            ("search: full name", {"q": f"{first_name} {last_name}"}),
            ("search: part of a surname (common)", {"q": last_name[:5]}),
            ("search: part of an e-mail (rare)", {"q": sample.customer.get("email", "")[:14]}),
            ("search: order id prefix", {"q": sample.order_id[:6]}),
            ("search: part of a SKU", {"q": sku[:7]}),
            ("search: a product description", {"q": f"Product {sku}"}),
            ("search: nothing matches", {"q": "zzqxv"}),
            ("filter: a currency with no orders", {"currency": "GBP"}),
            ("filter: created in the oldest month", {"created_to": str(oldest + dt.timedelta(days=30))}),
            (
                "filter: cancelled, EUR, last year",
                {
                    "payment_status": "CANCELLED",
                    "currency": "EUR",
                    "created_from": str(today - dt.timedelta(days=365)),
                },
            ),
            ("queue: to capture", {"queue": "to_capture"}),
            ("sort: by total", {"sort": "gross"}),
            ("sort: by total, descending", {"sort": "-gross"}),
            ("sort: by payment status", {"sort": "payment_status"}),
            ("sort: by order id, descending", {"sort": "-order_id"}),
            ("deep page: newest first, half way", {"cursor": list_cursor(middle, "-created")}),
            (
                "deep page: by total, half way",
                {"sort": "gross", "cursor": list_cursor(middle_by_gross, "gross")},
            ),
            (
                "deep page: by total descending, half way",
                {"sort": "-gross", "cursor": list_cursor(middle_by_gross_desc, "-gross")},
            ),
            (
                "deep page: by payment status, half way",
                {"sort": "payment_status", "cursor": list_cursor(middle_by_status, "payment_status")},
            ),
        ]
        rows = []
        for name, params in paths:
            rows.append(self._page(staff, name, f"{base}/orders/?{urlencode(params)}", repeat))
        empty = self._empty_account()
        rows += [
            self._page(
                staff, "trivial page (webhooks, one query of its own)", f"/{empty.aid}/hooks/", repeat
            ),
            self._page(staff, "new order form", f"{base}/drafts/new/", repeat),
            self._page(staff, "work queues page", f"{base}/work/", repeat),
            self._page(
                staff, "finance drill-down, first page", f"{base}/finance/operations/?{finance_month}", repeat
            ),
            self._page(
                staff,
                "finance drill-down, page 300",
                f"{base}/finance/operations/?{finance_month}&{deep_page}",
                repeat,
            ),
            self._page(
                staff, "CSV of last month (whole download)", f"{base}/finance/export.csv?{finance_month}", 3
            ),
            self._page(staff, "books check", f"{base}/finance/books/", repeat),
        ]
        http, token = self._token(account)
        api = f"/v1/accounts/{account.aid}/shopping/orders"
        auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        api_paths: list[tuple[str, dict | None]] = [
            ("API list, first page", {"limit": 25}),
            (
                "API list, status and payment status",
                {"status": "open", "payment_status": "paid", "limit": 25},
            ),
            ("API list, created since a month", {"created_at.gte": f"{month_start}T00:00:00Z", "limit": 25}),
            ("API list, deep starting_after", {"limit": 25, "starting_after": str(middle.pk)}),
            ("API order read", None),
        ]
        for name, query in api_paths:
            url = f"{api}/{sample.order_id}" if query is None else f"{api}?{urlencode(query)}"
            rows.append(self._page(http, name, url, repeat, **auth))
        return rows + self._hooks_paths(staff, account, repeat) + self._admin_paths(staff, sample, repeat)

    def _admin_paths(self, staff: Client, sample: Order, repeat: int) -> list[Timing]:
        """The admin's lists of the account's rows (its user is one of its administrators): first
        pages, a deep one, and the orders searched by part of a surname."""
        lists = ["order", "orderline", "taxline", "paymentoperation", "operationitem", "event", "draftorder"]
        paths = [(f"admin: {name} list", f"/admin/orders/{name}/") for name in lists]
        paths += [
            ("admin: order list, page 100", "/admin/orders/order/?p=100"),
            (
                "admin: orders, part of a surname",
                f"/admin/orders/order/?{urlencode({'q': sample.customer.get('last_name', '')[:5]})}",
            ),
        ]
        return [self._page(staff, name, url, repeat) for name, url in paths]

    def _hooks_paths(self, staff: Client, account, repeat: int) -> list[Timing]:
        """The webhooks pages and the Hooks API's attempts of a subscription that was told of
        every seeded order (`seed_hooks`): first and deep pages."""
        subscription = bench_subscription(account)
        attempts = Attempt.objects.filter(subscription=subscription).order_by("-started_at", "-id")
        half_way = attempts.values_list("pk", flat=True)[attempts.count() // 2]
        http, token = self._token(account, scopes=["admin:hooks"])
        api = f"/v1/accounts/{account.aid}/hooks/subscriptions/{subscription.pk}/deliveries"
        auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        return [
            self._page(
                staff, "webhooks page (a subscription told of every order)", f"/{account.aid}/hooks/", repeat
            ),
            self._page(
                staff, "webhook subscription page", f"/{account.aid}/hooks/{subscription.pk}/", repeat
            ),
            self._page(http, "Hooks API deliveries, first page", f"{api}?limit=25", repeat, **auth),
            self._page(
                http,
                "Hooks API deliveries, deep starting_after",
                f"{api}?{urlencode({'limit': 25, 'starting_after': str(half_way)})}",
                repeat,
                **auth,
            ),
        ]

    def _empty_account(self) -> Account:
        """An account with nothing in it, of which the benchmark's user is a member too: its
        webhooks page is the trivial page (one query of its own, which finds nothing)."""
        empty, _ = Account.objects.get_or_create(aid=EMPTY_AID, defaults={"name": "Benchmark, empty"})
        self._staff(empty)
        return empty

    def _replica_paths(self, staff: Client, account, repeat: int) -> list[Timing]:
        """The finance pages, the drill-down, the CSV and the books check, which read from the
        replica (`backoffice.db_router.lag_tolerant`), timed there."""
        base = f"/{account.aid}"
        today = timezone.localdate()
        month_end = today.replace(day=1)
        month_start = (month_end - dt.timedelta(days=1)).replace(day=1)
        month = f"period=custom&first={month_start}&last={month_end - dt.timedelta(days=1)}"
        year = f"period=custom&group=month&first={today.replace(month=1, day=1)}&last={today}"
        paths = [
            ("finance page, last month", f"{base}/finance/?period=last_month&group=day", repeat),
            ("finance page, this year", f"{base}/finance/?{year}", repeat),
            (
                "finance drill-down, page 300",
                f"{base}/finance/operations/?{month}&{self._drill_down_page(account, month, 300)}",
                repeat,
            ),
            ("CSV of last month (whole download)", f"{base}/finance/export.csv?{month}", 3),
            ("books check", f"{base}/finance/books/", repeat),
        ]
        return [self._page(staff, f"{name}, on the replica", url, n) for name, url, n in paths]

    def _page(
        self,
        client: Client,
        name: str,
        url: str,
        repeat: int,
        sql: str | None = None,
        params: list | None = None,
        **kwargs,
    ) -> Timing:
        page = time_page(client, url, repeat, **kwargs)
        if page.status != 200:  # a redirect or a refusal is no timing of the page
            raise CommandError(f"{url} answered {page.status} (see README, Benchmarks, for the settings)")
        timing = Timing(
            name,
            page.p50_ms,
            page.p95_ms,
            page.queries,
            status=page.status,
            bytes=page.bytes,
            app_p50_ms=page.app_p50_ms,
            app_p95_ms=page.app_p95_ms,
        )
        if sql:
            timing.sql_p50_ms, timing.sql_p95_ms = time_sql(sql, params or [], repeat)
        self.stdout.write(
            f"  {name:<42} p50 {page.p50_ms:7.1f} ms  p95 {page.p95_ms:7.1f} ms  {page.queries:3d} queries"
            f"  (app p50 {page.app_p50_ms:.1f} ms)"
        )
        return timing

    def _staff(self, account) -> User:
        user, _ = User.objects.get_or_create(username="benchmark-admin")
        user.groups.set([Group.objects.get(name=roles.ADMINISTRATOR)])
        account.members.add(user)
        return user

    def _big_order(self, account) -> Order:
        order = Order.objects.filter(account=account, merchant_reference=BIG_ORDER_REF).first()
        if order:
            return order
        items = []
        for line_id in range(1, 101):
            gross = 1000 * line_id
            items.append(
                DraftItem(
                    id=f"BIG{line_id:03d}",
                    line_id=line_id,
                    gross_amount=gross,
                    tax_lines=[TaxLine(vat_contained(gross, 25), Decimal(25))],
                    description=f"Item {line_id} of a large order",
                )
            )
        draft = draft_create(
            account=account,
            actor=ACTOR,
            options=DraftOptions(generate_order_id="ALPHANUMERIC_9"),
            document=DraftDocument(currency="NOK", items=items, merchant_reference=BIG_ORDER_REF),
        )
        order = draft_complete(draft=draft, actor=ACTOR)
        for kind in (OperationKind.AUTHORIZATION, OperationKind.CAPTURE):
            operation_record(
                order=order,
                kind=kind,
                actor=ACTOR,
                items=[ItemAmount(line_id, 1000 * line_id) for line_id in range(1, 101)],
                payment_id="BIG-PAY",
            )
        self._behind_the_seeded(account)
        order.refresh_from_db()
        return order

    def _authorized_orders(self, account, count: int) -> list[str]:
        ids = []
        for _ in range(count):
            line = DraftItem(
                id="BENCH",
                line_id=1,
                gross_amount=100000,
                tax_lines=[TaxLine(20000, Decimal(25))],
                description="Benchmark",
            )
            draft = draft_create(
                account=account,
                actor=ACTOR,
                options=DraftOptions(generate_order_id="ALPHANUMERIC_9"),
                document=DraftDocument(currency="NOK", items=[line]),
            )
            order = draft_complete(draft=draft, actor=ACTOR)
            operation_record(
                order=order,
                kind=OperationKind.AUTHORIZATION,
                actor=ACTOR,
                items=[ItemAmount(1, 100000)],
                payment_id="AUTH",
            )
            ids.append(order.order_id)
        self._behind_the_seeded(account)
        return ids

    @staticmethod
    def _behind_the_seeded(account) -> None:
        """Date the benchmark's own orders (captured, a 100-line one) before the seeded ones: the
        list's newest orders stay the seeded ones, whose customers, lines and payments are like
        a shop's, and which the search reads to tell common words from rare ones."""
        orders = Order.objects.filter(account=account)
        seeded = r"^B[0-9]{8}$"
        oldest = (
            orders.filter(order_id__regex=seeded)
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if oldest:
            ours = orders.filter(created_at__gte=oldest).exclude(order_id__regex=seeded)
            ours.update(created_at=oldest - dt.timedelta(days=1))

    def _token(self, account, scopes: list[str] | None = None) -> tuple[Client, str]:
        client, secret = api_client_create(
            account=account, name="benchmark", scopes=scopes or ["admin:shopping"]
        )
        http = Client()
        audience = f"{settings.PUBLIC_URL}/v1/accounts/{account.aid}"
        response = http.post(
            f"/v1/accounts/{account.aid}/auth/token",
            {"grant_type": "client_credentials", "audience": audience},
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic "
            + __import__("base64").b64encode(f"{client.client_id}:{secret}".encode()).decode(),
        )
        return http, response.json()["access_token"]

    def _capture_api(self, account, repeat: int) -> Timing:
        """POST .../captures of 10.00 on fresh authorized orders, one request each."""

        ids = self._authorized_orders(account, repeat + 1)
        http, token = self._token(account)
        samples, queries = [], 0
        for index, oid in enumerate(ids):
            body = {"items": [{"line_id": 1, "amount": 1000}], "payment_details": {"payment_id": "AUTH"}}
            url = f"/v1/accounts/{account.aid}/shopping/orders/{oid}/captures"
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = http.post(
                    url,
                    body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                    HTTP_IDEMPOTENCY_KEY=f"capture-{oid}",
                )
                elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 201, response.content
            if index:
                samples.append(elapsed)
            queries = len(captured.captured_queries)
            reset_queries()
        p50, p95 = percentiles(samples)
        sql_p50, sql_p95 = time_sql(
            CAPTURE_SQL, [Order.objects.get(account=account, order_id=ids[0]).pk], repeat
        )
        self.stdout.write(f"  {'capture API':<38} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {queries:3d} queries")
        return Timing("capture API (POST …/captures)", p50, p95, queries, sql_p50, sql_p95, 201)

    def _throughput(self, account, captures: int, workers: int, clients: int = 8) -> dict:
        ids = self._authorized_orders(account, clients * workers + captures)  # warm-up, then timed
        _, token = self._token(account)
        connection.close()
        return capture_throughput(ids, account.aid, token, clients=clients, workers=workers)

    def _write(
        self,
        path: Path,
        orders: int,
        repeat: int,
        rows: list[Timing],
        loads: list[dict],
        before: dict | None,
        reference: list[float],
    ) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            pg = cursor.fetchone()[0]
            cursor.execute("SELECT pg_database_size(current_database())")
            size = cursor.fetchone()[0]
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        )
        mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.split("\n")[1].split()[1]
        counts = {name: model.objects.count() for name, model in self._models().items()}
        old = {row["name"]: row for row in before["rows"]} if before else {}
        growth_head = f" p50 ms at {before['orders']:,} orders | growth |" if before else ""
        prepared = "key lookups and API writes prepared"
        if not settings.DATABASE_PREPARED_STATEMENTS:
            prepared = "nothing prepared"
        lines = [
            "# Benchmarks",
            "",
            f"Measured {timezone.now():%Y-%m-%d %H:%M %Z} with "
            f"`python manage.py benchmark --orders {orders}` on {os.cpu_count()} cores ({cpu}), "
            f"{mem} memory, PostgreSQL {pg}, Python {platform.python_version()}, DEBUG off, the "
            f"deployment's connection settings (persistent, health-checked; {prepared}).",
            "",
            "The machine's speed: a reference loop (ten million additions in pure Python) took "
            f"{reference[0]:.0f} ms at the start of the run and {reference[-1]:.0f} ms at its end"
            + (
                f"; {before['reference_loop_ms'][0]:.0f} ms at the start of the baseline's."
                if before and before.get("reference_loop_ms")
                else "."
            )
            + " This shared virtual machine runs the same code faster or slower from hour to hour: "
            "runs compare by it.",
            "",
            "Data: "
            + ", ".join(f"{n:,} {name}" for name, n in counts.items())
            + f"; the database is {size / 2**30:.1f} GiB.",
            "",
            "## Targets, the furthest from met first",
            "",
            "| target | measured | times the target | met |",
            "|---|---|---:|:---:|",
            *(
                f"| {t.what} | {t.measured} | {t.distance:.2f} | {'yes' if t.met else '**no**'} |"
                for t in sorted(self._targets(rows, loads, old), key=lambda t: -t.distance)
            ),
            "",
            "## Every path",
            "",
            f"Server-side timings through Django's handler, {repeat} requests each after a warm-up; "
            "bare SQL is the one query that answers the same question on the same data."
            + (
                f" Growth is the p50 here over the p50 at {before['orders']:,} orders (for the CSV, "
                "whose size grows with the data, its speed there over its speed here)."
                if before
                else ""
            ),
            "",
            "| what | p50 ms | p95 ms | SQL queries | bare SQL p50 ms | ratio to bare SQL |" + growth_head,
            "|---|---:|---:|---:|---:|---:|" + ("---:|---:|" if before else ""),
        ]
        for t in rows:
            ratio = f"{t.ratio:.1f}x" if t.ratio else "—"
            sql = f"{t.sql_p50_ms:.2f}" if t.sql_p50_ms is not None else "—"
            queries = "—" if t.queries is None else t.queries
            line = f"| {t.name} | {t.p50_ms:.1f} | {t.p95_ms:.1f} | {queries} | {sql} | {ratio} |"
            if before:
                then = old.get(t.name)
                line += f" {then['p50_ms']:.1f} | {self._growth(t, then):.1f}x |" if then else " — | — |"
            lines.append(line)
        for t in rows:
            if t.mb_per_s:
                lines += [
                    "",
                    f"{t.name}: {(t.bytes or 0) / 1e6:.1f} MB in {t.p50_ms:.0f} ms, {t.mb_per_s:.0f} MB/s.",
                ]
        lines += ["", "## Capture under load", ""]
        for load in loads:
            lines.append(
                f"* gunicorn with {load['workers']} workers, {load['clients']} concurrent clients on "
                f"distinct orders, {load['requests']} captures, each with an Idempotency-Key: "
                f"**{load['rps']:.0f} requests/s**; the clients saw p50 {load['p50_ms']:.1f} ms, "
                f"p95 {load['p95_ms']:.1f} ms (waiting for a free worker included); the app's own "
                f"time (Server-Timing) p50 {load['server_p50_ms']:.1f} ms, p95 "
                f"{load['server_p95_ms']:.1f} ms; {load['ok']} recorded, after "
                f"{load['warm_up_ok']} untimed ones that warmed up the workers."
            )
        lines += [
            "",
            f"The app servers, PostgreSQL and the load generator share the machine's {os.cpu_count()} "
            "cores: clients that send again as soon as they are answered wait, on average, "
            "clients ÷ requests per second.",
            "",
        ]
        path.write_text("\n".join(lines))

    def _targets(self, rows: list[Timing], loads: list[dict], old: dict) -> list["Target"]:
        def worst(*starts: str) -> Timing:
            return max((t for t in rows if t.name.strip().startswith(starts)), key=lambda t: t.p95_ms)

        def at_most(what: str, timing: Timing, limit: float, p: str = "p95") -> Target:
            value = timing.p95_ms if p == "p95" else timing.p50_ms
            return Target(what, f"{p} {value:.1f} ms ({timing.name.strip()})", value, limit)

        def app_at_most(what: str, timing: Timing, limit: float) -> Target:
            """A p50 of the app's own time, as its Server-Timing gives it (or, in a report from
            before it was recorded, the time through the handler)."""
            value = timing.app_p50_ms if timing.app_p50_ms is not None else timing.p50_ms
            return Target(
                what,
                f"p50 {value:.1f} ms of app time, {timing.p50_ms:.1f} through the handler"
                f" ({timing.name.strip()})",
                value,
                limit,
            )

        lists = worst("order list", "search", "filter", "sort:", "deep page:", "queue:")
        trivial = worst("trivial page")
        csv = worst("CSV")
        two = next((load for load in loads if load["workers"] == 2), loads[0])
        targets = [
            at_most("order list, search, filter and sort at any depth: p95 ≤ 50 ms", lists, 50),
            at_most("webhooks pages: p95 ≤ 50 ms", worst("webhook"), 50),
            at_most("the admin's lists, deep pages and search: p95 ≤ 50 ms", worst("admin:"), 50),
            at_most(
                "API lists, with any filter and at any depth: p95 ≤ 50 ms",
                worst("API list", "Hooks API deliveries"),
                50,
            ),
            at_most("work queues and books check: p95 ≤ 50 ms", worst("work queues", "books check"), 50),
            at_most("order page, 100 lines: p50 ≤ 25 ms", worst("order page"), 25, "p50"),
            at_most("finance page, a month and a year: p95 ≤ 50 ms", worst("finance page"), 50),
            at_most("finance drill-down at any depth: p95 ≤ 50 ms", worst("finance drill-down"), 50),
            Target(
                "CSV of a month streams at ≥ 50 MB/s",
                f"{csv.mb_per_s or 0:.0f} MB/s ({(csv.bytes or 0) / 1e6:.1f} MB in {csv.p50_ms:.0f} ms)",
                csv.mb_per_s or 0,
                50,
                at_most=False,
            ),
            app_at_most("a trivial staff page: p50 ≤ 5 ms of app time (Server-Timing)", trivial, 5),
            Target(
                "a staff page's overhead: ≤ 2 queries (session and user)",
                f"{(trivial.queries or 0) - 1} queries besides the page's own one",
                (trivial.queries or 0) - 1,
                2,
            ),
            app_at_most(
                "API one-order read: p50 ≤ 5 ms of app time (Server-Timing)", worst("API order read"), 5
            ),
            at_most("capture API, one request at a time: p95 ≤ 40 ms", worst("capture API"), 40),
            Target(
                f"capture under load, {two['clients']} clients on {two['workers']} workers: ≥ 200 requests/s",
                f"{two['rps']:.0f} requests/s",
                two["rps"],
                200,
                at_most=False,
            ),
            Target(
                "capture under load: the app's own p95 ≤ 40 ms",
                f"p95 {two['server_p95_ms']:.1f} ms (the clients saw {two['p95_ms']:.1f} ms)",
                two["server_p95_ms"],
                40,
            ),
        ]
        # A streamed answer (the CSV of a month) grows with the data by design: its speed is what
        # must hold. The bare SQL over operation items is no path a user reaches.
        grown = [
            (self._growth(t, old[t.name]), t)
            for t in rows
            if t.name in old and old[t.name]["p50_ms"] and not t.name.startswith("  the month")
        ]
        if grown:
            factor, timing = max(grown, key=lambda pair: pair[0])
            targets.append(
                Target(
                    "no path grows more than 1.5x from the baseline's orders to these",
                    f"{factor:.1f}x ({timing.name.strip()}: {self._was(timing, old[timing.name])})",
                    factor,
                    1.5,
                )
            )
        return targets

    @staticmethod
    def _growth(now: Timing, then: dict) -> float:
        """How much slower a path got: its p50's growth, or, for a streamed answer, its speed's."""
        if now.bytes and then.get("bytes") and now.mb_per_s:
            return then["bytes"] / then["p50_ms"] / (now.bytes / now.p50_ms)
        return now.p50_ms / then["p50_ms"]

    @staticmethod
    def _was(now: Timing, then: dict) -> str:
        if now.bytes and then.get("bytes") and now.mb_per_s:
            return f"{then['bytes'] / 1000 / then['p50_ms']:.0f} → {now.mb_per_s:.0f} MB/s"
        return f"{then['p50_ms']:.1f} → {now.p50_ms:.1f} ms"

    def _models(self) -> dict:
        return {
            "orders": Order,
            "lines": OrderLine,
            "operations": PaymentOperation,
            "operation items": OperationItem,
            "events": Event,
            "drafts": DraftOrder,
        }
