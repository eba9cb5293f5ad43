"""/healthz (the process answers), /readyz (the store answers and, inside the daemon, the
scheduler loop ticks: else 503 with the reason), /metrics (Prometheus text format)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from monitor.errors import StoreError
from monitor.web.state import WebState


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok\n")


def store_problem(state: WebState) -> str | None:
    try:
        state.store.ping()
    except StoreError as exc:
        return f"store: {exc.message}"
    return None


async def readyz(request: Request) -> Response:
    state = _state(request)
    problems = []
    if why := await state.answers.run(store_problem, state):
        problems.append(why)
    if state.loop is not None and (why := state.loop.check()):
        problems.append(f"scheduler: {why}")
    checks = {"store": "ok", "scheduler": "ok" if state.loop is not None else "not in this process"}
    for p in problems:
        checks[p.split(":", 1)[0]] = p.split(": ", 1)[1]
    return JSONResponse(
        {"ready": not problems, "checks": checks, "problems": problems},
        status_code=503 if problems else 200,
    )


async def metrics(request: Request) -> Response:
    state = _state(request)
    try:
        body = await state.answers.run(state.metrics.render)
    except StoreError as exc:
        return PlainTextResponse(f"store: {exc.message}\n", status_code=503)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
