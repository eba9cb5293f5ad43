"""Benchmark: the extract stage (process pool) vs plain trafilatura on ../shared/data/extraction.

    .venv/bin/python bench/extract.py [--workers N] [--options]

Prints pages/s of both paths, their ratio, and the benchmark F1/P/R (bench/metrics.py) of
what the project's stage returned; --options also scores trafilatura option sets.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import trafilatura

from metrics import Score, corpus_score
from monitor.extract import TRAFILATURA_OPTIONS, ExtractPool

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "extraction"
OPTION_SETS: dict[str, dict[str, Any]] = {
    "default": {},
    "include_comments=False": {"include_comments": False},
    "favor_precision=True": {"favor_precision": True},
    "include_comments=False, favor_precision=True": {
        "include_comments": False,
        "favor_precision": True,
    },
    "favor_recall=True": {"favor_recall": True},
    "include_comments=False, favor_recall=True": {"include_comments": False, "favor_recall": True},
}

Page = tuple[str, bytes, str, str]  # id, html, url, true article body


def load_pages() -> list[Page]:
    truth = json.loads((DATA / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id, item in sorted(truth.items()):
        html = gzip.decompress((DATA / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append((page_id, html, item["url"], item["articleBody"]))
    return pages


async def run_pool(
    pages: list[Page], workers: int | None, repeat: int
) -> tuple[list[str | None], float, float]:
    """The project's stage: (texts, seconds to start the pool, best seconds for the pages)."""
    pool = ExtractPool(workers)
    try:
        start = time.perf_counter()
        # start every worker (imports included) before the clock runs, as in the running daemon
        warm = b"<html><body><p>warm up</p></body></html>"
        await asyncio.gather(*(pool.extract(warm, "http://x/") for _ in range(pool.workers * 2)))
        startup = time.perf_counter() - start
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            results = await asyncio.gather(*(pool.extract(html, url) for _, html, url, _ in pages))
            best = min(best, time.perf_counter() - start)
    finally:
        pool.close()
    return [r.text if r else None for r in results], startup, best


def run_plain(
    pages: list[Page], options: dict[str, Any], repeat: int = 1
) -> tuple[list[str | None], float]:
    """Plain single-process trafilatura.extract: (texts, best seconds for the pages)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        texts = [trafilatura.extract(html, url=url, **options) for _, html, url, _ in pages]
        best = min(best, time.perf_counter() - start)
    return texts, best


def score(pages: list[Page], texts: list[str | None]) -> Score:
    return corpus_score((true, text) for (_, _, _, true), text in zip(pages, texts, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="pool size (default: CPUs)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per path; the best counts")
    parser.add_argument("--options", action="store_true", help="also compare trafilatura options")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"no benchmark data at {DATA}", file=sys.stderr)
        return 1
    pages = load_pages()
    n = len(pages)
    print(f"{n} pages from {DATA}")
    plain_texts, plain_s = run_plain(pages, TRAFILATURA_OPTIONS, args.repeat)
    texts, startup, pool_s = asyncio.run(run_pool(pages, args.workers, args.repeat))
    workers = ExtractPool(args.workers).workers
    print(f"options: {TRAFILATURA_OPTIONS}; best of {args.repeat} runs; {os.cpu_count()} CPUs")
    print(f"plain trafilatura.extract, 1 process: {n / plain_s:6.1f} pages/s ({plain_s:.2f} s)")
    print(
        f"project stage, pool of {workers} workers : {n / pool_s:6.1f} pages/s ({pool_s:.2f} s;"
        f" + metadata; pool start {startup:.2f} s, not counted)"
    )
    print(f"ratio project/plain                 : {plain_s / pool_s:6.2f}x")
    print(f"project stage          : {score(pages, texts)}")
    print(f"plain, same options    : {score(pages, plain_texts)}")
    failed = sum(t is None for t in texts)
    print(f"pages without text from the stage: {failed}")
    if args.options:
        print("\ntrafilatura option sets (single process, text only):")
        for name, options in OPTION_SETS.items():
            option_texts, seconds = run_plain(pages, options)
            print(f"  {name:46s} {score(pages, option_texts)}  {n / seconds:6.1f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
