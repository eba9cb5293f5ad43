"""Copies with light edits through the page path: poll → assemble → extract → copies.

The text-only bench (bench/copies.py) hands the detector texts. A real copy arrives another way:
another outlet republishes a wire story under a new headline with a few words changed, its feed
item carries a teaser ending in "…", and its page — in that outlet's own template — is fetched
and extracted. This bench builds that path from ../shared/data/extraction: for each real page
with its true article body,

* the **original** is the true body, served whole in a full-text feed (`Wire`, `full_text:
  never`);
* the **copy** is the real page itself (its site's template: navigation, share bars, related
  links, footer) with a new headline in `<title>` and `<h1>` and 3 % of the words of its text
  changed, reached through a teaser item of another feed (`Courier`, `full_text: auto`);
* a **held-out** fifth of the pages has no original in the wire: their copies must fold onto
  nothing (the precision control: a real page of another article must not be taken for a copy).

Both arrival orders are run (original first; copy first, as when the wire's feed is polled
late), through the installed `news-monitor` on loopback. Precision = right folds / all folds;
recall = right folds / copies that have an original. For each miss it prints why: the estimated
Jaccard of the extracted text against the original and the shingles of each.

    .venv/bin/python bench/copy_pages.py [--edit 0.03] [--seed 1]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from typing import Any

import lxml.html

from monitor.stories.copies import CopyIndex, jaccard, shared

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "extraction"
sys.path.insert(0, str(ROOT / "tests"))
from httpserver import LocalServer, respond  # noqa: E402

CLI = Path(sys.executable).with_name("news-monitor")
MIN_WORDS = 60
TEASER_WORDS = 26
FILLER = ["new", "local", "said", "other", "report", "more", "also", "first", "last", "major"]
_WORD = re.compile(r"\w+")


STORIES = ROOT.parent / "shared" / "data" / "stories"
_SENT = re.compile(r"(?<=[.!?])\s+")
MOST_READ = [
    "Council approves new bridge budget after long debate",
    "Storm warning issued for the weekend across the region",
    "Local team wins the cup in a dramatic final",
    "Prices at the pump rise for the third week running",
    "School board votes to extend the term by a week",
    "Hospital opens a new wing for children",
    "Festival organisers announce this year's line-up",
    "Police appeal for witnesses after a crash on the ring road",
]


def template_page(headline: str, body: str) -> str:
    """*body* in a news site's template: cookie banner, navigation, share bar, most-read list,
    newsletter box, comments and footer (the boilerplate an extractor has to leave out)."""
    sentences = _SENT.split(body)
    paras = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    nav = " ".join(
        f'<a href="/{w.lower()}">{w}</a>'
        for w in ["News", "Sport", "Business", "Weather", "Opinion", "Culture", "Travel", "Video"]
    )
    most = "".join(f'<li><a href="/read/{i}">{h}</a></li>' for i, h in enumerate(MOST_READ))
    comments = "".join(
        f'<div class="comment"><b>reader{i}</b><p>{c}</p></div>'
        for i, c in enumerate(
            [
                "Terrible news, thoughts with everyone.",
                "Why is nobody talking about this?",
                "Shared.",
            ]
        )
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>{escape(headline)} | The Courier</title>
<meta property="og:site_name" content="The Courier"></head><body>
<div class="cookie">We use cookies to improve your experience. Accept all cookies or manage settings.</div>
<header><div class="logo">The Courier</div><nav>{nav}</nav></header>
<main><article><h1>{escape(headline)}</h1><p class="byline">By Staff Reporter · with wire services</p>
<div class="share">Share this article: Facebook Twitter WhatsApp Email</div>
{"".join(f"<p>{escape(p)}</p>" for p in paras)}
<div class="newsletter">Sign up for our morning briefing: the news you need, in your inbox every day.</div>
</article><aside><h3>Most read</h3><ol>{most}</ol></aside>
<section class="comments"><h3>Comments (3)</h3>{comments}</section></main>
<footer><p>© 2026 The Courier Media Group. All rights reserved.</p><p>About us · Contact · Privacy policy · Terms of use · Advertise</p></footer>
</body></html>"""


