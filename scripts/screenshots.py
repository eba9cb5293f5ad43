"""Render docs/web-stories.png, docs/web-story.png and docs/web-topics.png: the web app over a
state polled from the bundled demo site, in headless Chromium (Playwright, Debian's chromium).

Usage: python scripts/screenshots.py [--chromium /usr/bin/chromium] [--out docs]
Not part of the tests. Everything runs on loopback: the demo site, `news-monitor poll`, and
`news-monitor web`, each on a free port, with the state in a temporary folder.
"""

from __future__ import annotations

import argparse
import functools
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from demo_server import SITE, Handler  # noqa: E402

CLI = Path(sys.executable).with_name("news-monitor")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    site = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(SITE)))
    threading.Thread(target=site.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "feeds.yaml"
        shipped = (ROOT / "config" / "feeds.yaml").read_text(encoding="utf-8")
        config.write_text(
            shipped.replace("127.0.0.1:8765", f"127.0.0.1:{site.server_address[1]}").replace(
                "state_dir: ../state", f"state_dir: {tmp}/state"
            ),
            encoding="utf-8",
        )
        subprocess.run([str(CLI), "--config", str(config), "poll"], check=True)
        port = free_port()
        web = subprocess.Popen(
            [str(CLI), "--config", str(config), "web", "--listen", f"127.0.0.1:{port}"]
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(base + "/healthz", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            stories = httpx.get(base + "/api/v1/stories").json()["stories"]
            biggest = max(stories, key=lambda s: len(s["articles"]))
            topic = json.loads(json.dumps(httpx.get(base + "/api/v1/topics").json()))["topics"][0]
            shots = {
                "web-stories.png": "/",
                "web-story.png": f"/stories/{biggest['id']}",
                "web-topics.png": "/topics?q=" + httpx.QueryParams({"q": topic["query"]})["q"],
            }
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=args.chromium, args=FLAGS)
                page = browser.new_page(viewport={"width": 1100, "height": 800})
                for name, path in shots.items():
                    page.goto(base + path)
                    page.screenshot(path=str(args.out / name), full_page=True)
                    print(f"wrote {args.out / name}")
                browser.close()
        finally:
            web.terminate()
            web.wait(10)
            site.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
