"""Queue overhead: a no-op procrastinate job's round trip, and the jobs/s one PostgreSQL sustains.

    .venv/bin/python bench/queue_overhead.py [--round-trips 200] [--jobs 5000]
                                             [--processes 1,4] [--concurrency 10]

procrastinate itself (not news-monitor's worker), on a PostgreSQL of its own (bench/multihost.py;
durable: fsync and synchronous commit on, as a production server), over TCP on loopback.

(1) Round trip: one worker process (LISTEN/NOTIFY on, as by default) idles; the bench defers a
    no-op job and waits until its status is `succeeded`, one job after another: p50/p90/max,
    as the bench saw it and from the database's own event times (deferred → succeeded). The
    baselines, in the same run: a `SELECT 1` round trip, and a committed one-row INSERT (a
    job's life is at least three commits: defer, fetch, finish).
(2) Throughput: P worker processes (each `concurrency` C) idle; the bench defers J no-op jobs
    in batches of 500; jobs/s from the first job's start to the last one's success
    (procrastinate_events), and the ratio to the first P given (the baseline, 1 process).
    Also the CPU seconds of the workers and of the PostgreSQL server per 1,000 jobs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import time

import psutil
import psycopg

from multihost import Postgres
from queue_tasks import make_app, worker_argv


def conninfo(pg: Postgres, database: str) -> str:
    return f"postgresql://postgres@{pg.listen}:{pg.port}/{database}"


def start_workers(info: str, count: int, concurrency: int) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen(worker_argv(info, concurrency, f"w{n}")) for n in range(count)]


def wait_registered(conn: psycopg.Connection, count: int, timeout: float = 60) -> None:
    """Until *count* workers are in procrastinate_workers (they have started their loops)."""
    deadline = time.monotonic() + timeout
    while conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone() != (count,):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{count} workers did not register within {timeout}s")
        time.sleep(0.05)
    time.sleep(0.5)  # their LISTEN is issued right after


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        w.terminate()
    for w in workers:
        try:
            w.wait(20)
        except subprocess.TimeoutExpired:
            w.kill()
            w.wait(5)


def cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds of these processes and their children, so far."""
    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def postmaster_pid(pg: Postgres) -> int:
    assert pg.root is not None
    return int((pg.root / "data" / "postmaster.pid").read_text().split()[0])


def quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[int(0.9 * (len(ordered) - 1))]
    med = statistics.median(ordered)
    return f"p50 {med * 1000:.2f} ms, p90 {p90 * 1000:.2f} ms, max {ordered[-1] * 1000:.2f} ms"


