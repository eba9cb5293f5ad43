"""Delivery: digests built on schedule, stored in the outbox, sent, retried, marked exactly once.

The semantics (docs/delivery.md): a digest is rendered once and stored before it is sent; the
watermark and the covered articles move in the same transaction that marks it delivered. A
pending (undelivered) message is always sent before a new digest is built for that channel.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from monitor.clock import utcnow
from monitor.config.model import ChannelConfig, Config, DigestConfig, Settings
from monitor.digest import build as digests
from monitor.digest import render
from monitor.digest.channels.registry import Sender, sender_for
from monitor.digest.message import Message
from monitor.digest.schedules import parse_schedule, realtime_due
from monitor.errors import DeliveryError, MonitorError, StoreError
from monitor.redact import Redactor
from monitor.store import Store, outbox
from monitor.store import digest_queries as dq

log = logging.getLogger(__name__)
_SLUG = re.compile(r"[^A-Za-z0-9]+")
# A send attempt leases its outbox row for this many channel timeouts (+1 min): long enough for
# a split Slack digest, short enough that a crash mid-send is retried soon after a restart.
LEASE_TIMEOUTS = 10


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one digest × channel in one run."""

    digest: str
    channel: str
    status: str  # delivered | empty | not-due | waiting | busy | retrying | failed
    message_id: str | None = None
    stories: int = 0
    error: str | None = None
    next_attempt_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("delivered", "empty", "not-due", "busy")

    def describe(self) -> str:
        head = f"{self.digest} → {self.channel}: {self.status}"
        if self.status == "delivered":
            return f"{head} ({self.stories} stories, {self.message_id})"
        if self.status == "retrying" and self.next_attempt_at is not None:
            return f"{head} at {self.next_attempt_at.isoformat()} ({self.error})"
        return f"{head} ({self.error})" if self.error else head


async def run_due(store: Store, config: Config, now: datetime) -> list[DeliveryOutcome]:
    """The daemon's tick: for every digest × channel, retry what is due, send what is due."""
    outcomes: list[DeliveryOutcome] = []
    for d in config.digests:
        try:
            outcomes += await run_digest(store, config, d.name, now)
        except StoreError as exc:  # a full or locked store: told once, tried at the next check
            store.log_fault(exc, "digest %s: store error", d.name)
            outcomes.append(DeliveryOutcome(d.name, "*", "failed", error=exc.message))
        except Exception as exc:  # one broken digest must not hold back the others
            log.exception("digest %s: delivery run failed", d.name)
            error = Redactor.of(config.secrets)(str(exc))
            outcomes.append(DeliveryOutcome(d.name, "*", "failed", error=error))
    return outcomes


async def run_pair(
    store: Store, config: Config, digest_name: str, channel_name: str, now: datetime
) -> list[DeliveryOutcome]:
    """One digest × channel as `run_due` runs it (a worker's delivery job, locked per pair in
    the cluster): the pending message first, then a new digest if due. A pair no longer in
    the config is skipped; the outbox keeps each delivery exactly once, so a job run again
    after a worker died finds the delivery it made marked already."""
    cfg = config.digest(digest_name)
    if cfg is None or channel_name not in cfg.channels or channel_name not in config.channels:
        return []
    channel = config.channels[channel_name]
    try:
        sender = sender_for(channel)
    except DeliveryError as exc:
        return [DeliveryOutcome(cfg.name, channel.name, "failed", error=str(exc))]
    pair = _Pair(store, config.settings, cfg, channel, sender, now, Redactor.of(config.secrets))
    return await pair.run(False)


async def send_now(
    store: Store, config: Config, digest_name: str, now: datetime
) -> list[DeliveryOutcome]:
    """`digest send NAME`: deliver now whatever the schedule (pending messages first)."""
    return await run_digest(store, config, digest_name, now, force=True)


