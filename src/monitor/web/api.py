"""The JSON API under /api/v1/: each shape extends the CLI's `--json` (SPEC.md, Machine-readable
output) with fields added, never renamed; docs/openapi.json describes it (`openapi.py`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from monitor.errors import QueryError
from monitor.store import web_stories
from monitor.web import views
from monitor.web.state import BadRequest, WebState, instant, number, window

MAX_LIMIT = 200


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def reply(request: Request, value: Any, status_code: int = 200) -> Response:
    body = json.dumps(value, ensure_ascii=False, default=str)
    return Response(
        _state(request).scrub(body), status_code=status_code, media_type="application/json"
    )


def _paging(request: Request, default: int = 25) -> tuple[int, int]:
    q = request.query_params
    limit = number(q.get("limit"), default, low=1, high=MAX_LIMIT, what="limit")
    offset = number(q.get("offset"), 0, low=0, high=10**7, what="offset")
    return limit, offset


def stories(request: Request) -> Response:
    """`stories --json`'s list, paged, each story with sources, snippet, hits, digests."""
    state = _state(request)
    q = request.query_params
    topic = q.get("topic") or None
    if topic is not None and state.config.topic(topic) is None:
        return reply(request, {"error": f"no topic named {topic!r}"}, 404)
    _, since = window(q.get("window"))
    if "since" in q:
        since = instant(q["since"], "since")
    limit, offset = _paging(request)
    cards, total = views.story_cards(state, topic, since, limit, offset)
    return reply(
        request,
        {"total": total, "limit": limit, "offset": offset, "stories": [c.as_dict() for c in cards]},
    )


def story(request: Request) -> Response:
    state = _state(request)
    story_id = number(request.path_params["story_id"], 0, low=1, high=2**62, what="story id")
    limit, offset = _paging(request)
    found = views.story(state, story_id, offset, limit)
    if found is None:
        return reply(request, {"error": f"no story #{story_id}"}, 404)
    card, timeline, _ = found
    answer = card.as_dict()
    members = {a["id"]: a for a in answer["articles"]}
    answer["articles"] = [
        {**members[i], "snippet": card.snippets.get(i, "")} for i in timeline.ids()
    ]
    answer["article_count"] = len(members)
    answer["timeline"] = {"total": timeline.total, "limit": limit, "offset": offset}
    return reply(request, answer)


def articles(request: Request) -> Response:
    """Articles stored since `since`, oldest first; page on with `after` = `next_after`."""
    state = _state(request)
    q = request.query_params
    since = instant(q.get("since"), "since")
    after = number(q.get("after"), 0, low=0, high=2**62, what="after")
    limit, _ = _paging(request)
    with state.store.connect() as conn:
        rows = web_stories.article_page(conn, since=since, after=after, limit=limit)
    following = rows[-1]["id"] if len(rows) == limit else None
    return reply(request, {"articles": rows, "next_after": following})


def sources(request: Request) -> Response:
    return reply(request, {"sources": views.sources(_state(request))})


def topics(request: Request) -> Response:
    state = _state(request)
    from datetime import timedelta

    from monitor.clock import utcnow

    since_day = utcnow().date() - timedelta(days=29)
    found = []
    summaries = views.topic_summaries(state, [t.name for t in state.config.topics], since_day, 0)
    for t in state.config.topics:
        days, _ = summaries[t.name]
        found.append(
            {
                "name": t.name,
                "query": t.query,
                "feeds": list(t.feeds),
                "languages": list(t.languages),
                "matches_per_day": {d.isoformat(): n for d, n in sorted(days.items())},
            }
        )
    return reply(request, {"topics": found})


def topic_matches(request: Request) -> Response:
    """A topic's stored matches, newest first: `topics test NAME --json`'s items and more."""
    state = _state(request)
    name = request.path_params["name"]
    if state.config.topic(name) is None:
        return reply(request, {"error": f"no topic named {name!r}"}, 404)
    since = instant(request.query_params.get("since"), "since")
    limit, offset = _paging(request)
    from monitor.store import web_stats

    with state.store.connect() as conn:
        rows = web_stats.topic_matches_page(conn, name, since=since, limit=limit, offset=offset)
    return reply(request, {"topic": name, "matches": rows})


def try_query(request: Request) -> Response:
    """`topics test --query Q --json` over the last week."""
    query = (request.query_params.get("q") or "").strip()
    if not query:
        raise BadRequest("give the query as ?q=…")
    try:
        return reply(request, views.try_query(_state(request), query))
    except QueryError as exc:
        raise BadRequest(f"query: {exc.message}") from None


def digests(request: Request) -> Response:
    """`status --json`'s digests, with each channel's type and open outbox messages."""
    return reply(request, {"digests": views.digests(_state(request))})
