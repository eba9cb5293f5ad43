"""Digests: build (new coverage per digest × channel), render, schedules, delivery, channels.

`build` reads what a channel has not been shown; `render` is pure; `delivery` owns the outbox
(build → render → store → send → mark, exactly once); `channels/` holds one module per
channel type and their registry. May import: store, config, errors, models, and from fetch only
`fetch.support.parse_retry_after` (the one Retry-After rule). Must not import parse, extract,
ingest, stories or topics.
"""

from monitor.digest.build import Digest, DigestSource, DigestStory
from monitor.digest.schedules import Schedule, parse_schedule

__all__ = ["Digest", "DigestSource", "DigestStory", "Schedule", "parse_schedule"]
