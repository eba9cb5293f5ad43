"""Parse stage: feed bytes (RSS, Atom, RDF, CDF, JSON Feed) → entries; section pages → links. No I/O.

May import: errors, models, urls. Must not import fetch, the store or any later stage.
"""

from monitor.parse.feeds import parse_feed
from monitor.parse.pages import PageLinks, discover

__all__ = ["PageLinks", "discover", "parse_feed"]
