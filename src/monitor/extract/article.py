"""Extract stage: article HTML → text and metadata (trafilatura, in a process pool); no I/O."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import trafilatura
from trafilatura.settings import Document

from monitor.clock import utcnow
from monitor.models import Extracted
from monitor.urls import declared_site_name

log = logging.getLogger(__name__)

# measured with bench/extract.py --options on ../shared/data/extraction (see the README there)
TRAFILATURA_OPTIONS: dict[str, Any] = {"include_comments": False, "favor_precision": True}
DATE_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S"}
FUTURE_SLACK = timedelta(days=2)
PUBLISHED_XPATH = (
    '//meta[@property="article:published_time"]/@content'
    ' | //meta[@itemprop="datePublished"]/@content'
    ' | //time[@itemprop="datePublished"]/@datetime'
)
# Recycle the workers now and then: lxml and trafilatura caches grow. Not with the executor's
# max_tasks_per_child: on Python 3.11–3.13 a pool with a backlog stops for good once a worker
# exits at its limit (CPython gh-115634; bench/soak.py hung after ~1,000 pages). The whole pool
# is retired instead after this many tasks per worker; its last tasks finish, a new pool starts.
TASKS_PER_WORKER = 500


def extract_article(html: bytes | str, url: str) -> Extracted | None:
    """The article in `html` fetched from `url`, or None when there is no article text in it."""
    try:
        tree = trafilatura.load_html(html)
        if tree is None:
            return None
        canonical = _canonical(tree, url)  # read before trafilatura prunes the tree
        language = _language(tree)
        published = _meta_published(tree)
        doc = trafilatura.bare_extraction(
            tree,
            url=url,
            with_metadata=True,
            date_extraction_params=DATE_PARAMS,
            **TRAFILATURA_OPTIONS,
        )
    except Exception as exc:  # a library bug on one odd page must not fail the batch
        log.warning("extract: %s: trafilatura failed: %s: %s", url, type(exc).__name__, exc)
        return None
    if not isinstance(doc, Document):
        return None
    text = (doc.text or "").strip()
    if not text:
        return None
    return Extracted(
        text=text,
        title=_clean(doc.title),
        author=_clean(doc.author),
        published=published or _date(doc.date),
        language=_clean(doc.language) or language,
        site_name=declared_site_name(_clean(doc.sitename), url),
        canonical_url=canonical,
    )


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text or None


def _canonical(tree: Any, url: str) -> str | None:
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for href in tree.xpath(xpath):
            href = str(href).strip()
            if href and not href.startswith(("javascript:", "data:", "#")):
                absolute = urljoin(url, href)
                if absolute.startswith(("http://", "https://")):
                    return absolute
    return None


def _language(tree: Any) -> str | None:
    candidates = tree.xpath("/html/@lang") + tree.xpath("/html/@*[name()='xml:lang']")
    candidates += tree.xpath('//meta[@http-equiv="content-language"]/@content')
    candidates += tree.xpath('//meta[@property="og:locale"]/@content')
    for value in candidates:
        code = str(value).strip().replace("_", "-").split("-")[0].lower()
        if 2 <= len(code) <= 3 and code.isalpha():
            return code
    return None


def _meta_published(tree: Any) -> datetime | None:
    """The page's own timestamp, with its time of day (trafilatura keeps the date only)."""
    for value in tree.xpath(PUBLISHED_XPATH):
        found = _date(str(value).strip())
        if found is not None and ("T" in str(value) or " " in str(value).strip()):
            return found
    return None


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    parsed = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return parsed if parsed <= utcnow() + FUTURE_SLACK else None


Task = Callable[[bytes | str, str], Extracted | None]


def _worker(html: bytes | str, url: str) -> Extracted | None:
    """The pool's task: a module-level function, so spawn/forkserver workers can import it."""
    return extract_article(html, url)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class ExtractPool:
    """Runs extract_article in worker processes, so CPU-bound extraction never blocks the loop."""

    def __init__(self, workers: int | None = None, *, task: Task | None = None) -> None:
        """`workers` defaults to the CPUs this process may use; `task` (a module-level
        function, for tests) replaces extract_article in the workers."""
        self.workers = max(1, workers or _cpu_count())
        self._task: Task = task or _worker
        self._executor: ProcessPoolExecutor | None = None
        self._submitted = 0  # tasks given to the current executor
        self.tasks_per_pool = self.workers * TASKS_PER_WORKER

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is not None and self._submitted >= self.tasks_per_pool:
            retired, self._executor = self._executor, None
            retired.shutdown(wait=False)  # its queued tasks still run; then its workers exit
        if self._executor is None:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context(
                "forkserver" if "forkserver" in methods else "spawn"
            )
            self._executor = ProcessPoolExecutor(self.workers, mp_context=context)
            self._submitted = 0
        self._submitted += 1
        return self._executor

    async def extract(self, html: bytes, url: str) -> Extracted | None:
        """The article of one page; None when there is none or when the worker died on it."""
        pool = self._pool()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(pool, self._task, html, url)
        except BrokenProcessPool:
            log.error(
                "extract: %s: a worker process died; the page is skipped, pool restarted", url
            )
            if self._executor is pool:
                self._executor = None
                pool.shutdown(wait=False, cancel_futures=True)
            return None

    def close(self) -> None:
        """Stop the workers (pending work is cancelled); the pool restarts if used again."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
