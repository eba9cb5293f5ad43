"""A cluster on one machine: network namespaces as hosts, a PostgreSQL of its own, workers.

    with Network(hosts=3, farm_addresses=50) as net:          # needs root and `ip netns`
        with Postgres(tmp, listen=net.bridge_address) as pg:   # initdb in tmp, trust 198.18/15
            pg.create_database("nm")
            worker = start_worker(argv, log, namespace=net.namespaces[0], hostname="worker1")

`Network` makes a Linux bridge in the root namespace with an address in 198.18.X.0/24 (X picked
at random among the /24s of 198.18.0.0/15 no interface here uses; 198.18.X.1 and the farm's
addresses 198.18.X.101… are the bridge's), and one namespace a host, each joined to the bridge
by a veth pair (198.18.X.11, .12, …). Everything it made — processes still running in its
namespaces, the namespaces, the veths, the bridge — is removed when the block ends, also on
failure. `Postgres` runs `initdb` and `pg_ctl` (as the `postgres` user when run as root) in a
temporary directory of its own, listening on one address, and removes the directory afterwards.
`skip_reason()` says why namespaces cannot be made here (not root, no `ip`, no permission).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

import sqlalchemy as sa

PG_BIN = Path(os.environ.get("MONITOR_PG_BIN", "/usr/lib/postgresql/15/bin"))
NETWORK = "198.18.0.0/15"  # RFC 2544's benchmarking range: no host of anyone's is there


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check, timeout=30)


def skip_reason() -> str | None:
    """Why `Network` cannot run here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is missing"
    if shutil.which("unshare") is None:
        return "the `unshare` command (util-linux) is missing"
    probe = f"nmsp{os.getpid() % 100000}"
    made = _ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    _ip("netns", "del", probe, check=False)
    return None


