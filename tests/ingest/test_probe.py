"""`feeds test` runs the pipeline's own steps: its full_text choice, its titles and texts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from demosite import SITE, write_config
from httpserver import LocalServer, respond
from monitor.app import App
from monitor.config import Config, load_config
from monitor.ingest.probe import probe_url
from monitor.store.schema import articles

UNTITLED_ITEM = b"""<item>
      <link>/articles/legion-fighters-seize-village.html</link>
      <guid isPermaLink="false">demo-untitled</guid>
      <description>Moscow says it repelled an incursion&#8230;</description>
    </item>
  </channel>"""


def probe(config: Config | None, url: str, kind: str | None = None) -> dict[str, Any]:
    return asyncio.run(probe_url(url, config, kind=kind, limit=10))


def stored(config: Config) -> dict[str, tuple[str, str]]:
    """Poll every source as the daemon does; each stored article's (title, text) by its URL."""
    app = App.open(config)
    try:
        asyncio.run(app.poll(force=True))
        with app.store.connect() as conn:
            return {r.url: (r.title, r.text) for r in conn.execute(sa.select(articles))}
    finally:
        app.close()


def shown(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    assert report["ok"], report
    return {i["url"]: (i["title"], i["text"]) for i in report["items"]}


def test_a_configured_feed_with_full_text_never_fetches_no_page(
    tmp_path: Path, server: LocalServer
) -> None:
    url = server.url("/world.rss")
    feeds = f"- {{url: '{url}', name: World, full_text: never}}\n"
    report = probe(load_config(write_config(tmp_path, feeds), {}), url)
    assert [i["text_from"] for i in report["items"]] == ["feed"] * 3
    raid = report["items"][0]
    assert raid["text"].startswith("Fighters of the Freedom of Russia Legion said")
    assert server.paths() == ["/world.rss"]
    # the same URL, not configured: the default (auto) fetches the teasers' pages
    assert [i["text_from"] for i in probe(None, url)["items"]] == ["page", "page", "feed"]
    assert "/articles/legion-claims-belgorod-raid.html" in server.paths()


def test_a_section_link_without_a_title_gets_the_title_the_pipeline_stores(
    tmp_path: Path, server: LocalServer
) -> None:
    html = b"""<!DOCTYPE html><html><body><main>
      <a href="/articles/legion-fighters-seize-village.html"><img src="/photo.jpg"></a>
    </main></body></html>"""
    server.routes["/pictures/"] = respond(200, html, {"Content-Type": "text/html; charset=utf-8"})
    url = server.url("/pictures/")
    config = load_config(write_config(tmp_path, f"- {{url: '{url}', name: P, type: page}}\n"), {})
    (title, text), *_ = stored(config).values()
    assert title.startswith("Kremlin says border incursion near Kozinka repelled")
    report = probe(config, url)
    assert report["format"] == "html-links" and report["feed_url"] is None
    (item,) = report["items"]
    assert (item["title"], item["text"]) == (title, text) and item["text_from"] == "page"


def test_probe_and_pipeline_give_the_same_titles_and_texts(
    tmp_path: Path, server: LocalServer
) -> None:
    rss = (SITE / "world.rss").read_bytes().replace(b"</channel>", UNTITLED_ITEM)
    server.routes["/mixed.rss"] = respond(200, rss, {"Content-Type": "application/rss+xml"})
    url = server.url("/mixed.rss")
    config = load_config(write_config(tmp_path, f"- {{url: '{url}', name: Mixed}}\n"), {})
    from_pipeline = stored(config)
    assert len(from_pipeline) == 4
    assert shown(probe(config, url)) == from_pipeline
    with_type = probe(config, url, kind="feed")
    assert shown(with_type) == from_pipeline and "feed_url" not in with_type
