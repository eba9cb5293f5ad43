"""Scale benchmark (issue 15): cold and warm cycles of the feed farm with 1, 2 and 4 workers on
one PostgreSQL database, on a CPU-bound farm and a latency-bound one.

    .venv/bin/python bench/scale.py [--feeds 2000] [--items 20] [--workers 1,2,4]
                                    [--farms cpu,latency] [--latency 0.2] [--concurrency 20] [--per-host 2]
                                    [--hosts loopback|netns] [--kind auto|worker|run]
                                    [--profile DIR [--profile-cycles warm]]

The farm is bench/feedfarm.py's (20 items a feed with their full content, on 50 hosts): `cpu`
answers at once on loopback, `latency` holds every answer back `--latency` seconds, like a
real site. For each farm and each worker count, a fresh database on a PostgreSQL of the
bench's own (bench/multihost.py, fsync on) is migrated and synced to a config of every farm
feed; the workers start with nothing due; then every source is made due (the cold cycle:
every item new) and, once all are polled, again (the warm cycle: every feed answers 304).
A cycle lasts from the moment the sources are due until the end of the last poll (the
sources' `last_success`). Figures: feeds/s and articles/s, the ratio to the first worker
count given (the baseline, 1 worker, measured in the same run), the CPU seconds of the
workers and of PostgreSQL, and what the farm saw: the most requests in flight to one host
(against `fetch.per_host_limit`), the most connections to one host, and feeds asked again
while their answer was pending (a source polled twice at once).

The worker is `news-monitor worker --concurrency N` when the installed command has it (`--kind
auto`), else `news-monitor run` daemons (`settings.concurrency` N) stand in: several may share
one PostgreSQL database (docs/decisions.md, Leases). With `--hosts netns` (root only) each
worker runs in a network namespace of its own (bench/multihost.py), the farm and PostgreSQL on
the bridge's addresses; by default all run in the root namespace on loopback.
With `--profile DIR` the chosen cycles are profiled (bench/scale_profile.py): py-spy in each
worker, pg_stat_statements in the bench's PostgreSQL (statements a poll); not speed figures.
Targets (issue 15; reported, not asserted): CPU-bound, 2 workers ≥ 1.7× one; latency-bound,
4 workers ≥ 3.2× one with the per-host limits held.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

import multihost
import scale_profile
from feedfarm import FeedFarm

FAR = datetime(2100, 1, 1)


@dataclass
class Row:
    farm: str
    workers: int
    cycle: str
    seconds: float
    feeds: int
    articles: int
    failed: int
    cpu: float  # the workers' CPU seconds (with their children)
    db_cpu: float  # PostgreSQL's
    load: dict[str, Any]
    loadavg: float

    @property
    def feeds_per_second(self) -> float:
        return self.feeds / self.seconds if self.seconds > 0 else float("inf")

    @property
    def articles_per_second(self) -> float:
        return self.articles / self.seconds if self.seconds > 0 else float("inf")


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    t = p.cpu_times()
                    total += t.user + t.system + t.children_user + t.children_system
    return total


def prepare(config: Path, engine: sa.Engine) -> None:
    """Migrate the database and sync the sources (as a worker's start would), nothing due."""
    from monitor.app import App
    from monitor.config import load_config

    App.open(load_config(config, {})).close()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE sources SET next_check_at = :far"), {"far": FAR})


def run_cluster(
    args: argparse.Namespace,
    farm_name: str,
    farm: FeedFarm,
    count: int,
    pg: multihost.Postgres,
    net: multihost.Network | None,
    kind: str,
    tmp: Path,
) -> list[Row]:
    """A fresh database, *count* workers on it, a cold and a warm cycle: their rows."""
    database = f"nm_scale_{farm_name}_{count}"
    url = pg.create_database(database)
    engine = sa.create_engine(url)
    config = multihost.write_config(
        tmp / f"{database}.yaml",
        farm.urls,
        url,
        concurrency=args.concurrency,
        per_host=args.per_host,
        global_limit=max(50, args.concurrency),
    )
    prepare(config, engine)
    logs = [tmp / f"{database}-w{n}.log" for n in range(count)]
    workers: list[subprocess.Popen[bytes]] = []
    rows = []
    try:
        for n, log in enumerate(logs):
            argv = multihost.worker_argv(config, args.concurrency, kind)
            if net is None:
                workers.append(multihost.start_worker(argv, log))
            else:
                prefix = net.prefix(n % len(net.namespaces))
                workers.append(multihost.start_worker(argv, log, prefix=prefix, hostname=f"w{n}"))
        multihost.wait_for_logs(logs, multihost.READY[kind], workers, timeout=120)
        server = [postmaster_pid(pg)]
        for cycle in ("cold", "warm"):
            farm.reset_load()
            before = multihost.count_articles(engine)[0]
            cpu0, db0 = cpu_of([w.pid for w in workers]), cpu_of(server)
            label = f"{farm_name}-{count}-{cycle}"
            out = args.profile if cycle in args.profile_cycles.split(",") else None
            with scale_profile.profiled(
                out, label, [w.pid for w in workers], engine, len(farm.urls)
            ):
                since = multihost.make_due(engine)
                seconds, failed = multihost.wait_cycle(
                    engine, since, len(farm.urls), workers, timeout=args.cycle_timeout
                )
            cpu1, db1 = cpu_of([w.pid for w in workers]), cpu_of(server)
            stored, distinct = multihost.count_articles(engine)
            if stored != distinct:
                print(f"  !! {stored - distinct} articles stored twice", file=sys.stderr)
            rows.append(
                Row(
                    farm_name,
                    count,
                    cycle,
                    seconds,
                    len(farm.urls),
                    stored - before,
                    failed,
                    cpu1 - cpu0,
                    db1 - db0,
                    farm.load(),
                    os.getloadavg()[0],
                )
            )
            print("  " + line(rows[-1], None), flush=True)
    finally:
        exits = multihost.stop_workers(workers)
        engine.dispose()
        if any(code not in (0, -15) for code in exits):
            for log in logs:
                print(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}", file=sys.stderr)
        with contextlib.suppress(RuntimeError):
            pg.psql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return rows


def postmaster_pid(pg: multihost.Postgres) -> int:
    assert pg.root is not None
    return int((pg.root / "data" / "postmaster.pid").read_text().split()[0])


def line(row: Row, base: Row | None) -> str:
    ratio = f"{row.feeds_per_second / base.feeds_per_second:5.2f}×" if base else "     "
    load = row.load
    return (
        f"{row.farm:7} {row.workers} worker(s) {row.cycle}: {row.seconds:7.1f} s"
        f" {row.feeds_per_second:7.1f} feeds/s {row.articles_per_second:7.1f} articles/s {ratio}"
        f" | CPU workers {row.cpu:6.1f} s, PostgreSQL {row.db_cpu:5.1f} s"
        f" | per host: ≤{load['max_in_flight_per_host']} in flight,"
        f" ≤{load['max_connections_per_host']} connections"
        f" | feeds asked while pending: {load['feed_overlaps']}"
        f" | failed {row.failed} | load {row.loadavg:.2f}"
    )


@contextlib.contextmanager
def hosts(mode: str, count: int) -> Iterator[tuple[multihost.Network | None, str]]:
    """The network (None on loopback) and the address PostgreSQL listens on."""
    if mode == "loopback":
        yield None, "127.0.0.1"
        return
    reason = multihost.skip_reason()
    if reason:
        raise SystemExit(f"--hosts netns: {reason}")
    with multihost.Network(hosts=count, farm_addresses=50) as net:
        yield net, net.bridge_address


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> None:
    # SIGTERM (and SIGINT, ignored in a background job) end the run through the cleanup below:
    # workers stopped, PostgreSQL stopped and its directory removed, namespaces removed
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, the first is the base")
    parser.add_argument("--farms", default="cpu,latency", help="cpu, latency or both")
    parser.add_argument("--items", type=int, default=20, help="items a feed (all new, cold)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds, the latency farm")
    parser.add_argument("--concurrency", type=int, default=20, help="sources at once a worker")
    parser.add_argument("--per-host", type=int, default=2, help="fetch.per_host_limit")
    parser.add_argument("--hosts", choices=["loopback", "netns"], default="loopback")
    parser.add_argument("--kind", choices=["auto", "worker", "run"], default="auto")
    parser.add_argument("--cycle-timeout", type=float, default=1800.0)
    parser.add_argument("--profile", type=Path, help="py-spy and pg_stat_statements, to DIR")
    parser.add_argument("--profile-cycles", default="warm", help="cold, warm or both")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    kind = args.kind
    if kind == "auto":
        kind = "worker" if multihost.has_worker_command() else "run"
    label = "news-monitor worker" if kind == "worker" else "news-monitor run (stand-in for worker)"
    print(f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    print(
        f"{args.feeds} feeds of {args.items} items, workers {counts}: {label}, concurrency {args.concurrency} each,"
        f" per_host_limit {args.per_host}, hosts: {args.hosts}\n"
    )
    rows: list[Row] = []
    with (
        hosts(args.hosts, max(counts)) as (net, listen),
        multihost.Postgres(
            listen=listen, settings=scale_profile.SETTINGS if args.profile else ()
        ) as pg,
        tempfile.TemporaryDirectory(prefix="nm_scale_") as tmp,
    ):
        for farm_name in args.farms.split(","):
            latency = args.latency if farm_name == "latency" else 0.0
            addresses = net.farm_addresses if net else ()
            with FeedFarm(
                args.feeds, items=args.items, latency=latency, addresses=addresses
            ) as farm:
                print(f"farm {farm_name}: latency {latency} s, {len(farm.urls)} feeds")
                for count in counts:
                    rows += run_cluster(args, farm_name, farm, count, pg, net, kind, Path(tmp))
    print("\nsummary (ratio: feeds/s against the first worker count of the same farm and cycle)")
    for row in rows:
        base = next(r for r in rows if r.farm == row.farm and r.cycle == row.cycle)
        print("  " + line(row, base))
    print()
    targets(rows, counts, args.per_host)
    print(f"\nload {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def targets(rows: list[Row], counts: list[int], per_host: int) -> None:
    """Issue 15's targets against what was measured (cold cycles; warm shown beside)."""

    def rate(farm: str, workers: int, cycle: str) -> float | None:
        found = [r for r in rows if (r.farm, r.workers, r.cycle) == (farm, workers, cycle)]
        return found[0].feeds_per_second if found else None

    for farm, workers, target in (("cpu", 2, 1.7), ("latency", 4, 3.2)):
        for cycle in ("cold", "warm"):
            one, many = rate(farm, 1, cycle), rate(farm, workers, cycle)
            if one is None or many is None:
                print(f"target {farm} {workers} workers ≥ {target}× one ({cycle}): not measured")
                continue
            held = ""
            if farm == "latency":
                peak = max(r.load["max_in_flight_per_host"] for r in rows if r.farm == farm)
                held = f"; per-host limit {per_host}: peak {peak} in flight to one host"
                held += " (held)" if peak <= per_host else " (NOT held)"
            met = "met" if many / one >= target else "not met"
            print(
                f"target {farm} {workers} workers ≥ {target}× one ({cycle}):"
                f" {many / one:.2f}×, {met}{held}"
            )


if __name__ == "__main__":
    main()
