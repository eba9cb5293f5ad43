"""The fetch stage's settings: timeouts, caps, limits, proxies, allowed networks (no httpx here).

`FetchSettings` declares the defaults once; `fetch_settings(config)` overlays what the file's
`settings.fetch` sets and the environment's proxy routes. Light to import, so `app.py` can
compare two configs' fetch settings on a reload without loading the HTTP client.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from monitor import __version__
from monitor.config import Config
from monitor.config.headers import origin_headers
from monitor.config.proxy import ProxySettings

MiB = 1024 * 1024


@dataclass(frozen=True)
class FetchSettings:
    """Timeouts (seconds), caps and limits for one Fetcher."""

    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0  # one fetch, all redirect hops, excluding the wait for a slot
    max_body_bytes: int = 10 * MiB  # decoded bytes
    max_redirects: int = 5
    per_host_limit: int = 2
    global_limit: int = 50
    user_agent: str = f"news-monitor/{__version__} (+https://github.com/news-monitor/news-monitor)"
    http2: bool = True
    proxy: ProxySettings = field(default_factory=ProxySettings)  # HTTPS_PROXY, NO_PROXY, …
    allow_networks: tuple[str, ...] = ()  # CIDRs a found URL may reach though they are private
    # the headers feeds set, per origin ("scheme://host:port"): sent to that origin only
    origin_headers: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(
        default=(), repr=False
    )


def fetch_settings(config: Config) -> FetchSettings:
    """The fetch stage's settings from `settings.fetch` (same fields; unset ones keep the default)."""
    given = {k: v for k, v in asdict(config.settings.fetch).items() if v is not None}
    headers = tuple(sorted(origin_headers(config.feeds).items()))
    return replace(FetchSettings(), **given, proxy=config.proxy, origin_headers=headers)
