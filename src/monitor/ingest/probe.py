"""`feeds test`: fetch one URL and show what the pipeline would extract, without storing anything."""

from __future__ import annotations

from typing import Any

from monitor.config import Config
from monitor.errors import FetchError, ParseError
from monitor.extract.article import extract_article
from monitor.fetch.client import PAGE_ACCEPT, Fetcher, FetchSettings, fetch_settings
from monitor.ingest.assemble import body_text, feed_text_of, wants_page
from monitor.models import ParsedFeed
from monitor.parse.feeds import parse_feed
from monitor.parse.pages import discover


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
                feed_text = feed_text_of(entry)
                extracted = None
                if entry.url and wants_page("auto", entry, feed_text):
                    try:
                        page = await fetcher.fetch(entry.url, accept=PAGE_ACCEPT)
                        extracted = extract_article(page.body, page.url)
                    except FetchError as exc:
                        item["page_error"] = exc.message
                text_from = "page" if extracted and extracted.text else "feed"
                item.update(text=body_text(extracted, entry.title, feed_text), text_from=text_from)
                if extracted is not None:
                    item.update(
                        language=extracted.language,
                        canonical_url=extracted.canonical_url,
                        author=extracted.author,
                    )
                report["items"].append(item)
        except (FetchError, ParseError) as exc:
            report.update(error=exc.message, hint=exc.hint)
    return report
