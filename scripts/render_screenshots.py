"""Render docs/digest-email.png and docs/digest-slack.png from fixture digests (headless Chromium).

Usage: python scripts/render_screenshots.py [--chromium PATH] [--out docs]
Not part of the tests: it needs Chromium (Debian: apt-get install chromium).
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.digest import render
from monitor.digest.build import Digest, DigestSource, DigestStory

T0 = datetime(2024, 5, 2, 5, 40, tzinfo=UTC)
TZ = "Europe/Berlin"


def src(n: int, outlet: str, host: str, new: bool = True, *copies: DigestSource) -> DigestSource:
    return DigestSource(
        article_id=n, outlet=outlet, url=f"https://{host}/2024/05/02/legion-{n}",
        title=outlet, published=T0 + timedelta(minutes=7 * n), new=new, copies=copies,
    )  # fmt: skip


def fixture() -> Digest:
    defect = DigestStory(
        key="s1",
        headline="Russian army unit defects to the Freedom of Russia Legion near Belgorod",
        url="https://kyivpost.example/2024/05/02/legion-1",
        snippet="A company of about forty soldiers crossed the line overnight and joined the "
        "Freedom of Russia Legion, the unit's commander said in a video statement on Thursday.",
        first_seen=T0, latest=T0 + timedelta(minutes=50), relevance=3.2, is_update=False,
        new_sources=7,
        sources=(
            src(1, "Kyiv Post", "kyivpost.example", True,
                src(11, "Yahoo News", "news.yahoo.example"), src(12, "MSN", "msn.example")),
            src(2, "Meduza", "meduza.example"),
            src(3, "The Insider", "theins.example"),
            src(4, "Novaya Gazeta Europe", "novayagazeta.example"),
            src(5, "Ukrainska Pravda (translated)", "pravda.example"),
        ),
    )  # fmt: skip
    raid = DigestStory(
        key="s2",
        headline="Legion claims second raid across the border in a week",
        url="https://reuters.example/2024/05/02/legion-6",
        snippet="Fighters of the Legion of Free Russia said they had briefly held a village "
        "in the Kursk region before withdrawing; Moscow said the attack was repelled.",
        first_seen=T0 - timedelta(days=1), latest=T0 + timedelta(minutes=30), relevance=2.1,
        is_update=True, new_sources=1,
        sources=(
            src(6, "Reuters", "reuters.example", False),
            src(7, "BBC News", "bbc.example", False),
            src(8, "Radio Liberty", "rferl.example", True),
        ),
    )  # fmt: skip
    interview = DigestStory(
        key="a9",
        headline="Interview: why Russians join a legion fighting their own army",
        url="https://dw.example/2024/05/02/legion-9",
        snippet="Three volunteers of the Freedom of Russia Legion describe the vetting, the "
        "training and what they expect when the war ends.",
        first_seen=T0 + timedelta(hours=1), latest=T0 + timedelta(hours=1), relevance=1.4,
        is_update=False, new_sources=1, sources=(src(9, "Deutsche Welle", "dw.example"),),
    )  # fmt: skip
    return Digest(
        name="legion-daily", channel="analysts", topics=("Freedom of Russia Legion",),
        built_at=T0 + timedelta(hours=2, minutes=20), since=T0 - timedelta(hours=21, minutes=40),
        order="relevance", stories=(defect, raid, interview), more=2, total_stories=5,
        new_stories=4, updates=1, new_sources=12, watermark=T0, shown_article_ids=(),
        hidden_article_ids=(),
    )  # fmt: skip


_LINK = re.compile(r"<([^|>]+)\|([^>]*)>")


def mrkdwn_html(text: str) -> str:
    """Slack mrkdwn (already &, <, > escaped) → HTML, for the mock-up only."""
    out = _LINK.sub(
        lambda m: f'<a href="{m.group(1).replace(chr(34), "%22")}">{m.group(2)}</a>', text
    )
    out = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", out)
    out = re.sub(r"`([^`\n]+)`", r'<span class="code">\1</span>', out)
    return out.replace("\n", "<br>")


def slack_html(payloads: list[dict[str, Any]], at: str) -> str:
    rows = []
    for payload in payloads:
        rows.append('<div class="msg"><div class="avatar">nm</div><div class="body">')
        rows.append(f'<div class="who"><b>news-monitor</b> <span>APP  {at}</span></div>')
        for block in payload["blocks"]:
            kind = block["type"]
            if kind == "header":
                rows.append(f'<div class="header">{html.escape(block["text"]["text"])}</div>')
            elif kind == "section":
                rows.append(f'<div class="section">{mrkdwn_html(block["text"]["text"])}</div>')
            elif kind == "context":
                text = " ".join(mrkdwn_html(e["text"]) for e in block["elements"])
                rows.append(f'<div class="context">{text}</div>')
            elif kind == "divider":
                rows.append("<hr>")
        rows.append("</div></div>")
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body {{ margin:0; background:#fff; font: 15px/1.46668 Lato, "Helvetica Neue", Arial, sans-serif;
  color:#1d1c1d; }}
.msg {{ display:flex; padding:16px 20px; }}
.avatar {{ width:36px; height:36px; border-radius:6px; background:#1d4ed8; color:#fff;
  font-weight:bold; text-align:center; line-height:36px; margin-right:10px; flex:none; }}
.body {{ max-width:680px; }}
.who span {{ color:#616061; font-size:12px; margin-left:4px; }}
.header {{ font-size:18px; font-weight:900; margin:6px 0; }}
.section {{ margin:6px 0; }}
.context {{ color:#616061; font-size:13px; margin:4px 0; }}
a {{ color:#1264a3; text-decoration:none; }}
.code {{ font-family:Menlo, monospace; font-size:12px; color:#e01e5a; background:#f6f6f6;
  border:1px solid #ddd; border-radius:3px; padding:0 3px; }}
hr {{ border:none; border-top:1px solid #e8e8e8; margin:10px 0; }}
</style></head><body>{"".join(rows)}</body></html>"""


def shoot(chromium: str, page: Path, png: Path, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
                f"--window-size={size}", f"--screenshot={png}", page.as_uri(),
            ],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    args = parser.parse_args()
    digest = fixture()
    with tempfile.TemporaryDirectory() as tmp:
        email_page = Path(tmp) / "email.html"
        email_page.write_text(render.html(digest, TZ), encoding="utf-8")
        slack_page = Path(tmp) / "slack.html"
        slack_page.write_text(
            slack_html(render.slack(digest, TZ), render.when(digest.built_at, TZ)[11:16]),
            encoding="utf-8",
        )
        shoot(args.chromium, email_page, args.out / "digest-email.png", "720,930")
        shoot(args.chromium, slack_page, args.out / "digest-slack.png", "760,520")
    print(f"wrote {args.out / 'digest-email.png'} and {args.out / 'digest-slack.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
