"""The pages' only actions: mute and unmute a story or a topic (as `stories mute ID [--for 7d]`
and `topics mute NAME --for 1d` do), each a POST carrying the CSRF token (checked by the
guard), answered 303 back to the page that shows the mute (POST-redirect-GET).

Off unless settings.web.actions is true: then a POST gets 403 and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.clock import utcnow
from monitor.config.values import parse_duration
from monitor.store import mutes
from monitor.web.state import BadRequest, WebState, number

STORY_CHOICES = ("", "1d", "7d", "30d")  # "": until unmuted
TOPIC_CHOICES = ("12h", "1d", "7d")  # a topic is muted for a while, never for good (as the CLI)
OFF = "actions are off: set settings.web.actions: true to mute from the web app"


def _state(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body()).decode(errors="replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _until(value: str, now: datetime, required: bool) -> datetime | None:
    value = value.strip()
    if not value and not required:
        return None
    try:
        return now + timedelta(seconds=parse_duration(value))
    except (ValueError, OverflowError):
        raise BadRequest(f"for: {value[:40]!r} is not a duration such as 1d or 12h") from None


def _refused(state: WebState) -> Response | None:
    if not state.actions:
        return Response(OFF + "\n", status_code=403, media_type="text/plain")
    return None


async def _write(state: WebState, kind: str, target: str, until: datetime | None, on: bool) -> None:
    def work() -> None:
        now = utcnow()
        with state.store.begin() as conn:
            if on:
                mutes.mute(conn, kind, target, now, until)
            else:
                mutes.unmute(conn, kind, target, now)

    await state.answers.run(work)
    state.changed()


async def story_mute(request: Request) -> Response:
    return await _story(request, on=True)


async def story_unmute(request: Request) -> Response:
    return await _story(request, on=False)


async def _story(request: Request, on: bool) -> Response:
    state = _state(request)
    if refused := _refused(state):
        return refused
    story_id = number(request.path_params["story_id"], 0, low=1, high=2**62, what="story id")
    form = await _form(request)
    until = _until(form.get("for", ""), utcnow(), required=False) if on else None

    def exists() -> bool:
        with state.store.connect() as conn:
            return mutes.story_title(conn, story_id) is not None

    if not await state.answers.run(exists):
        raise HTTPException(404, f"no story #{story_id}")
    await _write(state, mutes.STORY, str(story_id), until, on)
    return RedirectResponse(f"/stories/{story_id}", status_code=303)


async def topic_mute(request: Request) -> Response:
    return await _topic(request, on=True)


async def topic_unmute(request: Request) -> Response:
    return await _topic(request, on=False)


async def _topic(request: Request, on: bool) -> Response:
    state = _state(request)
    if refused := _refused(state):
        return refused
    name = request.path_params["name"]
    if state.config.topic(name) is None:
        raise BadRequest(f"no topic named {name[:80]!r}")
    form = await _form(request)
    until = _until(form.get("for", ""), utcnow(), required=True) if on else None
    await _write(state, mutes.TOPIC, name, until, on)
    return RedirectResponse(f"/topics#topic-{quote(name)}", status_code=303)
