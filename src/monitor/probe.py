"""`feeds test`: fetch one URL and show what the pipeline would extract, without storing anything."""

from __future__ import annotations

from typing import Any

from monitor.app import fetch_settings
from monitor.config import Config
from monitor.errors import FetchError, ParseError
from monitor.extract import extract_article, feed_content_is_full, html_to_text
from monitor.fetch import Fetcher, FetchSettings
from monitor.models import ParsedFeed
from monitor.pages import discover
from monitor.parse import parse_feed
from monitor.pipeline import PAGE_ACCEPT


async def probe_url(
    url: str, config: Config | None, *, kind: str | None, limit: int
) -> dict[str, Any]:
    settings = fetch_settings(config) if config else FetchSettings()
    report: dict[str, Any] = {"url": url, "ok": False, "items": []}
    async with Fetcher(settings) as fetcher:
        try:
            result = await fetcher.fetch(url)
            parsed: ParsedFeed | None = None
            if kind != "page":
                try:
                    parsed = parse_feed(result.body, result.url, result.headers)
                except ParseError:
                    if kind == "feed":
                        raise
            if parsed is None:
                links = discover(result.body, result.url, result.headers)
                report["feed_url"] = links.feed_url
                if links.feed_url:
                    feed = await fetcher.fetch(links.feed_url)
                    parsed = parse_feed(feed.body, feed.url, feed.headers)
                else:
                    parsed = ParsedFeed(entries=list(links.entries), format="html-links")
            report.update(
                ok=True,
                format=parsed.format,
                entries=len(parsed.entries),
                malformed=parsed.malformed,
            )
            for entry in parsed.entries[:limit]:
                item: dict[str, Any] = {
                    "title": entry.title,
                    "url": entry.url,
                    "published": entry.published.isoformat() if entry.published else None,
                    "language": None,
                }
                if feed_content_is_full(entry):
                    item.update(text=html_to_text(entry.content or entry.summary), text_from="feed")
                elif entry.url:
                    try:
                        page = await fetcher.fetch(entry.url, accept=PAGE_ACCEPT)
                        extracted = extract_article(page.body, page.url)
                    except FetchError as exc:
                        extracted = None
                        item["page_error"] = exc.message
                    if extracted is not None:
                        item.update(
                            text=extracted.text,
                            text_from="page",
                            language=extracted.language,
                            canonical_url=extracted.canonical_url,
                            author=extracted.author,
                        )
                    else:
                        item.update(
                            text=html_to_text(entry.summary or ""), text_from="feed summary"
                        )
                else:
                    item.update(text="", text_from="none")
                report["items"].append(item)
        except (FetchError, ParseError) as exc:
            report.update(error=exc.message, hint=exc.hint)
    return report
