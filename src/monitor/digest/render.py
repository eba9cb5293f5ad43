"""Pure rendering of a Digest: plain text, HTML email (Jinja2 templates), Slack Block Kit."""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from monitor.clock import span
from monitor.digest.build import Digest, DigestSource, DigestStory, outlet
from monitor.digest.message import header_safe

BRAND = "news-monitor"
SLACK_MAX_BLOCKS = 50
SLACK_MAX_SECTION = 3000
SLACK_MAX_HEADER = 150
SLACK_MAX_CONTEXT = 2000
SLACK_MESSAGE_BUDGET = 11000  # characters of block text per message, below Slack's total cap


def subject(digest: Digest) -> str:
    return header_safe(f"[{BRAND}] {digest.name} — {digest.summary}")


def when(value: datetime, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M %Z")


def intro(digest: Digest, tz: str) -> str:
    since = f"since {when(digest.since, tz)}" if digest.since else "since the first run"
    return f"New coverage {since} · topics: {', '.join(digest.topics)}"


def totals(digest: Digest) -> str:
    return (
        f"{digest.total_stories} {'story' if digest.total_stories == 1 else 'stories'} in total, "
        f"{digest.new_sources} new {'source' if digest.new_sources == 1 else 'sources'}"
    )


def more_line(digest: Digest) -> str:
    if not digest.more:
        return ""
    return f"and {digest.more} more {'story' if digest.more == 1 else 'stories'}"


def muted_line(digest: Digest) -> str:
    """'2 muted stories had new sources' (left out by `stories mute` / `topics mute`), or ''."""
    if not digest.muted:
        return ""
    return f"{digest.muted} muted {'story' if digest.muted == 1 else 'stories'} had new sources"


def first_line(story: DigestStory, tz: str, now: datetime) -> str:
    """'first: Outlet A, 08:12 — 3 h before Outlet B' (the date too when not today), or ''."""
    if story.first is None or story.first.second is None:
        return ""
    first, second = story.first.first, story.first.second
    local = first.at.astimezone(ZoneInfo(tz))
    today = local.date() == now.astimezone(ZoneInfo(tz)).date()
    stamp = local.strftime("%H:%M" if today else "%d %b %H:%M")
    lead = second.at - first.at
    after = (
        f"with {outlet(second)}"
        if lead < timedelta(minutes=1)
        else (f"{span(lead)} before {outlet(second)}")
    )
    return f"first: {outlet(first)}, {stamp} — {after}"


def coverage(story: DigestStory) -> str:
    """How much coverage a story has: "3 sources", or "8 articles from 1 source" when one
    outlet wrote several of them (a live blog, an analysis and a video are one source)."""
    count = len(story.sources)
    outlets = len({s.outlet for s in story.sources})
    noun = "source" if outlets == 1 else "sources"
    if outlets == count:
        return f"{count} {noun}"
    return f"{count} articles from {outlets} {noun}"


def shown_sources(story: DigestStory) -> list[DigestSource]:
    """What a story lists: every source of a new story; the new coverage of an update."""
    return [s for s in story.sources if not story.is_update or s.has_news]


def text(digest: Digest, tz: str) -> str:
    """The plain-text rendering: reads well on its own (email text part, Apprise)."""
    lines = [f"{digest.name} — {digest.summary}", intro(digest, tz), ""]
    if digest.empty:
        lines += ["No new coverage.", ""]
    for n, story in enumerate(digest.stories, 1):
        lines.append(f"{n}. {story.headline}  [{story.marker}]")
        lines.append(f"   First coverage {when(story.first_seen, tz)} · {coverage(story)}")
        if lead := first_line(story, tz, digest.built_at):
            lines.append(f"   {lead}")
        if story.snippet:
            lines += textwrap.wrap(story.snippet, 76, initial_indent="   ", subsequent_indent="   ")
        for src in shown_sources(story):
            tag = "" if src.new else " (earlier)"
            lines.append(f"   - {src.outlet}{tag}: {src.url}")
            for copy in src.copies:
                lines.append(f"     also carried by {copy.outlet}: {copy.url}")
        earlier = story.earlier_sources if story.is_update else ()
        if earlier:
            lines.append("   Earlier: " + ", ".join(s.outlet for s in earlier))
        lines.append("")
    if digest.more:
        lines += [f"{more_line(digest)} ({totals(digest)})", ""]
    elif not digest.empty:
        lines += [totals(digest), ""]
    if digest.muted:
        lines += [muted_line(digest), ""]
    lines.append(f"-- \n{BRAND} · digest {digest.name} → {digest.channel}")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("monitor.digest", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    return env


def safe_url(url: str) -> str:
    """Only http(s) links are linked; anything else (javascript:, data:) becomes '#'."""
    return url if url.lower().startswith(("http://", "https://")) else "#"


def html(digest: Digest, tz: str) -> str:
    """The HTML email: table layout, inline CSS, no remote images or scripts, autoescaped."""
    template = _env().get_template("digest.html")
    return template.render(
        digest=digest,
        title=f"{digest.name} — {digest.summary}",
        intro=intro(digest, tz),
        totals=totals(digest),
        more=more_line(digest),
        muted=muted_line(digest),
        stories=[
            (
                s,
                shown_sources(s),
                when(s.first_seen, tz),
                coverage(s),
                first_line(s, tz, digest.built_at),
            )
            for s in digest.stories
        ],
        brand=BRAND,
    )


def mrkdwn(value: str) -> str:
    """Escape feed text for Slack: only &, < and > are control characters."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(url: str, label: str) -> str:
    if safe_url(url) == "#":
        return mrkdwn(label)
    target = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{target}|{mrkdwn(label).replace('|', '¦')}>"


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _story_blocks(story: DigestStory, tz: str, now: datetime) -> list[dict[str, Any]]:
    head = f"*{slack_link(story.url, story.headline)}*  `{story.marker}`"
    body = f"{head}\n{mrkdwn(story.snippet)}" if story.snippet else head
    links = []
    for src in shown_sources(story):
        item = slack_link(src.url, src.outlet)
        if src.copies:
            item += (
                " (also carried by "
                + ", ".join(slack_link(c.url, c.outlet) for c in src.copies)
                + ")"
            )
        links.append(item)
    context = f"First coverage {when(story.first_seen, tz)} · " + " · ".join(links)
    if lead := first_line(story, tz, now):
        context += f" · {mrkdwn(lead)}"
    earlier = story.earlier_sources if story.is_update else ()
    if earlier:
        context += " · earlier: " + ", ".join(mrkdwn(s.outlet) for s in earlier)
    return [
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(body, SLACK_MAX_SECTION)}},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _cut(context, SLACK_MAX_CONTEXT)}],
        },
        {"type": "divider"},
    ]


def _header(value: str) -> dict[str, Any]:
    plain = {"type": "plain_text", "text": _cut(value, SLACK_MAX_HEADER)}
    return {"type": "header", "text": plain}


def _size(blocks: list[dict[str, Any]]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False))


def slack(digest: Digest, tz: str) -> list[dict[str, Any]]:
    """Slack webhook payloads, in order: split so each stays within Slack's limits."""
    title = f"{digest.name} — {digest.summary}"
    lead: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn(intro(digest, tz))}]},
        {"type": "divider"},
    ]
    chunks = [_story_blocks(s, tz, digest.built_at) for s in digest.stories]
    tail_text = f"{more_line(digest)} ({totals(digest)})" if digest.more else totals(digest)
    if digest.empty:
        tail_text = "No new coverage."
    if digest.muted:
        tail_text += f" · {muted_line(digest)}"
    tail: list[dict[str, Any]] = [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn(tail_text)}]}
    ]
    messages: list[list[dict[str, Any]]] = [[_header(title), *lead]]
    for chunk in [*chunks, tail]:
        current = messages[-1]
        over_blocks = len(current) + len(chunk) > SLACK_MAX_BLOCKS
        over_size = _size(current) + _size(chunk) > SLACK_MESSAGE_BUDGET and len(current) > 1
        if over_blocks or over_size:
            current = [_header(f"{title} (continued)")]
            messages.append(current)
        current.extend(chunk)
    total = len(messages)
    payloads = []
    for n, blocks in enumerate(messages, 1):
        fallback = title if total == 1 else f"{title} ({n}/{total})"
        payloads.append({"text": mrkdwn(fallback), "blocks": blocks})
    return payloads
