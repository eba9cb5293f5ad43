"""Digests: build (new coverage per digest × channel), render, schedules, delivery, channels.

`build` reads what a channel has not been shown; `render` is pure; `delivery` owns the outbox
(build → render → store → send → mark, exactly once); `channels/` holds one module per
channel type and their registry. May import: store, config, errors, models, and from fetch only
`fetch.support.parse_retry_after` (the one Retry-After rule). Must not import parse, extract,
ingest, stories or topics.
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.digest.build import Digest, DigestSource, DigestStory
    from monitor.digest.schedules import Schedule, parse_schedule
else:
    from monitor.faces import lazy_face

    __getattr__, __dir__ = lazy_face(
        __name__,
        {
            "monitor.digest.build": "Digest DigestSource DigestStory",
            "monitor.digest.schedules": "Schedule parse_schedule",
        },
    )

__all__ = ["Digest", "DigestSource", "DigestStory", "Schedule", "parse_schedule"]
