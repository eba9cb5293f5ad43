"""Several `news-monitor run` daemons on one PostgreSQL database (issue 15's first two cases).

Started at once on a fresh database, none may fail on the config sync; polling one farm
together, they must store every article once, with no poll lost to a deadlock between their
concurrent commits (the `term_stats` and posting upserts). Which daemon polls which source is
theirs to settle through the leases.
"""

from __future__ import annotations

import random
import subprocess
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import sqlalchemy as sa

from console import SCRIPT, clean_env
from demosite import write_config
from httpserver import Exchange, Handler, LocalServer

FEEDS = 24
ITEMS = 5
DAEMONS = 3
VOCABULARY = [
    "council",
    "budget",
    "river",
    "bridge",
    "flood",
    "storm",
    "harbour",
    "minister",
    "election",
    "court",
    "police",
    "hospital",
    "school",
    "strike",
    "union",
    "factory",
    "railway",
    "airport",
    "energy",
    "prices",
    "drought",
    "harvest",
    "museum",
    "festival",
    "stadium",
    "league",
    "coach",
    "mayor",
    "protest",
    "treaty",
    "border",
    "army",
    "navy",
    "ceasefire",
    "talks",
    "summit",
    "bank",
]


def article(rng: random.Random, n: int) -> str:
    """A text of shared words, so that every poll upserts many of the same terms."""
    return " ".join(rng.choice(VOCABULARY) for _ in range(160)) + f" item{n}."


def feed(index: int) -> Handler:
    rng = random.Random(index)
    now = datetime.now(UTC)
    items = "".join(
        f"<item><title>Report {index}-{n}</title><link>http://127.0.0.1:9/{index}/{n}</link>"
        f"<guid>g{index}-{n}</guid><pubDate>{format_datetime(now - timedelta(minutes=n))}"
        f"</pubDate><description>{article(rng, n)}</description></item>"
        for n in range(ITEMS)
    )
    body = f"<rss version='2.0'><channel><title>F{index}</title>{items}</channel></rss>".encode()

    def handle(ex: Exchange) -> None:
        ex.sleep(0.05)
        ex.send(200, body, {"Content-Type": "application/rss+xml"})

    return handle


def test_three_daemons_on_one_postgres_start_together_and_lose_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    routes = {f"/f{i}.rss": feed(i) for i in range(FEEDS)}
    with LocalServer(routes) as server:
        feeds = "".join(
            f"- {{url: '{server.url(f'/f{i}.rss')}', name: F{i}, full_text: never}}\n"
            for i in range(FEEDS)
        )
        config = write_config(tmp_path, feeds)
        text = config.read_text().replace(
            "  state_dir: state\n", f"  state_dir: state\n  database_url: '{pg_url}'\n"
        )
        config.write_text(text.replace("tick: 200ms", "tick: 200ms\n  concurrency: 4"))
        logs = [tmp_path / f"daemon{n}.log" for n in range(DAEMONS)]
        daemons = []
        for log_path in logs:  # at once, on a database no daemon has migrated yet
            with log_path.open("w") as log:
                daemons.append(
                    subprocess.Popen(
                        [str(SCRIPT), "--config", str(config), "run"],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=clean_env(),
                    )  # fmt: skip
                )
        engine = sa.create_engine(pg_url)
        try:
            deadline = time.monotonic() + 90
            stored = 0
            while time.monotonic() < deadline and stored < FEEDS * ITEMS:
                time.sleep(0.5)
                if any(d.poll() is not None for d in daemons):
                    break
                try:
                    with engine.connect() as conn:
                        stored = conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
                except sa.exc.ProgrammingError:  # not migrated yet
                    continue
            exits = [d.poll() for d in daemons]
        finally:
            for d in daemons:
                d.terminate()
            for d in daemons:
                d.wait(timeout=30)
        text = "\n".join(f"--- {p.name}\n{p.read_text()}" for p in logs)
        assert exits == [None] * DAEMONS, text  # every daemon still running
        with engine.connect() as conn:
            count = conn.execute(sa.text("SELECT count(*) FROM articles")).scalar_one()
            distinct = conn.execute(
                sa.text("SELECT count(DISTINCT canonical_url) FROM articles")
            ).scalar_one()
            failed = conn.execute(
                sa.text("SELECT name, last_error FROM sources WHERE last_error IS NOT NULL")
            ).all()
        engine.dispose()
        assert (count, distinct) == (FEEDS * ITEMS, FEEDS * ITEMS), text
        assert failed == [], text
        assert "unexpected error" not in text and "Deadlock" not in text
        assert "Traceback" not in text
        started = [p.read_text().count("daemon started") for p in logs]
        assert started == [1] * DAEMONS