def story_pages(limit: int) -> list[tuple[str, str, str]]:
    """(id, text, page HTML) from the GVA dev file: each text in the template of template_page."""
    out = []
    with open(STORIES / "gva.dev.jsonl", encoding="utf-8") as fh:
        for row in map(json.loads, fh):
            if len(row["text"].split()) >= MIN_WORDS:
                out.append(
                    (f"gva{row['doc_id']}", row["text"], template_page(row["title"], row["text"]))
                )
            if len(out) >= limit:
                break
    return out


def pages() -> list[tuple[str, str, str]]:
    """(id, true body, page HTML) of every page whose body has enough words, in id order."""
    truth = json.loads((DATA / "ground-truth.json").read_text())
    out = []
    for page_id in sorted(truth):
        body = truth[page_id]["articleBody"]
        if len(body.split()) >= MIN_WORDS:
            html = gzip.decompress((DATA / "html" / f"{page_id}.html.gz").read_bytes())
            out.append((page_id, body, html.decode("utf-8", "replace")))
    return out


def edited_page(html: str, headline: str, rate: float, rng: random.Random) -> str:
    """The page with a new headline and *rate* of the words of its visible text changed."""
    doc = lxml.html.fromstring(html)
    for el in doc.iter("title", "h1"):
        el.text = headline
        for child in list(el):
            el.remove(child)
    for el in doc.iter():
        if el.tag in ("script", "style") or not isinstance(el.tag, str):
            continue
        for attr in ("text", "tail"):
            value = getattr(el, attr)
            if value and value.strip():
                words = value.split(" ")
                for i, w in enumerate(words):
                    if _WORD.fullmatch(w) and rng.random() < rate:
                        words[i] = rng.choice(FILLER)
                setattr(el, attr, " ".join(words))
    return lxml.html.tostring(doc, encoding="unicode")


def rss(items: list[tuple[str, str, str, str, datetime]]) -> bytes:
    body = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><guid>{escape(g)}</guid>"
        f"<pubDate>{format_datetime(when)}</pubDate><description>{escape(text)}</description>"
        "</item>"
        for t, text, link, g, when in items
    )
    return f"<rss version='2.0'><channel><title>f</title>{body}</channel></rss>".encode()


