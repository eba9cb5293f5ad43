"""A cluster on loopback for the worker tests: a fresh PostgreSQL database, a feed farm that
records how many requests each feed and each host have in flight, and `news-monitor worker`
processes in subprocesses."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from console import SCRIPT, clean_env
from httpserver import Exchange, Handler, LocalServer
from monitor.store.util import STAGES_LOCK
from shared import PG_URL, pg_skip_reason


@contextmanager
def fresh_database() -> Iterator[str]:
    """A database of its own (nm_worker_…) on the test server, dropped afterwards."""
    reason = pg_skip_reason()
    if reason:
        pytest.skip(reason)
    name = f"nm_worker_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(PG_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Farm:
    """Feeds whose every poll brings `per_poll` new items (until `freeze()`), answering after
    `delay` seconds; what was in flight at once is recorded per feed and per host."""

    delay: float = 0.3
    per_poll: int = 2
    lock: threading.Lock = field(default_factory=threading.Lock)
    active: Counter[str] = field(default_factory=Counter)
    most: Counter[str] = field(default_factory=Counter)  # the most at once, per feed and host
    served: dict[str, set[str]] = field(default_factory=dict)  # feed → item links served
    requests: Counter[str] = field(default_factory=Counter)
    frozen: bool = False
    article_delay: float = 0.0
    article_clients: set[int] = field(default_factory=set)  # client ports of pages in flight

    def freeze(self) -> None:
        with self.lock:
            self.frozen = True

    def _enter(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.active[key] += 1
                self.most[key] = max(self.most[key], self.active[key])

    def _leave(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.active[key] -= 1

    def feed(self, name: str, base: Callable[[], str]) -> Handler:
        def handle(ex: Exchange) -> None:
            host = ex.headers.get("host", "").rpartition(":")[0]
            keys = (f"feed:{name}", f"host:{host}")
            self._enter(*keys)
            try:
                with self.lock:
                    if not self.frozen:
                        self.requests[name] += 1
                    count = max(self.requests[name], 1) * self.per_poll  # frozen: the last
                ex.sleep(self.delay)
                now = datetime.now(UTC)
                links = [f"{base()}/a/{name}/{i}" for i in range(count)]
                items = "".join(
                    f"<item><title>{name} report {i} on the legion</title><link>{link}</link>"
                    f"<guid>{name}-{i}</guid>"
                    f"<pubDate>{format_datetime(now - timedelta(minutes=count - i))}</pubDate>"
                    f"<description>Fighters of the Freedom of Russia Legion, item {i} of "
                    f"{name}: {' '.join(['words'] * 30)} {name}{i}.</description></item>"
                    for i, link in enumerate(links)
                )
                body = (
                    f"<rss version='2.0'><channel><title>{name}</title>{items}</channel></rss>"
                ).encode()
                ex.send(200, body, {"Content-Type": "application/rss+xml"})
                with self.lock:
                    self.served.setdefault(name, set()).update(links)
            finally:
                self._leave(*keys)

        return handle

    def article(self, ex: Exchange) -> None:
        host = ex.headers.get("host", "").rpartition(":")[0]
        port = int(ex._handler.client_address[1])
        self._enter(f"host:{host}")
        with self.lock:
            self.article_clients.add(port)
        try:
            ex.sleep(self.article_delay)
            words = " ".join(["The legion crossed the border again that morning."] * 40)
            body = f"<html><body><article><h1>{ex.request.path}</h1><p>{words}</p></article></body></html>"
            ex.send(200, body.encode(), {"Content-Type": "text/html; charset=utf-8"})
        finally:
            with self.lock:
                self.article_clients.discard(port)
            self._leave(f"host:{host}")

    def served_links(self) -> set[str]:
        with self.lock:
            return {link for links in self.served.values() for link in links}


@contextmanager
def farm_servers(
    farm: Farm, hosts: list[str], feeds_per_host: int, *, full_text: str = "auto"
) -> Iterator[list[str]]:
    """One LocalServer per host address; yields the feeds' config lines."""
    servers = [LocalServer(host=h) for h in hosts]
    lines = []
    for index, server in enumerate(servers):
        for n in range(feeds_per_host):
            name = f"h{index}f{n}"
            server.routes[f"/{name}.rss"] = farm.feed(name, lambda s=server: s.url("").rstrip("/"))
    for server in servers:
        server.__enter__()
    try:
        for index, server in enumerate(servers):
            for n in range(feeds_per_host):
                name = f"h{index}f{n}"
                for i in range(200):
                    server.routes[f"/a/{name}/{i}"] = farm.article
                url = server.url(f"/{name}.rss")
                lines.append(f"- {{url: '{url}', name: {name}, full_text: {full_text}}}\n")
        yield lines
    finally:
        for server in servers:
            server.__exit__(None, None, None)