async def run_digest(
    store: Store, config: Config, digest_name: str, now: datetime, *, force: bool = False
) -> list[DeliveryOutcome]:
    """Build, enqueue and send digest *digest_name* to each of its channels if due (or forced)."""
    cfg = _digest(config, digest_name)
    outcomes: list[DeliveryOutcome] = []
    for channel in _channels(config, cfg):
        try:
            sender = sender_for(channel)
        except DeliveryError as exc:
            outcomes.append(DeliveryOutcome(cfg.name, channel.name, "failed", error=str(exc)))
            continue
        outcomes += await _Pair(
            store, config.settings, cfg, channel, sender, now, Redactor.of(config.secrets)
        ).run(force)
    return outcomes


def preview(
    store: Store,
    config: Config,
    digest_name: str,
    fmt: str = "text",
    *,
    channel: str | None = None,
    now: datetime | None = None,
) -> str:
    """The next digest for *channel* (default: the first) rendered as text, html or slack JSON."""
    cfg = _digest(config, digest_name)
    name = channel or (cfg.channels[0] if cfg.channels else "preview")
    with store.connect() as conn:
        built = digests.build(conn, cfg, name, now or utcnow())
    tz = config.settings.timezone
    if fmt == "html":
        return render.html(built, tz)
    if fmt == "slack":
        return json.dumps(render.slack(built, tz), indent=2, ensure_ascii=False)
    return render.text(built, tz)


@dataclass(frozen=True)
class _Pair:
    """One digest × channel in one run: what every step of its delivery needs."""

    store: Store
    settings: Settings
    digest: DigestConfig
    channel: ChannelConfig
    sender: Sender
    now: datetime
    redact: Redactor  # a message stored or logged masks the config's secrets

    async def run(self, force: bool) -> list[DeliveryOutcome]:
        """The pending message first (if due or forced), then a new digest if due (or forced)."""
        outcomes: list[DeliveryOutcome] = []
        with self.store.connect() as conn:
            waiting = outbox.pending(conn, self.digest.name, self.channel.name)
        if waiting is not None:  # never build a second digest on top of an undelivered one
            due_at = waiting.next_attempt_at
            if not force and due_at is not None and due_at > self.now:
                return [_outcome(waiting, "waiting", error=waiting.last_error, next_at=due_at)]
            first = await self.attempt(waiting.id)
            if first.status != "delivered":
                return [first]
            outcomes.append(first)
        if not force and not self.is_due():
            return outcomes or [self.outcome("not-due")]
        row_id, status = self.enqueue()
        if row_id is None:
            return [*outcomes, self.outcome(status)]
        outcomes.append(await self.attempt(row_id))
        return outcomes

    def outcome(self, status: str) -> DeliveryOutcome:
        return DeliveryOutcome(self.digest.name, self.channel.name, status)

    def is_due(self) -> bool:
        cfg, channel, now = self.digest, self.channel.name, self.now
        schedule = parse_schedule(cfg.schedule, self.settings.timezone)
        with self.store.begin() as conn:
            if schedule.realtime:
                oldest, newest = digests.pending_window(conn, cfg, channel, now)
                return realtime_due(oldest, newest, now, self.settings.realtime_debounce)
            last_run = dq.state(conn, cfg.name, channel).last_run
            if last_run is None:  # first sight: the first digest goes out at the next slot
                outbox.touch_state(conn, cfg.name, channel, last_run=now)
                return False
            return schedule.is_due(last_run, now)

    def enqueue(self) -> tuple[int | None, str]:
        """Build and render, then store in one transaction; (None, why) when nothing is stored.

        Rendering happens before the write transaction; the transaction stores the digest only
        if no delivery of this pair happened since it was built (else another worker won: busy).
        """
        cfg, channel, now = self.digest, self.channel.name, self.now
        with self.store.connect() as conn:
            before = _delivered(dq.state(conn, cfg.name, channel))
            built = digests.build(conn, cfg, channel, now)
        skip = built.empty and not cfg.send_empty
        messages = [] if skip else self.sender.render(built, self.settings.timezone)
        message_id = ".".join(
            [now.strftime("%Y%m%d%H%M%S"), secrets.token_hex(4), _slug(cfg.name), _slug(channel)]
        )
        with self.store.begin() as conn:
            outbox.touch_state(conn, cfg.name, channel, last_run=now)  # write lock first
            if outbox.pending(conn, cfg.name, channel) is not None:
                return None, "busy"  # another worker enqueued one meanwhile
            if _delivered(dq.state(conn, cfg.name, channel)) != before:
                return None, "busy"  # another worker delivered meanwhile: this build is stale
            if skip:
                return None, "empty"
            row_id = outbox.enqueue(
                conn,
                now,
                digest=cfg.name,
                channel=channel,
                message_id=message_id,
                subject=messages[0].subject if messages else "",
                payload=json.dumps([m.to_json() for m in messages]),
                stories=built.total_stories,
                watermark=built.watermark,
                articles=json.dumps(
                    {
                        "shown": list(built.shown_article_ids),
                        "hidden": list(built.hidden_article_ids),
                        "held": list(built.held_article_ids),
                    }
                ),
            )
        log.info("digest %s → %s: queued %s (%s)", cfg.name, channel, message_id, built.summary)
        return row_id, "queued"

    async def attempt(self, row_id: int) -> DeliveryOutcome:
        """One send attempt of an outbox row: claim, send the remaining parts, mark."""
        store, now = self.store, self.now
        lease = timedelta(seconds=self.channel.timeout * LEASE_TIMEOUTS + 60)
        with store.begin() as conn:
            row = outbox.claim(conn, row_id, now, lease)
        if row is None:
            return self.outcome("busy")
        messages = [Message.from_json(m) for m in row.payload]
        log.debug("digest %s → %s: sending %s", row.digest, row.channel, row.message_id)
        try:
            for index in range(row.parts_sent, len(messages)):
                part_id = row.message_id if len(messages) == 1 else f"{row.message_id}.{index + 1}"
                await self.sender.send(messages[index], message_id=part_id)
                if index + 1 < len(messages):
                    with store.begin() as conn:
                        outbox.progress(conn, row.id, index + 1)
        except Exception as exc:
            error = exc if isinstance(exc, DeliveryError) else None
            if error is None:
                log.exception(
                    "digest %s → %s: unexpected error while sending", row.digest, row.channel
                )
            message = self.redact(str(exc) if error else f"{type(exc).__name__}: {exc}")
            retry = error is None or error.retryable
            delay = _backoff(self.settings, row.attempts, error.retry_after if error else None)
            with store.begin() as conn:
                outbox.mark_failed(conn, row.id, message, now + delay if retry else None)
            log.warning("digest %s → %s: %s", row.digest, row.channel, message)
            if not retry:
                return _outcome(row, "failed", error=message)
            return _outcome(row, "retrying", error=message, next_at=now + delay)
        with store.begin() as conn:
            outbox.mark_delivered(conn, row.id, now)
        log.info("digest %s → %s: delivered %s", row.digest, row.channel, row.message_id)
        return _outcome(row, "delivered")


