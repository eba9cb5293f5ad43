"""Articles fed one by one through the story engine, each in its own transaction, as polls
store them: what the story tests replay."""

from __future__ import annotations

from datetime import datetime, timedelta

from monitor.models import Article
from monitor.store import Store
from monitor.store import articles as store_articles
from monitor.stories import StoryEngine


def feed(
    store: Store,
    engine: StoryEngine,
    items: list[tuple[str, str]],
    start: int,
    when: datetime,
    step: timedelta = timedelta(minutes=1),
) -> list[int]:
    """Store (title, text) *items* from outlets *start*, *start*+1, …, published *step* apart
    from *when*; the story id each was given."""
    out = []
    for i, (title, text) in enumerate(items, start):
        url = f"https://outlet{i}.example/news/{i}"
        art = Article(url, url, title, text, f"outlet{i}", published=when + step * i)
        with store.begin() as conn:
            stored = store_articles.store(conn, art, when + step * i)
            out.append(engine.process(conn, stored.article_id, art).story_id)
    return out
