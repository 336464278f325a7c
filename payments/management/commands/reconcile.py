"""`python manage.py reconcile`: settle provider calls whose outcome is unknown and compare the
books with the provider, per payment id. Exits 1 when something needs a person."""

from datetime import timedelta
from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from orders.models import Order
from payments.services.reconcile import reconcile


class Command(BaseCommand):
    help = "Settle unknown provider calls and list where the books and the payment provider disagree."

    def add_arguments(self, parser):
        parser.add_argument("--account", help="only this account's orders (aid)")
        parser.add_argument("--order", help="only this order (order_id)")
        parser.add_argument(
            "--min-age",
            type=int,
            default=120,
            help="seconds a call must be old before it is settled (default 120: let slow answers land)",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        orders = None
        if options["account"] or options["order"]:
            orders = Order.objects.all()
            if options["account"]:
                orders = orders.filter(account__aid=options["account"])
            if options["order"]:
                orders = orders.filter(order_id=options["order"])

        def progress(items, label):
            items = list(items)
            if options["no_progress"]:
                return items
            # The stream OutputWrapper wraps (its stubs type what it forwards as callables).
            stream = cast(TextIO, self.stderr._out)
            return tqdm(items, desc=label, unit="item", file=stream, leave=False)

        report = reconcile(orders=orders, min_age=timedelta(seconds=options["min_age"]), progress=progress)
        for call in report.settled:
            self.stdout.write(
                f"settled {call.kind} {call.amount} on {call.order.order_id} ({call.id}): {call.state}"
            )
        self.stdout.write(
            f"{len(report.settled)} call(s) settled, {len(report.still_unknown)} still unknown, "
            f"{report.run.payments_checked} payment(s) compared, {len(report.findings)} mismatch(es)."
        )
        if report.findings:
            self.stdout.write(self._table(report.findings))
        if report.needs_person:
            raise CommandError("the books and the provider disagree: see the table above", returncode=1)
        self.stdout.write(self.style.SUCCESS("The books match the provider."))

    @staticmethod
    def _table(findings) -> str:
        header = ("order", "payment id", "what", "recorded", "at provider", "difference", "detail")
        rows = [header]
        for f in findings:
            diff = "" if f.recorded is None or f.at_provider is None else str(f.recorded - f.at_provider)
            rows.append(
                (
                    f.order.order_id,
                    f.payment_id,
                    f.kind.label,
                    "" if f.recorded is None else str(f.recorded),
                    "" if f.at_provider is None else str(f.at_provider),
                    diff,
                    f.detail[:60],
                )
            )
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)
