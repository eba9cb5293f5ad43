"""`news-monitor import`: JSON lines → articles, through the same store/dedup/story/topic stages."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.clock import utcnow
from monitor.ingest.stages import ArticleStage, ingest
from monitor.models import Article
from monitor.store import Store
from monitor.urls import canonical_url

BATCH = 200  # lines per transaction


@dataclass
class ImportReport:
    new: int = 0
    known: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "known": self.known,
            "rejected": [{"line": n, "error": e} for n, e in self.rejected],
        }


def parse_line(raw: str) -> Article:
    """One JSON line `{"url", "title", "text", "published", "source"}` → Article (ValueError)."""
    try:
        obj = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise ValueError("each line must be a JSON object")
    url = obj.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError('"url" must be an http(s) URL')
    text = obj.get("text") or ""
    title = obj.get("title") or ""
    if not isinstance(text, str) or not isinstance(title, str):
        raise ValueError('"title" and "text" must be strings')
    if not text.strip() and not title.strip():
        raise ValueError('a line needs "title" or "text"')
    return Article(
        url=url,
        canonical_url=canonical_url(url),
        title=title.strip(),
        text=text.strip(),
        source=str(obj.get("source") or "import"),
        published=_when(obj.get("published")),
        language=obj.get("language") if isinstance(obj.get("language"), str) else None,
        author=obj.get("author") if isinstance(obj.get("author"), str) else None,
    )


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise ValueError('"published" must be an ISO 8601 string')
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f'"published" is not an ISO 8601 time: {value!r}') from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def import_jsonl(
    store: Store, stages: Sequence[ArticleStage], lines: Iterable[str]
) -> ImportReport:
    """Ingest every valid line in file order; bad lines are reported, never half-stored."""
    report = ImportReport()
    batch: list[Article] = []

    def flush() -> None:
        if not batch:
            return
        with store.begin() as conn:
            for stored in ingest(conn, batch, stages, utcnow()):
                if stored.new:
                    report.new += 1
                else:
                    report.known += 1
        batch.clear()

    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            batch.append(parse_line(raw))
        except ValueError as exc:
            report.rejected.append((number, str(exc)))
            continue
        if len(batch) >= BATCH:
            flush()
    flush()
    return report
