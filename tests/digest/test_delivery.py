"""The outbox against real local peers: exactly-once delivery, retries, schedules, watermarks."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from monitor.config.model import ChannelConfig, Config
from monitor.digest import delivery
from monitor.digest.channels.email import EmailSender
from monitor.digest.channels.slack import SlackChannel
from monitor.digest.delivery import DeliveryOutcome
from monitor.digest.status import delivery_status
from monitor.store import Store, outbox
from monitor.store.delivery_tables import delivery_outbox
from peers import (
    BACKENDS,
    T0,
    Data,
    SlackPeer,
    SmtpPeer,
    any_store,
    config,
    slack_server,
    smtp_server,
)

S = timedelta(seconds=1)
H = timedelta(hours=1)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with any_store(request, tmp_path) as s:
        yield s


@pytest.fixture
def smtp_peer() -> Iterator[SmtpPeer]:
    with smtp_server() as peer:
        yield peer


@pytest.fixture
def slack_peer() -> Iterator[SlackPeer]:
    with slack_server() as peer:
        yield peer


def slack_channel(peer: SlackPeer) -> SlackChannel:
    return SlackChannel(name="team-slack", webhook_url=peer.url, timeout=5)


def send(store: Store, cfg: Config, now: datetime) -> list[DeliveryOutcome]:
    return asyncio.run(delivery.send_now(store, cfg, "legion-daily", now))


def due(store: Store, cfg: Config, now: datetime) -> list[DeliveryOutcome]:
    return asyncio.run(delivery.run_due(store, cfg, now))


def statuses(outcomes: list[DeliveryOutcome]) -> list[str]:
    return [o.status for o in outcomes]


def status_row(store: Store, cfg: Config) -> dict[str, Any]:
    with store.connect() as conn:
        (row,) = delivery_status(conn, cfg)
    return row


def text_of(peer: SmtpPeer, n: int) -> str:
    body = peer.received[n].message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def seed(data: Data) -> None:
    for n in range(3):
        data.article(f"Legion unit defects ({n})", site=f"Outlet {n}", story=1, at=T0 + n * S)
    original = data.article("Wire: legion crosses border", site="Wire", score=0.5)
    data.article("Wire copy", site="Reprint", copy_of=original, topic=None)


def test_digest_then_nothing_new_then_an_update(store: Store, smtp_peer: SmtpPeer) -> None:
    cfg = config(smtp_peer.channel())
    data = Data(store)
    seed(data)
    (first,) = send(store, cfg, T0 + H)
    assert first.status == "delivered" and first.stories == 2
    (mail,) = smtp_peer.received
    assert mail.message["Subject"] == "[news-monitor] legion-daily — 2 stories"
    text = text_of(smtp_peer, 0)
    assert "Legion unit defects" in text and "also carried by Reprint" in text
    # polled again, nothing new: nothing is sent
    assert statuses(send(store, cfg, T0 + 2 * H)) == ["empty"]
    assert len(smtp_peer.received) == 1
    # a new outlet covers the known story: one message, marked as an update
    data.article("Legion defection, day two", site="Outlet 9", story=1, at=T0 + 3 * H)
    assert statuses(send(store, cfg, T0 + 4 * H)) == ["delivered"]
    assert len(smtp_peer.received) == 2
    assert smtp_peer.received[1].message["Subject"] == "[news-monitor] legion-daily — 1 update"
    update = text_of(smtp_peer, 1)
    assert "[update: 1 new source]" in update and "Outlet 9" in update
    assert "Earlier: Outlet 0, Outlet 1, Outlet 2" in update and "Wire" not in update
    row = status_row(store, cfg)
    assert row["last_delivery"] == (T0 + 4 * H).isoformat()
    assert row["watermark"] == (T0 + 3 * H).isoformat()
    assert row["pending"] == 0 and row["last_error"] is None


def test_smtp_refusing_then_4xx_then_recovering_delivers_once(
    store: Store, smtp_peer: SmtpPeer
) -> None:
    cfg = config(smtp_peer.channel())
    seed(Data(store))
    smtp_peer.down()
    (o,) = send(store, cfg, T0)
    assert o.status == "retrying" and o.next_attempt_at == T0 + S
    assert "ConnectionRefusedError" in (status_row(store, cfg)["last_error"] or "")
    smtp_peer.up()
    smtp_peer.answer = "451 4.3.0 mailbox busy, try later"
    (o,) = due(store, cfg, T0 + S)
    assert o.status == "retrying" and o.next_attempt_at == T0 + 3 * S  # 1 s, then 2 s
    row = status_row(store, cfg)
    assert row["pending"] == 1 and row["attempts"] == 2 and "451" in row["last_error"]
    # a scheduled run meanwhile neither sends early nor builds a second digest on top
    assert statuses(due(store, cfg, T0 + 2 * S)) == ["waiting"]
    smtp_peer.answer = None
    assert statuses(due(store, cfg, T0 + 2 * S)) == ["waiting"]
    (o,) = due(store, cfg, T0 + 3 * S)
    assert o.status == "delivered"
    assert statuses(due(store, cfg, T0 + H)) == ["not-due"]
    assert statuses(send(store, cfg, T0 + H)) == ["empty"]
    assert len(smtp_peer.received) == 1
    assert status_row(store, cfg)["last_error"] is None


def test_slack_429_and_500_are_retried(store: Store, slack_peer: SlackPeer) -> None:
    cfg = config(slack_channel(slack_peer))
    seed(Data(store))
    slack_peer.script = [(429, {"Retry-After": "3"}), (500, {})]
    (o,) = send(store, cfg, T0)
    assert o.status == "retrying" and o.next_attempt_at == T0 + 3 * S
    assert statuses(due(store, cfg, T0 + 2 * S)) == ["waiting"]
    (o,) = due(store, cfg, T0 + 3 * S)
    assert o.status == "retrying" and "500" in (o.error or "")
    (o,) = due(store, cfg, T0 + 10 * S)
    assert o.status == "delivered"
    assert len(slack_peer.accepted) == 1 and slack_peer.requests == 3


def test_split_slack_digest_resumes_at_the_failed_part(store: Store, slack_peer: SlackPeer) -> None:
    cfg = config(slack_channel(slack_peer), max_stories=40)
    data = Data(store)
    for n in range(30):
        data.article(f"Legion story {n} " + "x" * 200, story=n + 1, snippet="words " * 300)
    slack_peer.script = [None, (503, {})]
    (o,) = send(store, cfg, T0)
    assert o.status == "retrying" and len(slack_peer.accepted) == 1
    (o,) = due(store, cfg, T0 + H)
    assert o.status == "delivered"
    parts = slack_peer.accepted
    assert len(parts) >= 3
    assert [p["text"].rsplit("(", 1)[1] for p in parts] == [
        f"{n}/{len(parts)})" for n in range(1, len(parts) + 1)
    ]


def test_crash_between_sent_and_marked_repeats_only_that_message(
    store: Store, smtp_peer: SmtpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(smtp_peer.channel())
    seed(Data(store))
    real = outbox.mark_delivered

    def crash(*args: Any) -> None:
        raise KeyboardInterrupt("killed after the send, before the mark")

    monkeypatch.setattr(outbox, "mark_delivered", crash)
    with pytest.raises(KeyboardInterrupt):
        send(store, cfg, T0)
    monkeypatch.setattr(outbox, "mark_delivered", real)
    assert len(smtp_peer.received) == 1
    # restarted at once: the lease of the interrupted attempt still holds
    assert statuses(due(store, cfg, T0 + S)) == ["busy"]
    # after the lease the same message goes again, with the same Message-ID
    assert statuses(due(store, cfg, T0 + H)) == ["delivered"]
    first, second = (r.message for r in smtp_peer.received)
    assert first["Message-ID"] == second["Message-ID"]
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert statuses(send(store, cfg, T0 + 2 * H)) == ["empty"]
    assert len(smtp_peer.received) == 2


def test_lease_of_a_killed_sender_is_taken_over_at_once(
    store: Store, smtp_peer: SmtpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(smtp_peer.channel())
    seed(Data(store))
    real = outbox.mark_delivered
    monkeypatch.setattr(outbox, "mark_delivered", _killed)
    with pytest.raises(KeyboardInterrupt):
        send(store, cfg, T0)
    monkeypatch.setattr(outbox, "mark_delivered", real)
    # the sending process was killed: its lease names a pid of this host that no longer runs
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with store.begin() as conn:
        conn.execute(sa.update(delivery_outbox).values(claimed_by=f"{socket.gethostname()}:{gone}"))
    assert statuses(due(store, cfg, T0 + S)) == ["delivered"]  # not after the lease: now
    first, second = (r.message for r in smtp_peer.received)
    assert first["Message-ID"] == second["Message-ID"]
    with store.begin() as conn:
        assert conn.execute(sa.select(delivery_outbox.c.claimed_by)).scalars().all() == [None]


def _killed(*args: Any) -> None:
    raise KeyboardInterrupt("killed after the send, before the mark")


def in_another_worker(run: Callable[[], list[DeliveryOutcome]]) -> list[DeliveryOutcome]:
    """Run a delivery in a thread, as a second worker would, and wait (not forever) for it."""
    done: list[list[DeliveryOutcome]] = []
    worker = threading.Thread(target=lambda: done.append(run()))
    worker.start()
    worker.join(10)
    assert done, "the other worker waited for a write lock held across render"
    return done[0]


def test_render_runs_outside_the_write_transaction_and_a_stale_build_is_dropped(
    store: Store, smtp_peer: SmtpPeer, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config(smtp_peer.channel())
    seed(Data(store))
    renders: list[str] = []
    other: list[DeliveryOutcome] = []
    render = EmailSender.render

    def slow_render(sender: EmailSender, built: Any, tz: str) -> Any:
        renders.append(built.name)
        if len(renders) == 1:  # while this worker renders, another sends the same digest
            other.extend(in_another_worker(lambda: send(store, cfg, T0)))
        return render(sender, built, tz)

    monkeypatch.setattr(EmailSender, "render", slow_render)
    assert statuses(send(store, cfg, T0)) == ["busy"]  # its build is stale: nothing stored
    assert statuses(other) == ["delivered"] and len(renders) == 2
    assert len(smtp_peer.received) == 1
    assert statuses(send(store, cfg, T0 + H)) == ["empty"]


def test_cron_schedule_first_sight_slots_and_downtime(store: Store, smtp_peer: SmtpPeer) -> None:
    cfg = config(smtp_peer.channel(), schedule="0 8 * * *")
    data = Data(store)
    seed(data)
    assert statuses(due(store, cfg, T0)) == ["not-due"]  # 06:00: first sight anchors
    assert statuses(due(store, cfg, T0 + 1 * H + 59 * 60 * S)) == ["not-due"]
    assert statuses(due(store, cfg, T0 + 2 * H)) == ["delivered"]  # 08:00
    assert statuses(due(store, cfg, T0 + 3 * H)) == ["not-due"]
    # down for three days; new coverage meanwhile; one digest at start-up, not three
    data.article("Legion news while we were down", story=50, at=T0 + 30 * H)
    start = T0 + 3 * 24 * H + 6 * H
    assert statuses(due(store, cfg, start)) == ["delivered"]
    assert statuses(due(store, cfg, start + S)) == ["not-due"]
    assert len(smtp_peer.received) == 2


def test_realtime_is_debounced(store: Store, smtp_peer: SmtpPeer) -> None:
    cfg = config(smtp_peer.channel(), schedule="realtime", realtime_debounce=120.0)
    data = Data(store)
    data.article("Legion breaking", at=T0)
    data.article("Legion breaking, more", at=T0 + 60 * S)
    assert statuses(due(store, cfg, T0 + 90 * S)) == ["not-due"]
    assert statuses(due(store, cfg, T0 + 181 * S)) == ["delivered"]
    assert statuses(due(store, cfg, T0 + 400 * S)) == ["not-due"]
    (mail,) = smtp_peer.received
    assert mail.message["Subject"] == "[news-monitor] legion-daily — 2 stories"


def test_final_failure_keeps_the_coverage_for_the_next_digest(
    store: Store, slack_peer: SlackPeer
) -> None:
    cfg = config(slack_channel(slack_peer))
    seed(Data(store))
    slack_peer.script = [(404, {})]
    (o,) = send(store, cfg, T0)
    assert o.status == "failed" and not o.ok
    row = status_row(store, cfg)
    assert row["failed"] == 1 and row["pending"] == 0 and "404" in row["last_error"]
    (o,) = send(store, cfg, T0 + H)
    assert o.status == "delivered" and o.stories == 2
    assert status_row(store, cfg)["last_error"] is None


def test_pending_message_goes_first_then_a_separate_new_digest(
    store: Store, smtp_peer: SmtpPeer
) -> None:
    cfg = config(smtp_peer.channel(), schedule="every 1h")
    data = Data(store)
    data.article("Legion old news", story=1)
    assert statuses(due(store, cfg, T0)) == ["not-due"]
    smtp_peer.down()
    assert statuses(due(store, cfg, T0 + H)) == ["retrying"]
    data.article("Legion fresh news", story=2, at=T0 + 90 * 60 * S)
    smtp_peer.up()
    assert statuses(due(store, cfg, T0 + 2 * H)) == ["delivered", "delivered"]
    old, new = (text_of(smtp_peer, n) for n in range(2))
    assert "old news" in old and "fresh news" not in old
    assert "fresh news" in new and "old news" not in new


def test_preview_moves_nothing(store: Store, smtp_peer: SmtpPeer) -> None:
    cfg = config(smtp_peer.channel())
    seed(Data(store))
    text = delivery.preview(store, cfg, "legion-daily", "text")
    assert "Legion unit defects" in text
    assert "<table" in delivery.preview(store, cfg, "legion-daily", "html")
    assert '"blocks"' in delivery.preview(store, cfg, "legion-daily", "slack", channel="analysts")
    assert statuses(send(store, cfg, T0 + H)) == ["delivered"]


def test_send_empty(store: Store, smtp_peer: SmtpPeer) -> None:
    cfg = config(smtp_peer.channel(), send_empty=True)
    assert statuses(send(store, cfg, T0)) == ["delivered"]
    assert (
        smtp_peer.received[0].message["Subject"] == "[news-monitor] legion-daily — no new coverage"
    )


def test_each_channel_has_its_own_watermark(
    store: Store, smtp_peer: SmtpPeer, slack_peer: SlackPeer
) -> None:
    cfg = config(smtp_peer.channel(), slack_channel(slack_peer))
    seed(Data(store))
    slack_peer.script = [(500, {})]
    assert statuses(send(store, cfg, T0)) == ["delivered", "retrying"]
    assert statuses(due(store, cfg, T0 + H)) == ["not-due", "delivered"]
    assert len(smtp_peer.received) == 1 and len(slack_peer.accepted) == 1
    with store.connect() as conn:
        rows = delivery_status(conn, cfg)
    assert [(r["name"], r["channel"], r["pending"]) for r in rows] == [
        ("legion-daily", "analysts", 0),
        ("legion-daily", "team-slack", 0),
    ]


def test_unknown_digest_is_a_user_error(store: Store, smtp_peer: SmtpPeer) -> None:
    from monitor.errors import MonitorError

    with pytest.raises(MonitorError) as info:
        asyncio.run(delivery.send_now(store, config(smtp_peer.channel()), "nope", T0))
    assert "legion-daily" in (info.value.hint or "")


def test_unknown_channel_type_fails_that_channel_only(store: Store, smtp_peer: SmtpPeer) -> None:
    pigeon = ChannelConfig(name="loft", type="pigeon")
    cfg = config(pigeon, smtp_peer.channel())
    seed(Data(store))
    outcomes = due(store, cfg, T0)
    assert [(o.channel, o.status) for o in outcomes] == [
        ("loft", "failed"),
        ("analysts", "not-due"),
    ]
    assert "pigeon" in (outcomes[0].error or "")
