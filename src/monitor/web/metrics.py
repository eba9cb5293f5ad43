"""/metrics: Prometheus text format (prometheus_client), every name `news_monitor_…` in base
units, counters ending in `_total`, labels of bounded sets only (result, channel type, topic
names from the config), never a URL. docs/metrics.md lists each metric.

Poll results and durations are counted in the process that polls (the daemon hands each
`PollOutcome` to `observe_poll`); the totals of the store are read at each scrape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from monitor.store import task_queue, web_stats

if TYPE_CHECKING:
    from monitor.config import Config
    from monitor.ingest.health import PollOutcome
    from monitor.store.db import Store

disable_created_metrics()  # type: ignore[no-untyped-call]  # no `_created` series beside each counter: half the scrape
DURATION_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
RESULTS = ("ok", "not_modified", "degraded", "failed")


def poll_result(outcome: PollOutcome) -> str:
    if not outcome.ok:
        return "failed"
    if outcome.degraded:
        return "degraded"
    return "not_modified" if outcome.not_modified else "ok"


class Metrics:
    """The registry of one process: its poll counters and the store's totals."""

    def __init__(
        self,
        store: Store,
        config_of: Callable[[], Config],
        in_flight: Callable[[], int] | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.polls = Counter(
            "news_monitor_polls",
            "Polls of a source, by result (ok, not_modified, degraded, failed).",
            ["result"],
            registry=self.registry,
        )
        for result in RESULTS:
            self.polls.labels(result)
        self.poll_seconds = Histogram(
            "news_monitor_poll_duration_seconds",
            "How long one poll of one source took: fetch, parse, article pages, store.",
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.collector = _StoreCollector(store, config_of, in_flight)
        self.registry.register(self.collector)

    def keep_totals(self, keep: Callable[[tuple[Any, ...], Callable[[], Any]], Any]) -> None:
        """Read the store's totals through *keep* (web/answers.py: kept per data version)."""
        self.collector.keep = keep

    def observe_poll(self, outcome: PollOutcome) -> None:
        self.polls.labels(poll_result(outcome)).inc()
        self.poll_seconds.observe(outcome.seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _StoreCollector(Collector):
    def __init__(
        self,
        store: Store,
        config_of: Callable[[], Config],
        in_flight: Callable[[], int] | None,
    ) -> None:
        self.store = store
        self.config_of = config_of
        self.in_flight = in_flight
        self.keep: Callable[[tuple[Any, ...], Callable[[], Any]], Any] = lambda _, f: f()

    def totals(self, config: Config) -> tuple[web_stats.Totals, task_queue.QueueDepth | None]:
        with self.store.connect() as conn:
            t = web_stats.totals(conn, [f.name for f in config.feeds])
            return t, task_queue.queue_depth(conn)  # None: no workers' queue (SQLite)

    def collect(self) -> Iterator[Metric]:
        config = self.config_of()
        t, queue = self.keep(("totals", id(config)), lambda: self.totals(config))
        yield CounterMetricFamily(
            "news_monitor_articles_stored", "Articles in the store.", value=t.articles
        )
        yield CounterMetricFamily(
            "news_monitor_copies_folded",
            "Stored articles folded as syndicated copies of an original.",
            value=t.copies,
        )
        yield CounterMetricFamily(
            "news_monitor_stories_opened", "Stories opened (clusters of coverage).", value=t.stories
        )
        matches = CounterMetricFamily(
            "news_monitor_topic_matches", "Articles a configured topic matched.", labels=["topic"]
        )
        for topic in config.topics:
            matches.add_metric([topic.name], t.matches.get(topic.name, 0))
        yield matches
        deliveries = CounterMetricFamily(
            "news_monitor_deliveries",
            "Digest messages by channel type and result (delivered, failed).",
            labels=["channel_type", "result"],
        )
        pending = GaugeMetricFamily(
            "news_monitor_outbox_pending", "Digest messages waiting in the outbox."
        )
        by_type: dict[tuple[str, str], int] = {}
        waiting = 0
        for (channel, status), n in t.deliveries.items():
            if status == "pending":
                waiting += n
                continue
            cfg = config.channels.get(channel)
            key = (cfg.type if cfg is not None else "unconfigured", status)
            by_type[key] = by_type.get(key, 0) + n
        for kind in sorted({c.type for c in config.channels.values()}):
            for status in ("delivered", "failed"):
                by_type.setdefault((kind, status), 0)
        for (kind, status), n in sorted(by_type.items()):
            deliveries.add_metric([kind, status], n)
        yield deliveries
        pending.add_metric([], waiting)
        yield pending
        yield GaugeMetricFamily(
            "news_monitor_sources_broken",
            "Configured sources whose last poll failed, or that are disabled.",
            value=t.broken_sources,
        )
        last = GaugeMetricFamily(
            "news_monitor_last_successful_poll_timestamp_seconds",
            "When a source was last polled successfully (Unix time; 0: never).",
        )
        last.add_metric([], t.last_success.timestamp() if t.last_success else 0.0)
        yield last
        if queue is not None:
            jobs = GaugeMetricFamily(
                "news_monitor_queue_jobs",
                "Jobs of the workers' queue by status (PostgreSQL): due, scheduled, running, "
                "failed.",
                labels=["status"],
            )
            for status in ("due", "scheduled", "running", "failed"):
                jobs.add_metric([status], getattr(queue, status))
            yield jobs
        if self.in_flight is not None:
            yield GaugeMetricFamily(
                "news_monitor_polls_in_flight",
                "Polls running now in this daemon (its queue of claimed sources).",
                value=self.in_flight(),
            )