def cluster_config(
    tmp_path: Path, database_url: str, feeds: list[str], *, settings: str = "", extra: str = ""
) -> Path:
    text = (
        "settings:\n"
        "  state_dir: state\n"
        f"  database_url: '{database_url}'\n"
        "  poll_interval: 2s\n"
        "  min_interval: 1s\n"
        "  extract_workers: 1\n"
        "  tick: 1s\n"
        "  digest_check: 1s\n"
        "  shutdown_grace: 5s\n"
        "  fetch: {connect_timeout: 3s, read_timeout: 5s, total_timeout: 10s, per_host_limit: 2}\n"
        "  workers: {heartbeat: 500ms, stalled_after: 2s, reconnect_max: 2s}\n"
        + settings
        + "topics:\n"
        "  - name: Legion\n"
        "    query: legion\n"
        "feeds:\n" + "".join(f"  {line}" for line in feeds) + extra
    )
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class Workers:
    """`news-monitor worker` processes, each logging to its own file."""

    config: Path
    logs: list[Path] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self, *args: str, command: str = "worker", env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        log = self.config.parent / f"worker{len(self.procs)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(SCRIPT), "--config", str(self.config), command, *args],
                stdout=out, stderr=subprocess.STDOUT, env=clean_env(env),
            )  # fmt: skip
        self.logs.append(log)
        self.procs.append(proc)
        return proc

    def text(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')}" for p in self.logs)

    def running(self) -> bool:
        return all(p.poll() is None for p in self.procs if p.returncode != -signal.SIGKILL)

    def stop(self, timeout: float = 30) -> list[int | None]:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = []
        for p in self.procs:
            try:
                codes.append(p.wait(timeout=timeout))
            except subprocess.TimeoutExpired:
                p.kill()
                codes.append(p.wait())
        return codes

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def _owner(ports: set[int], procs: list[subprocess.Popen[bytes]]) -> int | None:
    """The index of the running worker with a TCP socket on one of these local *ports*."""
    import psutil

    if not ports:
        return None
    for index, proc in enumerate(procs):
        if proc.poll() is not None:
            continue
        try:
            conns = psutil.Process(proc.pid).net_connections(kind="tcp")
        except psutil.Error:
            continue
        if any(c.laddr and c.laddr.port in ports for c in conns):
            return index
    return None


def fetching_worker(farm: Farm, procs: list[subprocess.Popen[bytes]]) -> int | None:
    """The index of a worker with an article page request in flight now (by its socket)."""
    with farm.lock:
        ports = set(farm.article_clients)
    return _owner(ports, procs)


def committing_worker(database_url: str, procs: list[subprocess.Popen[bytes]]) -> int | None:
    """The index of a worker inside a poll's commit now: its connection holds the advisory lock
    of the per-article stages (store/util.py STAGES_LOCK), found by the connection's port."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            ports = set(
                conn.execute(
                    sa.text(
                        "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a "
                        "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                        "AND l.objid = :key AND l.objsubid = 1"
                    ),
                    {"key": STAGES_LOCK},
                ).scalars()
            )
    finally:
        engine.dispose()
    return _owner(ports, procs)


def wait_for(check: Callable[[], bool], timeout: float, what: str, logs: Workers) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if not logs.running():
            raise AssertionError(f"a worker exited while waiting for {what}\n{logs.text()[-6000:]}")
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}\n{logs.text()[-6000:]}")


def scalar(database_url: str, sql: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql)).scalar_one())
    except sa.exc.ProgrammingError:  # not migrated yet
        return -1
    finally:
        engine.dispose()


def all_served_stored(farm: Farm, database_url: str, timeout: float, logs: Workers) -> None:
    """Stop the farm's new items and wait until every article it served is stored."""
    farm.freeze()
    wait_for(
        lambda: scalar(database_url, "SELECT count(*) FROM articles") >= len(farm.served_links()),
        timeout,
        "every served article stored",
        logs,
    )
