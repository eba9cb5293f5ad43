"""HTML for the web app: the Jinja2 environment (autoescape always on), hits highlighted in
escaped text, the first reporter's lead, and the matches-per-day chart as inline SVG."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from monitor.clock import span
from monitor.store.story_queries import StoryView


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("monitor.web", "templates"),
        autoescape=True,  # every template, whatever its name: feed strings are never markup
        undefined=jinja2.StrictUndefined,
        auto_reload=False,  # the templates are part of the package: no stat of each on each render
    )
    env.filters["highlight"] = highlight
    env.filters["when"] = when
    env.filters["href"] = href
    return env


def page(name: str, **values: Any) -> str:
    return environment().get_template(name).render(**values)


def highlight(text: str | None, terms: Iterable[str]) -> Markup:
    """*text* escaped, with each occurrence of a term (case-insensitive) in <mark>."""
    safe = str(escape(text or ""))
    words = sorted({str(escape(t)) for t in terms if t and t.strip()}, key=len, reverse=True)
    if not words:
        return Markup(safe)
    pattern = re.compile(
        r"(?<![\w&#])(" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE
    )
    return Markup(pattern.sub(lambda m: f"<mark>{m.group(1)}</mark>", safe))


def href(url: str | None) -> str:
    """A link target taken from a feed: http(s) only (no javascript: or data: URL), else "#"."""
    text = (url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else "#"


def when(value: datetime | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC") if value.utcoffset() == timedelta(0) else str(value)


def first_reporter(view: StoryView) -> str | None:
    """ "first: Outlet A, 3 h before Outlet B" (store/first_reports.py decides who was first)."""
    report = view.first
    if report is None:
        return None
    if report.second is None or report.lead is None:
        return f"first: {report.first.source}"
    if report.lead < timedelta(minutes=1):
        return f"first: {report.first.source}, with {report.second.source}"
    return f"first: {report.first.source}, {span(report.lead)} before {report.second.source}"


def day_chart(days: dict[date, int], today: date, span_days: int = 30) -> Markup:
    """Bars of matches per day for the last *span_days* days, drawn as inline SVG."""
    width, height, gap = 10, 60, 2
    series = [(today - timedelta(days=span_days - 1 - i)) for i in range(span_days)]
    top = max([days.get(d, 0) for d in series] + [1])
    bars = []
    for i, d in enumerate(series):
        n = days.get(d, 0)
        h = round(height * n / top) if n else 0
        bars.append(
            f'<rect x="{i * (width + gap)}" y="{height - h}" width="{width}" height="{max(h, 1)}"'
            f' class="{"bar" if n else "zero"}"><title>{d.isoformat()}: {n}</title></rect>'
        )
    total = sum(days.get(d, 0) for d in series)
    label = f"{total} matches in {span_days} days, at most {top} a day"
    svg = (
        f'<svg class="chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {span_days * (width + gap)} {height}" width="{span_days * (width + gap)}"'
        f' height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(bars)}</svg>'
    )
    return Markup(svg)