def postgres_skip_reason() -> str | None:
    """Why `Postgres` cannot run here, or None."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).exists():
            return f"{PG_BIN / tool} is missing (PostgreSQL's server binaries; MONITOR_PG_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no `postgres` user to run the server as"
    return None


def _subnets_in_use() -> set[int]:
    """The X of every 198.18.X.* / 198.19.X.* address an interface here has."""
    shown = _ip("-o", "-4", "addr", "show", check=False).stdout
    used = set()
    for word in shown.split():
        if word.startswith(("198.18.", "198.19.")):
            used.add(int(word.split(".")[2]) + (256 if word.startswith("198.19.") else 0))
    return used


class Network:
    """A bridge in the root namespace and `hosts` namespaces on it (see the module docstring)."""

    def __init__(self, hosts: int = 3, farm_addresses: int = 50) -> None:
        self.tag = f"{os.getpid() % 1000:03d}{random.randrange(16**3):03x}"
        self.bridge = f"nms{self.tag}br"
        self.namespaces = [f"nms{self.tag}n{i}" for i in range(hosts)]
        self._veths = [f"nms{self.tag}v{i}" for i in range(hosts)]
        self._made: list[tuple[str, str]] = []  # ("netns" | "link", name), to undo in reverse
        used = _subnets_in_use()
        free = [x for x in range(1, 511) if x not in used and x != 256]
        x = random.choice(free)
        prefix = f"198.18.{x}" if x < 256 else f"198.19.{x - 256}"
        self.bridge_address = f"{prefix}.1"
        self.host_addresses = [f"{prefix}.{11 + i}" for i in range(hosts)]
        self.farm_addresses = [f"{prefix}.{101 + i}" for i in range(farm_addresses)]

    def __enter__(self) -> Network:
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _build(self) -> None:
        _ip("link", "add", self.bridge, "type", "bridge")
        self._made.append(("link", self.bridge))
        for address in [self.bridge_address, *self.farm_addresses]:
            _ip("addr", "add", f"{address}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for ns, veth, address in zip(
            self.namespaces, self._veths, self.host_addresses, strict=True
        ):
            _ip("netns", "add", ns)
            self._made.append(("netns", ns))
            peer = f"{veth}p"
            _ip("link", "add", veth, "type", "veth", "peer", "name", peer)
            self._made.append(("link", veth))
            _ip("link", "set", peer, "netns", ns)
            _ip("link", "set", veth, "master", self.bridge)
            _ip("link", "set", veth, "up")
            _ip("-n", ns, "link", "set", peer, "name", "eth0")
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")

    def close(self) -> None:
        """Remove what was made: processes left in the namespaces first (they are ours)."""
        for kind, name in reversed(self._made):
            if kind == "netns":
                _kill_namespace(name)
                _ip("netns", "del", name, check=False)
            else:
                _ip("link", "del", name, check=False)  # gone already when its peer's ns went
        self._made = []

    def exists(self) -> bool:
        """Whether anything of this network is still there (for the tests' cleanup check)."""
        names = _ip("netns", "list", check=False).stdout
        links = _ip("-o", "link", "show", check=False).stdout
        return f"nms{self.tag}" in names or f"nms{self.tag}" in links

    def prefix(self, host: int) -> list[str]:
        """The argv prefix that runs a command on host *host* (its namespace)."""
        return ["ip", "netns", "exec", self.namespaces[host]]


def _kill_namespace(ns: str) -> None:
    pids = _ip("netns", "pids", ns, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pids and time.monotonic() < deadline:
        pids = _ip("netns", "pids", ns, check=False).stdout.split()
        time.sleep(0.05)


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


class Postgres:
    """A PostgreSQL server of its own in a temporary directory, trusting `trust` networks."""

    def __init__(
        self,
        listen: str = "127.0.0.1",
        port: int = 0,
        trust: Sequence[str] = (NETWORK, "127.0.0.1/32"),
        durable: bool = True,
        max_connections: int = 200,
        settings: Sequence[str] = (),
    ) -> None:
        self.listen = listen
        self.port = port  # 0: a free one, picked at the start (the address may not exist yet)
        self.trust = list(trust)
        self.durable = durable  # False: fsync and synchronous_commit off (tests only)
        self.max_connections = max_connections
        self.settings = list(settings)  # more postgresql.conf lines (bench/scale.py --profile)
        self.root: Path | None = None
        self.started = False

    def url(self, database: str = "postgres", **query: str) -> str:
        tail = "&".join(f"{k}={v}" for k, v in query.items())
        base = f"postgresql+psycopg://postgres@{self.listen}:{self.port}/{database}"
        return f"{base}?{tail}" if tail else base

    def _as_owner(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv

    def __enter__(self) -> Postgres:
        self.root = Path(tempfile.mkdtemp(prefix="nm_scale_pg_"))
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        assert self.root is not None
        if os.geteuid() == 0:
            os.chown(self.root, pwd.getpwnam("postgres").pw_uid, -1)
        data = self.root / "data"
        self.port = self.port or free_port(self.listen)
        run = subprocess.run
        init = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
        done = run(self._as_owner([*init, "-E", "UTF8", "--no-sync"]), capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.decode(errors='replace')}")
        settings = [
            f"listen_addresses = '{self.listen}'",
            f"port = {self.port}",
            f"unix_socket_directories = '{self.root}'",
            f"max_connections = {self.max_connections}",
            "shared_buffers = 128MB",
            *self.settings,
        ]
        if not self.durable:
            settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with (data / "postgresql.conf").open("a") as conf:
            conf.write("\n".join(settings) + "\n")
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write("".join(f"host all all {net} trust\n" for net in self.trust))
        log = self.root / "server.log"
        start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60"]
        done = run(self._as_owner([*start, "start"]), capture_output=True, timeout=90)
        self.started = done.returncode == 0
        if not self.started:
            raise RuntimeError(f"PostgreSQL did not start: {self.log()}")

    def log(self) -> str:
        path = self.root / "server.log" if self.root else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run *sql* through psql on this server (as a client over TCP); its output."""
        argv = [str(PG_BIN / "psql"), "-h", self.listen, "-p", str(self.port), "-U", "postgres"]
        done = subprocess.run(
            [*argv, "-d", database, "-AtX", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, name: str) -> str:
        """A new, empty database (dropped first if it exists); its SQLAlchemy URL."""
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        if self.root is None:
            return
        data = self.root / "data"
        if self.started or (data / "postmaster.pid").exists():
            stop = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "-t", "20"]
            done = subprocess.run(self._as_owner([*stop, "stop"]), capture_output=True)
            if done.returncode != 0 and (data / "postmaster.pid").exists():
                with contextlib.suppress(ValueError, ProcessLookupError):
                    pid = int((data / "postmaster.pid").read_text().split()[0])
                    os.kill(pid, signal.SIGKILL)
            self.started = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


def start_worker(
    argv: Sequence[str],
    log: Path,
    *,
    prefix: Sequence[str] = (),
    hostname: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """Start *argv* (stdout and stderr to *log*), after *prefix* (a namespace's `ip netns exec`).

    With *hostname*, the process gets a UTS namespace of its own with that host name, so its
    leases read ``hostname:pid`` as on a host of its own. `ip netns exec`, `unshare` and the
    shell all exec, so the process returned is the command itself (a SIGTERM reaches it).
    """
    command = list(prefix)
    if hostname is not None:
        command += ["unshare", "--uts", "sh", "-c", 'hostname "$0" && exec "$@"', hostname]
    command += list(argv)
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)


def stop_workers(workers: Sequence[subprocess.Popen[bytes]], timeout: float = 30) -> list[int]:
    """SIGTERM each (graceful), then SIGKILL what is left after *timeout*; the exit codes."""
    for w in workers:
        if w.poll() is None:
            w.terminate()
    deadline = time.monotonic() + timeout
    for w in workers:
        try:
            w.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait(10)
    return [w.returncode for w in workers]


def news_monitor() -> str:
    """The installed console script beside this interpreter (.venv/bin/news-monitor)."""
    return str(Path(sys.executable).with_name("news-monitor"))


def write_config(
    path: Path,
    urls: Sequence[str],
    database_url: str,
    *,
    concurrency: int = 10,
    per_host: int = 2,
    global_limit: int = 50,
    tick: str = "200ms",
) -> Path:
    """A feeds.yaml for a cluster: one source per URL, the state in *database_url*, two topics
    (as bench/poll.py's), sources not due again within the hour after a poll."""
    lines = [
        "settings:",
        f"  database_url: '{database_url}'",
        f"  state_dir: {path.parent / 'state'}",
        "  poll_interval: 1h",
        "  min_interval: 1h",
        f"  concurrency: {concurrency}",
        f"  tick: {tick}",
        "  extract_workers: 1",
        "  shutdown_grace: 10s",
        f"  fetch: {{per_host_limit: {per_host}, global_limit: {global_limit}}}",
        "topics:",
        "  - name: Markets",
        "    query: 'market* OR economy'",
        "  - name: Elections",
        "    query: '\"election\" -sport'",
        "feeds:",
    ]
    lines += [f"  - {{url: '{u}', name: feed{i}}}" for i, u in enumerate(urls)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


READY = {"run": "daemon started", "worker": "worker started"}  # in a worker's log when it is up


def has_worker_command() -> bool:
    """Whether the installed news-monitor has `worker` (issue 15); else `run` stands in."""
    done = subprocess.run([news_monitor(), "worker", "--help"], capture_output=True, timeout=60)
    return done.returncode == 0


def worker_argv(config: Path, concurrency: int, kind: str) -> list[str]:
    """`news-monitor worker --concurrency N`, or `run` (its concurrency is in the config)."""
    if kind == "worker":
        return [
            news_monitor(),
            "--config",
            str(config),
            "worker",
            "--concurrency",
            str(concurrency),
        ]
    return [news_monitor(), "--config", str(config), "run"]


def wait_for_logs(
    logs: Sequence[Path],
    marker: str,
    workers: Sequence[subprocess.Popen[bytes]],
    timeout: float = 60,
) -> None:
    """Until every log holds *marker*; raises when a worker exits or time runs out first."""
    deadline = time.monotonic() + timeout
    while not all(marker in p.read_text(errors="replace") for p in logs):
        gone = [w.args for w in workers if w.poll() is not None]
        if gone or time.monotonic() > deadline:
            shown = "\n".join(f"--- {p}\n{p.read_text(errors='replace')}" for p in logs)
            raise RuntimeError(f"workers not ready (exited: {gone}):\n{shown}")
        time.sleep(0.1)


def make_due(engine: sa.Engine) -> datetime:
    """Every source due now (a new cycle); the database's now, naive UTC as the store keeps it."""
    with engine.begin() as conn:
        now = conn.execute(sa.text("SELECT (now() AT TIME ZONE 'utc')")).scalar_one()
        conn.execute(sa.text("UPDATE sources SET next_check_at = :now"), {"now": now})
    return now  # type: ignore[no-any-return]


def polled_since(engine: sa.Engine, since: datetime) -> tuple[int, int, datetime | None]:
    """(sources polled since *since*, of them failed, when the last poll ended)."""
    query = sa.text(
        "SELECT count(*), count(*) FILTER (WHERE last_error_at >= :t),"
        " max(greatest(last_success, last_error_at))"
        " FROM sources WHERE last_success >= :t OR last_error_at >= :t"
    )
    try:
        with engine.connect() as conn:
            done, failed, last = conn.execute(query, {"t": since}).one()
    except sa.exc.ProgrammingError:  # no sources table: not migrated yet
        return 0, 0, None
    return int(done), int(failed), last


def wait_cycle(
    engine: sa.Engine,
    since: datetime,
    expected: int,
    workers: Sequence[subprocess.Popen[bytes]],
    timeout: float,
) -> tuple[float, int]:
    """Until *expected* sources were polled since *since*: (seconds from *since* to the end of
    the last poll, polls failed). Raises when a worker exits or *timeout* passes first."""
    deadline = time.monotonic() + timeout
    while True:
        done, failed, last = polled_since(engine, since)
        if done >= expected and last is not None:
            return (last - since).total_seconds(), failed
        gone = [w.args for w in workers if w.poll() is not None]
        if gone or time.monotonic() > deadline:
            raise RuntimeError(f"cycle unfinished: {done} of {expected} polled; exited: {gone}")
        time.sleep(0.1)


def count_articles(engine: sa.Engine) -> tuple[int, int]:
    """(articles stored, distinct canonical URLs among them)."""
    query = "SELECT count(*), count(DISTINCT canonical_url) FROM articles"
    with engine.connect() as conn:
        total, distinct = conn.execute(sa.text(query)).one()
    return int(total), int(distinct)
