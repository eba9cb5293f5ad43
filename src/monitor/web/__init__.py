"""The web app: story browser, JSON API (/api/v1/), topic Atom feeds, health and metrics.

May import: store, config, ingest (source health), topics (try a query), digest (preview),
root modules. Served by `news-monitor web`, and inside `run` when settings.web.listen is set.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.web.app import build_app
    from monitor.web.server import serve
    from monitor.web.state import WebState
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.web.app": "build_app",
            "monitor.web.server": "serve",
            "monitor.web.state": "WebState",
        },
    )

__all__ = ["WebState", "build_app", "serve"]