def _delivered(state: dq.PairState) -> dq.PairState:
    """The state a delivery of the pair changes (last_run moves on every run: left out)."""
    return replace(state, last_run=None)


def _backoff(settings: Settings, attempts: int, retry_after: float | None) -> timedelta:
    """Retry-After when the channel gave one, else base · 2^(attempts-1); both capped."""
    if retry_after is not None:
        delay = retry_after
    else:
        delay = settings.delivery_retry_base * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(max(delay, 0.0), settings.delivery_retry_cap))


def _outcome(
    row: outbox.OutboxRow, status: str, *, error: str | None = None, next_at: datetime | None = None
) -> DeliveryOutcome:
    return DeliveryOutcome(
        row.digest, row.channel, status, row.message_id, row.stories, error, next_at
    )


def _digest(config: Config, name: str) -> DigestConfig:
    cfg = config.digest(name)
    if cfg is None:
        known = ", ".join(d.name for d in config.digests) or "none"
        raise MonitorError(f"no digest named {name!r}", f"configured digests: {known}")
    return cfg


def _channels(config: Config, cfg: DigestConfig) -> list[ChannelConfig]:
    missing = [c for c in cfg.channels if c not in config.channels]
    if missing:
        raise MonitorError(
            f"digest {cfg.name!r}: unknown channel(s) {', '.join(missing)}",
            "define them under `channels:`",
        )
    return [config.channels[c] for c in cfg.channels]


def _slug(value: str) -> str:
    return _SLUG.sub("-", value).strip("-").lower()[:40] or "x"
