"""`topics test`: a topic or a query tried over the stored articles (the CLI and the web's
"try a query" box), as `topics test --json` shows it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from monitor.topics.match import Matcher, TopicSpec
from monitor.topics.stage import match_stored


def try_topic(
    conn: sa.Connection, spec: TopicSpec, since: datetime | None, limit: int
) -> list[dict[str, Any]]:
    """The best *limit* stored matches of *spec*; QueryError when its query does not parse."""
    matcher = Matcher([spec])
    results: list[dict[str, Any]] = []
    for row, matches in match_stored(conn, matcher, since, newest_first=True):
        for m in matches:
            results.append(
                {
                    "article_id": row.id,
                    "url": row.article.url,
                    "title": row.article.title,
                    "score": round(m.score, 3),
                    "hits": sorted({h.term for h in m.hits}),
                    "snippet": m.snippet,
                }
            )
    results.sort(key=lambda r: -r["score"])
    return results[:limit]
