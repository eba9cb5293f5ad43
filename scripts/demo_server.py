"""Serves the bundled demo news site (tests/data/site) on 127.0.0.1:8765 for config/feeds.yaml.

    python scripts/demo_server.py [--port 8765]

Loopback only: the shipped example config polls this, so trying news-monitor out sends no
traffic anywhere else.
"""

from __future__ import annotations

import argparse
import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITE = Path(__file__).resolve().parents[1] / "tests" / "data" / "site"


class Handler(SimpleHTTPRequestHandler):
    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".rss": "application/rss+xml"}

    def translate_path(self, path: str) -> str:
        if path.rstrip("/").split("?")[0] == "/ukraine":
            return str(SITE / "section.html")
        return super().translate_path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    handler = functools.partial(Handler, directory=str(SITE))
    with ThreadingHTTPServer(("127.0.0.1", args.port), handler) as httpd:
        print(f"demo site on http://127.0.0.1:{args.port}/ (Ctrl-C to stop)", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main()