def baselines(info: str, count: int) -> tuple[list[float], list[float]]:
    """Round trips of `SELECT 1` and of a committed one-row INSERT on one connection."""
    selects, inserts = [], []
    with psycopg.connect(info, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_rows (id bigserial, at timestamptz)")
        for _ in range(count):
            t = time.perf_counter()
            conn.execute("SELECT 1").fetchone()
            selects.append(time.perf_counter() - t)
            t = time.perf_counter()
            conn.execute("INSERT INTO bench_rows (at) VALUES (now())")
            inserts.append(time.perf_counter() - t)
    return selects, inserts


async def round_trips(info: str, count: int) -> tuple[list[float], list[float]]:
    """(seen by the bench, deferred → succeeded in the database) for *count* jobs in a row."""
    app = make_app(info)
    seen: list[float] = []
    ids: list[int] = []
    async with app.open_async():
        noop = app.tasks["noop"]
        for _ in range(count):
            t = time.perf_counter()
            job_id = await noop.defer_async()
            while (await app.job_manager.get_job_status_async(job_id)).value != "succeeded":
                await asyncio.sleep(0.0005)
            seen.append(time.perf_counter() - t)
            ids.append(job_id)
    with psycopg.connect(info) as conn:
        rows = conn.execute(
            "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded')"
            " - min(at) FILTER (WHERE type = 'deferred'))"
            " FROM procrastinate_events WHERE job_id = ANY(%s) GROUP BY job_id",
            (ids,),
        ).fetchall()
    return seen, [float(r[0]) for r in rows]


async def defer_many(info: str, jobs: int, batch: int = 500) -> None:
    app = make_app(info)
    async with app.open_async():
        noop = app.tasks["noop"]
        for start in range(0, jobs, batch):
            await noop.batch_defer_async(*({} for _ in range(min(batch, jobs - start))))


def throughput(
    pg: Postgres, database: str, processes: int, jobs: int, concurrency: int
) -> tuple[float, float, float]:
    """(jobs/s, worker CPU s per 1,000 jobs, PostgreSQL CPU s per 1,000 jobs)."""
    info = conninfo(pg, database)
    workers = start_workers(info, processes, concurrency)
    try:
        with psycopg.connect(info, autocommit=True) as conn:
            wait_registered(conn, processes)
            server = [postmaster_pid(pg)]
            cpu0, db0 = cpu_of([w.pid for w in workers]), cpu_of(server)
            asyncio.run(defer_many(info, jobs))
            deadline = time.monotonic() + 600
            done = 0
            while done < jobs and time.monotonic() < deadline:
                time.sleep(0.1)
                row = conn.execute(
                    "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
                ).fetchone()
                done = int(row[0]) if row else 0
            cpu1, db1 = cpu_of([w.pid for w in workers]), cpu_of(server)
            span = conn.execute(
                "SELECT extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded')"
                " - min(at) FILTER (WHERE type = 'started')) FROM procrastinate_events"
            ).fetchone()
    finally:
        stop(workers)
    if done < jobs:
        raise RuntimeError(f"only {done} of {jobs} jobs done within 600 s")
    assert span is not None
    seconds = float(span[0])
    return jobs / seconds, (cpu1 - cpu0) / jobs * 1000, (db1 - db0) / jobs * 1000


def fresh_database(pg: Postgres, name: str) -> str:
    pg.create_database(name)
    info = conninfo(pg, name)
    app = make_app(info)
    with app.open():
        app.schema_manager.apply_schema()
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--round-trips", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--processes", default="1,4", help="worker processes, e.g. 1,4")
    parser.add_argument("--concurrency", type=int, default=10, help="jobs at once a process")
    args = parser.parse_args()
    counts = [int(n) for n in args.processes.split(",")]
    print(f"load {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with Postgres() as pg:
        print(f"PostgreSQL of its own on {pg.listen}:{pg.port} (fsync on)\n")
        info = conninfo(pg, fresh_database(pg, "nm_queue_rt"))
        selects, inserts = baselines(info, args.round_trips)
        workers = start_workers(info, 1, 1)
        try:
            with psycopg.connect(info, autocommit=True) as conn:
                wait_registered(conn, 1)
            seen, inside = asyncio.run(round_trips(info, args.round_trips))
        finally:
            stop(workers)
        print(f"round trip, {args.round_trips} no-op jobs one after another, 1 worker process")
        print(f"  SELECT 1               {quantiles(selects)}")
        print(f"  INSERT, committed      {quantiles(inserts)}")
        print(f"  job, seen by the bench {quantiles(seen)}")
        print(f"  job, in the database   {quantiles(inside)}  (deferred → succeeded)")
        commit = statistics.median(inserts)
        print(f"  ratio job / committed INSERT: {statistics.median(seen) / commit:.1f}× (p50)\n")
        print(f"throughput, {args.jobs} no-op jobs, concurrency {args.concurrency} a process")
        base = None
        for count in counts:
            name = fresh_database(pg, f"nm_queue_{count}")
            rate, cpu, db = throughput(pg, name, count, args.jobs, args.concurrency)
            base = base or rate
            print(
                f"  {count} process(es): {rate:7.0f} jobs/s ({rate / base:.2f}× {counts[0]}),"
                f" CPU per 1,000 jobs: workers {cpu:.2f} s, PostgreSQL {db:.2f} s"
            )
            pg.psql(f'DROP DATABASE "{name}" WITH (FORCE)')
    print(f"\nload {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
