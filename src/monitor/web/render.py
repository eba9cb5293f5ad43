"""HTML for the web app: the Jinja2 environment (autoescape always on), hits highlighted in
escaped text, the first reporter's lead, and the matches-per-day chart as inline SVG."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from monitor.store.story_queries import StoryArticle


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("monitor.web", "templates"),
        autoescape=True,  # every template, whatever its name: feed strings are never markup
        undefined=jinja2.StrictUndefined,
    )
    env.filters["highlight"] = highlight
    env.filters["when"] = when
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


def when(value: datetime | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.strftime("%Y-%m-%d %H:%M UTC") if value.utcoffset() == timedelta(0) else str(value)


def span(seconds: float) -> str:
    """3 h, 25 min, 2 d: how long, for people."""
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} d"
    if seconds >= 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{max(1, round(seconds / 60))} min"


def first_reporter(articles: Sequence[StoryArticle]) -> str | None:
    """ "first: Outlet A, 3 h before Outlet B" over the originals with a published time."""
    firsts: dict[str, datetime] = {}
    for a in articles:
        if a.duplicate_of is None and a.published is not None:
            known = firsts.get(a.source)
            firsts[a.source] = a.published if known is None else min(known, a.published)
    ranked = sorted(firsts.items(), key=lambda kv: kv[1])
    if not ranked:
        return None
    if len(ranked) == 1:
        return f"first: {ranked[0][0]}"
    (first, at), (second, bt) = ranked[0], ranked[1]
    lead = (bt - at).total_seconds()
    if lead < 60:
        return f"first: {first}, with {second}"
    return f"first: {first}, {span(lead)} before {second}"


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
