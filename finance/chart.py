"""Geometry of the server-rendered SVG chart of captured vs refunded money over time.

One chart per currency (amounts of different currencies share no axis). Each bucket has a
captured and a refunded bar, each bar links to the operations behind it. The numbers here are
already aggregated per bucket; this only scales them to pixels."""

import datetime as dt
from collections.abc import Callable

from django.utils.translation import pgettext_lazy

from orders.money import format_money

WIDTH = 760
HEIGHT = 240
LEFT = 92  # room for the axis labels
RIGHT = 8
TOP = 12
BOTTOM = 34
SERIES = (("captured", "capture"), ("refunded", "refund"))
SERIES_LABELS = {
    "captured": pgettext_lazy("chart", "captured"),
    "refunded": pgettext_lazy("chart", "refunded"),
}


def _nice_step(span: int) -> int:
    """A round step giving about four grid lines over `span` minor units."""
    raw = max(span / 4, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if magnitude * factor >= raw:
            return int(magnitude * factor)
    return int(magnitude * 10)  # pragma: no cover


def chart_for(
    *,
    currency: str,
    starts: list[dt.date],
    rows: list[dict],
    label: Callable[[dt.date], str],
    link: Callable[[dt.date, str], str],
) -> dict:
    values = {row["bucket"]: row for row in rows}
    series = [
        {
            "day": day,
            "label": label(day),
            **{name: (values.get(day) or {}).get(name, 0) for name, _ in SERIES},
        }
        for day in starts
    ]
    all_values = [s[name] for s in series for name, _ in SERIES] or [0]
    high, low = max(max(all_values), 0), min(min(all_values), 0)
    step = _nice_step(high - low or 1)
    top = -(-high // step) * step if high else step
    bottom = (low // step) * step
    span = (top - bottom) or 1
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def y(value: int) -> float:
        return TOP + (top - value) * plot_h / span

    slot = plot_w / max(len(series), 1)
    bar_w = max(min(slot * 0.38, 28), 1.5)
    bars = []
    for i, s in enumerate(series):
        x0 = LEFT + i * slot + (slot - 2 * bar_w) / 2
        for j, (name, kind) in enumerate(SERIES):
            value = s[name]
            y_top, y_bottom = sorted((y(value), y(0)))
            bars.append(
                {
                    "x": round(x0 + j * bar_w, 2),
                    "y": round(y_top, 2),
                    "w": round(bar_w - 1, 2),
                    "h": round(max(y_bottom - y_top, 0), 2),
                    "series": name,
                    "title": f"{s['label']}: {SERIES_LABELS[name]} {format_money(value, currency)}",
                    "url": link(s["day"], kind),
                    "empty": value == 0,
                }
            )
    grid = [
        {"y": round(y(v), 2), "label": format_money(v, currency), "zero": v == 0}
        for v in range(bottom, top + 1, step)
    ]
    # As many labels along the axis as fit without touching (about 6 units a character at the
    # labels' 11px), and never more than a dozen.
    longest = max((len(str(s["label"])) for s in series), default=1)
    fit = max(1, min(12, int((WIDTH - LEFT - RIGHT) // (longest * 6 + 8))))
    every = max(1, -(-len(series) // fit))
    xlabels = [
        {"x": round(LEFT + i * slot + slot / 2, 2), "label": s["label"]}
        for i, s in enumerate(series)
        if i % every == 0
    ]
    return {
        "currency": currency,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "label_y": HEIGHT - BOTTOM + 18,
        "bars": bars,
        "grid": grid,
        "xlabels": xlabels,
        "captured": sum(s["captured"] for s in series),
        "refunded": sum(s["refunded"] for s in series),
    }
