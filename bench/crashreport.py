"""What the crash trials lost or sent twice, read from the farm, the sinks and the state (sqlite3).

- **lost**: an article link of a feed document the farm sent (200) to the daemon, with no row
  in `articles` (by URL) at the end;
- **stored twice**: more `articles` rows than distinct URLs;
- **double content**: an article link shown as new coverage (not as an earlier source) by two
  *different* messages that reached the same sink: two Message-IDs (email: read from the text
  part) or two different bodies (Slack: read from the source lines), by the sinks alone;
- **redeliveries**: the same message (same Message-ID, or the same Slack body) received again,
  which a kill between "sent" and "marked delivered" allows (docs/delivery.md);
- **undelivered**: a matched article that no received message of a channel shows or counts
  (hidden over the cap, held for a mute) once the run has settled. A message is tied to its
  outbox row by its Message-ID or by its exact body (the stored rendering of each Slack part);
- **unknown**: a received message that matches no outbox row.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any, Protocol

# phase → (the -v line that starts it, the lines that end it, seconds it usually lasts)
PHASES: dict[str, tuple[str, tuple[str, ...], float]] = {
    "poll": ("stage=fetch start", ("stage=extract new=", "not modified", "error:"), 0.03),
    "extract": ("stage=extract new=", ("stage=store begin", "error:"), 0.3),
    "store": ("stage=store begin", ("stage=store entries=", "stage=store error"), 0.05),
    "send": (": sending ", (": delivered ", "digest "), 0.03),
}


def in_progress(lines: list[str]) -> set[str]:
    """The phases some source or digest was inside after *lines* (by its subject's name)."""
    open_: dict[tuple[str, str], bool] = {}
    for line in lines:
        subject = line.split("source=", 1)[1].split()[0] if "source=" in line else "digest"
        for phase, (begin, ends, _) in PHASES.items():
            if begin in line and not (phase == "extract" and "new=0" in line):
                open_[(phase, subject)] = True
            elif any(end in line for end in ends) and (phase == "send") == (subject == "digest"):
                open_[(phase, subject)] = False
    return {phase for (phase, _), is_open in open_.items() if is_open}


class Farm(Protocol):
    def served(self) -> dict[int, list[int]]: ...
    def linked(self, index: int, generation: int) -> list[str]: ...


def _rows(db: Path) -> list[sqlite3.Row]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        conn.row_factory = sqlite3.Row
        return list(conn.execute("SELECT * FROM delivery_outbox ORDER BY id"))


def _matched(db: Path) -> set[int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return {r[0] for r in conn.execute("SELECT DISTINCT article_id FROM topic_matches")}


def settled(db: Path, channels: tuple[str, ...]) -> bool:
    """No message pending, and every matched article covered by a delivered row of each channel."""
    try:
        rows = _rows(db)
        matched = _matched(db)
    except sqlite3.Error:
        return False
    if any(r["status"] == "pending" for r in rows):
        return False
    for channel in channels:
        covered: set[int] = set()
        for r in rows:
            if r["channel"] == channel and r["status"] == "delivered":
                covered |= _covered(r)
        if not matched <= covered:
            return False
    return True


def _covered(row: sqlite3.Row) -> set[int]:
    articles = json.loads(row["articles"])
    return {int(a) for key in ("shown", "hidden", "held") for a in articles.get(key, [])}


SOURCE_LINE = re.compile(r"^   - .+?(?P<earlier> \(earlier\))?: (?P<url>https?://\S+)$")
COPY_LINE = re.compile(r"^     also carried by .+?: (?P<url>https?://\S+)$")
SLACK_LINK = re.compile(r"<(https?://[^|>]+)\|")


def email_content(text: str) -> set[str]:
    """The article links a digest's text part shows as new: its source lines not marked
    "(earlier)", and the copies listed under them (the headline's link is not counted)."""
    found: set[str] = set()
    new_root = False
    for line in text.splitlines():
        if m := SOURCE_LINE.match(line):
            new_root = m["earlier"] is None
            if new_root:
                found.add(m["url"])
        elif (m := COPY_LINE.match(line)) and new_root:
            found.add(m["url"])
    return found


def slack_content(body: str) -> set[str]:
    """The article links of a Slack message's source lines (context blocks), not headlines;
    an update lists only the sources with news, and names earlier ones without links."""
    found: set[str] = set()
    for block in json.loads(body).get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "context" else []:
            text = str(element.get("text", ""))
            if text.startswith("First coverage"):
                found.update(SLACK_LINK.findall(text.split(" · earlier: ")[0]))
    return found


def _channel(
    units: list[tuple[str, set[str]]], message_ids: list[str | None], by_id: dict[str, Any]
) -> tuple[dict[str, int], set[int]]:
    """Figures of one channel from (message key, links shown as new) in the order received."""
    first: dict[str, str] = {}  # link → the message that showed it first
    double: set[str] = set()
    for key, links in units:
        for link in links:
            if first.setdefault(link, key) != key:
                double.add(link)
    covered: set[int] = set()
    for message_id in {m for m in message_ids if m is not None}:
        covered |= _covered(by_id[message_id])
    figures = {
        "messages": len(units),
        "digests": len({m for m in message_ids if m is not None}),
        "redeliveries": len(units) - len({key for key, _ in units}),
        "double_content": len(double),
        "unknown": sum(1 for m in message_ids if m is None),
    }
    return figures, covered


def analyse(
    db: Path, farm: Farm, emails: list[tuple[str, str]], slack: list[str]
) -> dict[str, Any]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        stored = {r[0] for r in conn.execute("SELECT url FROM articles")}
        rows_total = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    linked: set[str] = set()
    for index, generations in farm.served().items():
        for generation in generations:
            linked.update(farm.linked(index, generation))
    rows = _rows(db)
    by_id = {r["message_id"]: r for r in rows}
    bodies = {
        part["slack"]: r["message_id"]
        for r in rows
        for part in json.loads(r["payload"])
        if part.get("slack")
    }
    matched = _matched(db)
    report: dict[str, Any] = {
        "integrity": integrity,
        "linked": len(linked),
        "stored": rows_total,
        "lost": len(linked - stored),
        "lost_examples": sorted(linked - stored)[:5],
        "stored_twice": rows_total - len(stored),
        "matched": len(matched),
    }
    channels = {
        "mail": (
            [(mid, email_content(text)) for mid, text in emails],
            [mid if mid in by_id else None for mid, _ in emails],
        ),
        "slack": ([(b, slack_content(b)) for b in slack], [bodies.get(b) for b in slack]),
    }
    for channel, (units, message_ids) in channels.items():
        figures, covered = _channel(units, message_ids, by_id)
        figures["undelivered"] = len(matched - covered)
        figures["links_shown"] = len({link for _, links in units for link in links})
        report[channel] = figures
    return report


def problems(report: dict[str, Any]) -> list[str]:
    """What breaks the promise: anything lost, stored twice, sent twice as new content."""
    found = []
    if report["integrity"] != "ok":
        found.append(f"integrity_check: {report['integrity']}")
    if report["lost"]:
        found.append(f"{report['lost']} articles lost, e.g. {report['lost_examples']}")
    if report["stored_twice"]:
        found.append(f"{report['stored_twice']} articles stored twice")
    for channel in ("mail", "slack"):
        c = report[channel]
        for key in ("double_content", "undelivered", "unknown"):
            if c[key]:
                found.append(f"{channel}: {key} {c[key]}")
    return found
