"""Parse stage: feed bytes (RSS, Atom, RDF, CDF, JSON Feed) → entries; section pages → links. No I/O.

May import: errors, models, urls. Must not import fetch, the store or any later stage.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.parse.feeds import parse_feed
    from monitor.parse.pages import PageLinks, discover
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.parse.feeds": "parse_feed",
            "monitor.parse.pages": "PageLinks discover",
        },
    )

__all__ = ["PageLinks", "discover", "parse_feed"]
