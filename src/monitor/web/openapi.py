"""The OpenAPI 3.1 document of /api/v1/, served at /api/v1/openapi.json and committed as
docs/openapi.json (tests/web/test_web_api.py holds the two equal)."""

from __future__ import annotations

from typing import Any

from monitor import __version__

_S: dict[str, Any] = {"type": "string"}
_NS: dict[str, Any] = {"type": ["string", "null"]}
_TIME: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}
_INT: dict[str, Any] = {"type": "integer"}
_NINT: dict[str, Any] = {"type": ["integer", "null"]}
_STRS: dict[str, Any] = {"type": "array", "items": _S}


def _obj(required: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "required": sorted(required), "properties": {**required, **more}}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


SCHEMAS: dict[str, Any] = {
    "StoryArticle": _obj(
        {"id": _INT, "url": _S, "source": _S, "title": _S, "published": _TIME,
         "duplicate_of": _NINT},
        snippet=_S,
    ),
    "Story": _obj(
        {"id": _INT, "title": _S, "first_seen": _TIME, "last_seen": _TIME, "topics": _STRS,
         "articles": _list("StoryArticle"), "sources": _INT, "snippet": _S, "hits": _STRS,
         "shown_in_digest": {"type": "boolean"}, "digests": _STRS},
    ),
    "StoryDetail": {
        "allOf": [
            _ref("Story"),
            _obj(
                {"article_count": _INT,
                 "timeline": _obj({"total": _INT, "limit": _INT, "offset": _INT})},
            ),
        ],
        "description": "articles: one page of the timeline, each original followed by its "
        "syndicated copies; limit and offset count timeline entries (originals)",
    },
    "StoryPage": _obj(
        {"total": _INT, "limit": _INT, "offset": _INT, "stories": _list("Story")}
    ),
    "Article": _obj(
        {"id": _INT, "url": _S, "canonical_url": _S, "source": _S, "title": _S, "text": _NS,
         "published": _TIME, "fetched": _TIME, "stored_at": _TIME, "language": _NS,
         "topics": _STRS, "story_id": _NINT, "duplicate_of": _NINT},
    ),
    "ArticlePage": _obj({"articles": _list("Article"), "next_after": _NINT}),
    "Source": _obj(
        {"name": _S, "url": _S, "last_success": _TIME, "last_error": _NS,
         "error_count": _INT, "next_poll": _TIME, "articles": _INT},
        health=_NS, disabled={"type": "boolean"}, last_error_hint=_NS,
    ),
    "Sources": _obj({"sources": _list("Source")}),
    "Topic": _obj(
        {"name": _S, "query": _S, "feeds": _STRS, "languages": _STRS,
         "matches_per_day": {"type": "object", "additionalProperties": _INT}},
    ),
    "Topics": _obj({"topics": _list("Topic")}),
    "Match": _obj(
        {"article_id": _INT, "url": _S, "title": _S, "score": {"type": "number"},
         "hits": _STRS, "snippet": _S},
        source=_S, story_id=_NINT, published=_TIME, matched_at=_TIME,
    ),
    "Matches": _list("Match"),
    "TopicMatches": _obj({"topic": _S, "matches": _list("Match")}),
    "Digest": _obj(
        {"name": _S, "channel": _S, "last_delivery": _TIME, "pending": _INT,
         "channel_type": _NS, "outbox": {"type": "array", "items": {"type": "object"}}},
        last_error=_NS,
    ),
    "Digests": _obj({"digests": _list("Digest")}),
    "Error": _obj({"error": _S}),
}  # fmt: skip


def _param(name: str, where: str = "query", schema: Any = None, text: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema or _S,
        "description": text,
    }


_LIMIT = _param("limit", schema={"type": "integer", "minimum": 1, "maximum": 200})
_OFFSET = _param("offset", schema={"type": "integer", "minimum": 0, "maximum": 10_000_000})
_SINCE = _param(
    "since",
    schema={
        "anyOf": [
            {"type": "string", "format": "date-time"},
            {"type": "string", "pattern": "^[1-9][0-9]{0,3}[smhdw]$"},
        ]
    },
    text="ISO 8601 time, or a duration back from now (7d)",
)
_WINDOW = _param(
    "window", schema={"enum": ["6h", "1d", "2d", "7d", "30d", "all"]}, text="default all"
)


def _get(summary: str, schema: str, params: list[dict[str, Any]], missing: bool = False) -> Any:
    responses: dict[str, Any] = {
        "200": {"description": summary, "content": {"application/json": {"schema": _ref(schema)}}},
        "400": {
            "description": "a parameter the app cannot use",
            "content": {"application/json": {"schema": _ref("Error")}},
        },
    }
    if missing:
        responses["404"] = {
            "description": "not found",
            "content": {"application/json": {"schema": _ref("Error")}},
        }
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def document() -> dict[str, Any]:
    story_id = _param("story_id", "path", {"type": "integer", "minimum": 1, "maximum": 2**62})
    name = _param("name", "path")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "news-monitor",
            "version": __version__,
            "description": "Shapes extend the CLI's --json (SPEC.md): fields are only added.",
        },
        "paths": {
            "/api/v1/stories": _get(
                "stories, newest activity first", "StoryPage",
                [_param("topic", text="a configured topic (404 otherwise)"), _WINDOW, _SINCE,
                 _LIMIT, _OFFSET],
                True,
            ),
            "/api/v1/stories/{story_id}": _get(
                "one story, its timeline paged", "StoryDetail", [story_id, _LIMIT, _OFFSET], True
            ),
            "/api/v1/articles": _get(
                "articles stored since, oldest first", "ArticlePage",
                [_SINCE, _param("after", schema={"type": "integer", "minimum": 0, "maximum": 2**62}),
                 _LIMIT],
            ),
            "/api/v1/sources": _get("source health (status --json)", "Sources", []),
            "/api/v1/topics": _get("topics with matches per day", "Topics", []),
            "/api/v1/topics/{name}/matches": _get(
                "a topic's matches", "TopicMatches", [name, _SINCE, _LIMIT, _OFFSET], True
            ),
            "/api/v1/query": _get(
                "topics test --query Q --json over the last week", "Matches",
                [{**_param("q", schema={"type": "string", "minLength": 1},
                  text="a query (docs/queries.md); 400 when it does not parse"),
                  "required": True}],
            ),
            "/api/v1/digests": _get("delivery per digest × channel", "Digests", []),
        },
        "components": {"schemas": SCHEMAS},
    }  # fmt: skip
