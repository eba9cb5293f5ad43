"""Terminal output helpers: tables, times, a progress bar that only draws on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TextIO


def plural(count: int, noun: str) -> str:
    """'1 source', '2 sources'."""
    return f"{count} {noun}" + ("" if count == 1 else "s")


def clip(text: str, limit: int) -> str:
    """*text* on one line, at most *limit* characters; a cut one ends in '…'."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def short_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value else "-"


def short_iso(value: str | None) -> str:
    """`short_time` of a time already in its JSON form (ISO 8601 with offset)."""
    return short_time(datetime.fromisoformat(value)) if value else "-"


def table(
    rows: Sequence[Sequence[object]], headers: Sequence[str], out: TextIO | None = None
) -> None:
    out = out or sys.stdout
    cells = [[str(h) for h in headers]] + [["-" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        line = "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        print(line, file=out)
        if n == 0:
            print("  ".join("-" * w for w in widths), file=out)


class Progress:
    """`[####......] 12/40 name` on a terminal's stderr; silent elsewhere."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self.enabled = self.out.isatty()
        self.done = 0

    def step(self, label: str, total: int) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / max(total, 1))
        bar = "#" * filled + "." * (width - filled)
        self.out.write(f"\r[{bar}] {self.done}/{total} {label[:40]:<40}")
        self.out.flush()
        if self.done >= total:
            self.out.write("\n")
