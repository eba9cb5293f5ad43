"""The no-op procrastinate app of bench/queue_overhead.py, in a module of its own (procrastinate
warns about an app made in `__main__`), and the worker process it starts."""

from __future__ import annotations

import argparse
import asyncio
import sys

import procrastinate

QUEUE = "bench"


def make_app(conninfo: str) -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo))

    @app.task(name="noop", queue=QUEUE)
    async def noop() -> None:
        return None

    return app


async def serve(conninfo: str, concurrency: int, name: str) -> None:
    """Run the queue until SIGTERM."""
    app = make_app(conninfo)
    async with app.open_async():
        await app.run_worker_async(
            queues=[QUEUE], concurrency=concurrency, name=name, wait=True, delete_jobs="never"
        )


def worker_argv(conninfo: str, concurrency: int, name: str) -> list[str]:
    """The command line of one worker process."""
    here = __file__.rsplit("/", 1)[0]
    code = f"import sys; sys.path.insert(0, {here!r}); import queue_tasks; queue_tasks.main()"
    return [sys.executable, "-c", code, conninfo, str(concurrency), name]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("conninfo")
    parser.add_argument("concurrency", type=int)
    parser.add_argument("name")
    args = parser.parse_args()
    asyncio.run(serve(args.conninfo, args.concurrency, args.name))
