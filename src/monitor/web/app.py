"""The ASGI app: routes, error answers, the static assets (all served by us, none from a CDN),
wrapped in the guard (auth, CSRF, security headers)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from monitor.errors import StoreError
from monitor.web import actions, api, feeds, health, pages
from monitor.web.answers import kept
from monitor.web.guard import Guard
from monitor.web.openapi import document
from monitor.web.render import page
from monitor.web.state import BadRequest, WebState

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(
    request: Request, status: int, message: str, headers: Mapping[str, str] | None = None
) -> Response:
    if _is_api(request):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    state: WebState = request.app.state.web
    body = page("error.html", status=status, message=message, csrf_token="", path="")
    return Response(state.scrub(body), status, headers, media_type="text/html")


async def _bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadRequest)
    return _error(request, 400, exc.message)


async def _store_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StoreError)
    log.warning("web: %s: store error: %s (hint: %s)", request.url.path, exc.message, exc.hint)
    return _error(request, 503, f"the store cannot answer: {exc.message}")


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return _error(request, exc.status_code, str(exc.detail), exc.headers)


async def openapi(request: Request) -> Response:
    return JSONResponse(document())


async def favicon(request: Request) -> Response:
    return PlainTextResponse("", status_code=204)


def build_app(state: WebState, guard: bool = True) -> Guard | Starlette:
    routes = [
        Route("/", kept(pages.stories_page)),
        Route("/stories/{story_id}", kept(pages.story_page)),
        Route("/stories/{story_id}/mute", actions.story_mute, methods=["POST"]),
        Route("/stories/{story_id}/unmute", actions.story_unmute, methods=["POST"]),
        Route("/topics", kept(pages.topics_page)),
        Route("/topics/{name}.atom", kept(feeds.topic_feed)),
        Route("/topics/{name}/mute", actions.topic_mute, methods=["POST"]),
        Route("/topics/{name}/unmute", actions.topic_unmute, methods=["POST"]),
        Route("/sources", kept(pages.sources_page)),
        Route("/digests", kept(pages.digests_page)),
        Route("/digests/{name}/preview.html", kept(pages.digest_preview_html)),
        Route("/digests/{name}/preview.txt", kept(pages.digest_preview_text)),
        Route("/healthz", health.healthz),
        Route("/readyz", health.readyz),
        Route("/metrics", health.metrics),
        Route("/favicon.ico", favicon),
        Route("/api/v1/openapi.json", openapi),
        Route("/api/v1/stories", kept(api.stories)),
        Route("/api/v1/stories/{story_id}", kept(api.story)),
        Route("/api/v1/articles", kept(api.articles)),
        Route("/api/v1/sources", kept(api.sources)),
        Route("/api/v1/topics", kept(api.topics)),
        Route("/api/v1/topics/{name}/matches", kept(api.topic_matches)),
        Route("/api/v1/query", kept(api.try_query)),
        Route("/api/v1/digests", kept(api.digests)),
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            BadRequest: _bad_request,
            StoreError: _store_error,
            HTTPException: _http_error,
        },
    )
    app.state.web = state
    if not guard:
        return app
    door = Guard(app, state.config.settings.web.auth)
    state.csrf_token = door.csrf_token()
    return door
