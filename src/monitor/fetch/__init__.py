"""Fetch stage: one httpx client (conditional GET, caps, redirects), host pools, bounded decoders.

May import: errors, models, config. Must not import any later stage or the store.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.fetch.client import FEED_ACCEPT, PAGE_ACCEPT, Fetcher
    from monitor.fetch.hostpool import HostPools
    from monitor.fetch.settings import FetchSettings, fetch_settings
    from monitor.fetch.support import parse_retry_after
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.fetch.client": "FEED_ACCEPT PAGE_ACCEPT Fetcher",
            "monitor.fetch.hostpool": "HostPools",
            "monitor.fetch.settings": "FetchSettings fetch_settings",
            "monitor.fetch.support": "parse_retry_after",
        },
    )

__all__ = [
    "FEED_ACCEPT",
    "PAGE_ACCEPT",
    "FetchSettings",
    "Fetcher",
    "HostPools",
    "fetch_settings",
    "parse_retry_after",
]
