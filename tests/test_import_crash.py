"""kill -9 in the middle of `news-monitor import`: the committed batches stay, the batch in hand
is lost whole, and running the same file again imports what is missing, never a duplicate."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

from console import SCRIPT, clean_env
from demosite import write_config
from monitor.ingest.importer import BATCH

LINES = 5 * BATCH
WORDS = [
    "harbour",
    "council",
    "budget",
    "river",
    "bridge",
    "storm",
    "vote",
    "court",
    "school",
    "rail",
    "hospital",
    "election",
]


def archive(path: Path) -> Path:
    """LINES articles, each its own text (so each is an original, not a copy of another)."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(LINES):
            words = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(40))
            text = f"Report {i} from Town{i % 97}: {words}. The Freedom of Russia Legion {i}."
            row = {
                "url": f"https://archive.example/{i}?utm_source=x",
                "title": f"Item {i} of the archive",
                "text": text,
                "published": f"2025-01-{1 + i % 28:02d}T0{i % 10}:00:00Z",
                "source": "Archive",
            }
            fh.write(json.dumps(row) + "\n")
    return path


def counts(db: Path) -> tuple[str, int, int, int, int, int]:
    """Integrity; articles, distinct URLs, articles in a story, story members, distinct members."""
    with sqlite3.connect(db) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        (arts, distinct, placed) = conn.execute(
            "SELECT count(*), count(DISTINCT canonical_url), count(story_id) FROM articles"
        ).fetchone()
        members, unique = conn.execute(
            "SELECT count(*), count(DISTINCT article_id) FROM story_articles"
        ).fetchone()
    return integrity, arts, distinct, placed, members, unique


def stored(db: Path) -> int:
    try:
        return counts(db)[1] if db.exists() else 0
    except sqlite3.OperationalError:  # no tables yet, or the writer holds the lock a moment
        return 0


def test_kill_during_import_loses_only_the_batch_in_hand(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[]\n")
    file = archive(tmp_path / "archive.jsonl")
    cmd = [str(SCRIPT), "--config", str(config), "import", str(file)]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    db = tmp_path / "state" / "monitor.db"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and stored(db) < BATCH and proc.poll() is None:
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    integrity, arts, distinct, placed, members, unique = counts(db)
    assert integrity == "ok"
    assert BATCH <= arts < LINES, "not killed in the middle"
    assert arts % BATCH == 0  # whole batches only: the one in hand left nothing behind
    assert arts == distinct == placed == members == unique  # every stored one fully staged
    result = subprocess.run(
        cmd, cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert f"imported {LINES - arts} new articles ({arts} already stored" in result.stdout
    integrity, arts, distinct, placed, members, unique = counts(db)
    assert integrity == "ok"
    assert arts == distinct == placed == members == unique == LINES
    with sqlite3.connect(db) as conn:
        matched = conn.execute("SELECT count(*), count(DISTINCT article_id) FROM topic_matches")
        assert matched.fetchone() == (LINES, LINES)  # every text names the topic, once
