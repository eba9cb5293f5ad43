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

import psutil
import trafilatura

from metrics import Score, corpus_score
from monitor.extract.article import TRAFILATURA_OPTIONS, ExtractPool, extract_article

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
) -> tuple[list[str | None], float, float, float]:
    """The project's stage: (texts, pool start seconds, best seconds and worker CPU seconds)."""
    pool = ExtractPool(workers)
    try:
        start = time.perf_counter()
        # start every worker (imports included) before the clock runs, as in the running daemon
        warm = b"<html><body><p>warm up</p></body></html>"
        await asyncio.gather(*(pool.extract(warm, "http://x/") for _ in range(pool.workers * 2)))
        startup = time.perf_counter() - start
        best = cpu = float("inf")
        for _ in range(repeat):
            start, cpu_start = time.perf_counter(), workers_cpu()
            results = await asyncio.gather(*(pool.extract(html, url) for _, html, url, _ in pages))
            best = min(best, time.perf_counter() - start)
            cpu = min(cpu, workers_cpu() - cpu_start)
    finally:
        pool.close()
    return [r.text if r else None for r in results], startup, best, cpu


def workers_cpu() -> float:
    """CPU seconds used so far by this process's descendants (the pool's workers)."""
    total = 0.0
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def run_plain(
    pages: list[Page], options: dict[str, Any], repeat: int = 1
) -> tuple[list[str | None], float, float]:
    """Plain single-process trafilatura.extract: (texts, best seconds, best CPU seconds)."""
    best = cpu = float("inf")
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        texts = [trafilatura.extract(html, url=url, **options) for _, html, url, _ in pages]
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - cpu_start)
    return texts, best, cpu


def run_stage_inline(pages: list[Page], repeat: int) -> tuple[float, float]:
    """The project's extract_article in this process, no pool: (best seconds, CPU seconds)."""
    best = cpu = float("inf")
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _, html, url, _ in pages:
            extract_article(html, url)
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - cpu_start)
    return best, cpu


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
    plain_texts, plain_s, plain_cpu = run_plain(pages, TRAFILATURA_OPTIONS, args.repeat)
    texts, startup, pool_s, pool_cpu = asyncio.run(run_pool(pages, args.workers, args.repeat))
    inline_s, inline_cpu = run_stage_inline(pages, args.repeat)
    workers = ExtractPool(args.workers).workers
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"options: {TRAFILATURA_OPTIONS}; best of {args.repeat} runs")
    print(f"{os.cpu_count()} CPUs, load average {load} (other work shares the CPUs)")
    ms = 1000 / n
    rows = [
        ("plain trafilatura.extract, 1 process", plain_s, plain_cpu),
        (f"project stage, pool of {workers} workers", pool_s, pool_cpu),
        ("project extract_article, no pool", inline_s, inline_cpu),
    ]
    for label, seconds, cpu in rows:
        print(
            f"{label:38s} {n / seconds:6.1f} pages/s  {cpu * ms:5.1f} CPU-ms/page  ({seconds:.2f} s)"
        )
    print(f"pool start (not counted above): {startup:.2f} s; the stage also extracts metadata")
    print(f"ratio project stage / plain, pages/s: {plain_s / pool_s:.2f}x")
    print(f"project stage          : {score(pages, texts)}")
    print(f"plain, same options    : {score(pages, plain_texts)}")
    failed = sum(t is None for t in texts)
    print(f"pages without text from the stage: {failed}")
    if args.options:
        print("\ntrafilatura option sets (single process, text only):")
        for name, options in OPTION_SETS.items():
            option_texts, seconds, _ = run_plain(pages, options)
            print(f"  {name:46s} {score(pages, option_texts)}  {n / seconds:6.1f} pages/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
