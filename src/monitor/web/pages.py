"""The HTML pages: stories (home), a story, topics (with "try a query"), sources, digests.

Each is read-only and built from the same store queries as the JSON API (`api.py`); every
feed string reaches the page through an autoescaping template (`render.py`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from monitor.clock import utcnow
from monitor.errors import QueryError
from monitor.web import views
from monitor.web.actions import STORY_CHOICES, TOPIC_CHOICES
from monitor.web.render import day_chart, first_reporter, page
from monitor.web.state import PAGE_SIZE, WINDOWS, BadRequest, WebState, number, window


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _html(request: Request, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    state = _state(request)
    body = page(
        template,
        csrf_token=state.csrf_token,
        path=request.url.path,
        actions=state.actions,
        **values,
    )
    return HTMLResponse(state.scrub(body), status_code=status_code)


def stories_page(request: Request) -> Response:
    state = _state(request)
    q = request.query_params
    topic = q.get("topic") or None
    if topic is not None and state.config.topic(topic) is None:
        raise BadRequest(f"no topic named {topic!r}")
    name, since = window(q.get("window"))
    n = number(q.get("page"), 1, low=1, high=100_000, what="page")
    cards, total, found = views.story_list(state, topic, since, PAGE_SIZE, (n - 1) * PAGE_SIZE)
    return _html(
        request,
        "stories.html",
        cards=cards,
        muted={m.story_id: m for m in found if m.story_id is not None},
        total=total,
        page=n,
        pages=max(1, -(-total // PAGE_SIZE)),
        topic=topic,
        window=name,
        windows=[*WINDOWS, "all"],
        topics=[t.name for t in state.config.topics],
        first_reporter=first_reporter,
    )


def story_page(request: Request) -> Response:
    state = _state(request)
    story_id = number(request.path_params["story_id"], 0, low=1, high=2**62, what="story id")
    n = number(request.query_params.get("page"), 1, low=1, high=100_000, what="page")
    size = views.TIMELINE_PAGE
    found = views.story(state, story_id, (n - 1) * size, size)
    if found is None:
        return _html(request, "error.html", status_code=404, message=f"no story #{story_id}")
    card, timeline, mute = found
    return _html(
        request,
        "story.html",
        card=card,
        mute=mute,
        choices=STORY_CHOICES,
        timeline=timeline,
        lead=first_reporter(card.view),
    )


def topics_page(request: Request) -> Response:
    state = _state(request)
    query = (request.query_params.get("q") or "").strip()
    today = utcnow().date()
    configured = state.config.topics
    summaries = views.topic_summaries(
        state, [t.name for t in configured], today - timedelta(days=29)
    )
    topics = []
    for t in configured:
        days, top = summaries[t.name]
        topics.append({"topic": t, "chart": day_chart(days, today), "top": top})
    results: list[dict[str, Any]] = []
    problem = None
    if query:
        try:
            results = views.try_query(state, query)
        except QueryError as exc:
            problem = exc.message + (f" ({exc.hint})" if exc.hint else "")
    muted = {m.target: m for m in views.mutes_now(state) if m.story_id is None}
    return _html(
        request,
        "topics.html",
        topics=topics,
        query=query,
        results=results,
        problem=problem,
        muted=muted,
        choices=TOPIC_CHOICES,
    )


def sources_page(request: Request) -> Response:
    return _html(request, "sources.html", sources=views.sources(_state(request)))


def digests_page(request: Request) -> Response:
    state = _state(request)
    return _html(
        request,
        "digests.html",
        digests=views.digests(state),
        previews=[
            {"name": d.name, "text": views.preview(state, d.name, "text")}
            for d in state.config.digests
        ],
    )


def digest_preview_html(request: Request) -> Response:
    """The next digest's email HTML part, as `digest preview --format html` renders it; shown
    in a sandboxed frame of the Digests page, with a policy of its own (inline styles only)."""
    state = _state(request)
    name = request.path_params["name"]
    if state.config.digest(name) is None:
        return PlainTextResponse(f"no digest named {name!r}\n", status_code=404)
    return HTMLResponse(
        state.scrub(views.preview(state, name, "html")),
        headers={
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "img-src 'self'; frame-ancestors 'self'; sandbox"
        },
    )


def digest_preview_text(request: Request) -> Response:
    state = _state(request)
    name = request.path_params["name"]
    if state.config.digest(name) is None:
        return PlainTextResponse(f"no digest named {name!r}\n", status_code=404)
    return PlainTextResponse(state.scrub(views.preview(state, name, "text")))