def run(order: list[str], edit: float, seed: int, corpus: str) -> dict[str, object]:
    rng = random.Random(seed)
    data = pages() if corpus == "pages" else story_pages(200)
    held = {page_id for page_id, _, _ in rng.sample(data, len(data) // 5)}
    t0 = datetime.now(UTC) - timedelta(hours=6)
    with tempfile.TemporaryDirectory() as tmp, LocalServer({}) as server:
        wire, courier = [], []
        for n, (page_id, body, html) in enumerate(data):
            headline = f"Courier exclusive: {' '.join(body.split()[:5])} — update {n}"
            copy_url = server.url(f"/courier/{page_id}.html")
            page = edited_page(html, headline, edit, rng)
            server.routes[f"/courier/{page_id}.html"] = respond(
                200, page.encode(), {"Content-Type": "text/html; charset=utf-8"}
            )
            teaser = " ".join(body.split()[:TEASER_WORDS]) + " …"
            courier.append((headline, teaser, copy_url, f"c{page_id}", t0 + timedelta(hours=1)))
            if page_id not in held:
                link = f"http://wire.invalid/{page_id}"
                wire.append(
                    (f"Wire {page_id}", body, link, f"w{page_id}", t0 + timedelta(minutes=n))
                )
        feed_type = {"Content-Type": "application/rss+xml"}
        server.routes["/wire.rss"] = respond(200, rss(wire), feed_type)
        server.routes["/courier.rss"] = respond(200, rss(courier), feed_type)
        config = Path(tmp) / "feeds.yaml"
        config.write_text(
            f"""settings: {{state_dir: state, extract_workers: 2}}
feeds:
  - {{url: '{server.url("/wire.rss")}', name: Wire, full_text: never}}
  - {{url: '{server.url("/courier.rss")}', name: Courier}}
topics: []
"""
        )
        for name in order:
            done = subprocess.run(
                [str(CLI), "--config", str(config), "poll", name], capture_output=True, text=True
            )
            if done.returncode != 0:
                raise SystemExit(done.stderr)
        exported = subprocess.run(
            [str(CLI), "--config", str(config), "export"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    rows = [json.loads(line) for line in exported.splitlines()]
    return score(rows, {page_id: body for page_id, body, _ in data}, held, order)


def score(
    rows: list[dict[str, Any]], truth: dict[str, str], held: set[str], order: list[str]
) -> dict[str, object]:
    """Label each copy by the copy family (original and copies, by duplicate_of) it ended in.

    *right*: with its own original. *ambiguous*: with another article whose true text is itself
    a copy of its original by the detector's definition (exact shingle Jaccard ≥ the threshold;
    the GVA file holds such republished reports), as bench/copies.py counts them. *false
    positive*: with an article of another text. *missed*: alone although it has an original.
    """
    index = CopyIndex()
    shingles = {page_id: index.hasher.shingles(text) for page_id, text in truth.items()}

    def near(a: str, b: str) -> bool:
        sa, sb = shingles[a], shingles[b]
        return len(sa & sb) / max(1, len(sa | sb)) >= index.settings.threshold

    by_id = {int(r["id"]): r for r in rows}

    def page_of(r: dict[str, Any]) -> str:
        return str(r["url"]).rsplit("/", 1)[-1].removesuffix(".html")

    def root(r: dict[str, Any]) -> int:
        while r["duplicate_of"] is not None:
            r = by_id[int(r["duplicate_of"])]
        return int(r["id"])

    families: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        families.setdefault(root(r), []).append(r)
    counts = dict.fromkeys(
        ("right", "ambiguous", "false_positive", "missed", "negatives", "held_ambiguous"), 0
    )
    misses = []
    for r in rows:
        if r["source"] != "Courier":
            continue
        page_id = page_of(r)
        others = [page_of(o) for o in families[root(r)] if o is not r]
        if page_id in others:
            counts["right"] += 1
        elif any(not near(page_id, o) for o in others if o != page_id):
            counts["false_positive"] += 1
            misses.append(f"  false positive: {page_id} with {others}")
        elif others and page_id not in held:
            counts["ambiguous"] += 1
        elif page_id in held:
            counts["negatives" if not others else "held_ambiguous"] += 1
        else:
            counts["missed"] += 1
            a, b = index.fingerprint(str(r["text"])), index.fingerprint(truth[page_id])
            why = (
                "too short to fingerprint"
                if a is None or b is None
                else f"jaccard {jaccard(a, b):.2f}, shared {shared(a, b):.0f}"
            )
            words = len(str(r["text"]).split())
            misses.append(f"  missed: {page_id} ({words} words extracted): {why}")
    copies = len(truth) - len(held)
    folds = counts["right"] + counts["false_positive"]
    return {
        "order": " then ".join(order),
        "copies": copies,
        "held_out": len(held),
        **counts,
        "precision": counts["right"] / folds if folds else 1.0,
        "recall": (counts["right"] + counts["ambiguous"]) / copies if copies else 1.0,
        "misses": misses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--edit", type=float, default=0.03, help="share of words changed")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--corpus",
        choices=["pages", "gva", "both"],
        default="both",
        help="real pages of ../shared/data/extraction, GVA texts in a site template, or both",
    )
    args = ap.parse_args()
    if not DATA.exists():
        raise SystemExit(f"{DATA} is absent")
    corpora = ["pages", "gva"] if args.corpus == "both" else [args.corpus]
    for corpus, order in [
        (c, o) for c in corpora for o in (["Wire", "Courier"], ["Courier", "Wire"])
    ]:
        result = run(order, args.edit, args.seed, corpus)
        print(
            f"{corpus}, {result['order']}: {result['copies']} copies (+{result['held_out']} without an "
            f"original): right {result['right']}, ambiguous {result['ambiguous']}, false "
            f"positives {result['false_positive']}, missed {result['missed']}, held-out alone "
            f"{result['negatives']} (with a near-copy {result['held_ambiguous']}) — precision {result['precision']:.3f}, recall "
            f"{result['recall']:.3f}"
        )
        for line in result["misses"]:  # type: ignore[attr-defined]
            print(line)


if __name__ == "__main__":
    main()
