"""Canonical URLs: the identity key of an article (tracking parameters, fragments, case)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "piwik_", "hsa_", "_hs")
_TRACKING_NAMES = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "yclid",
        "igshid",
        "mkt_tok",
        "ref",
        "ref_src",
        "cmpid",
        "ncid",
        "ito",
        "smid",
        "soc_src",
        "soc_trk",
        "guccounter",
        "_ga",
        "oly_enc_id",
        "oly_anon_id",
        "vero_id",
        "wt.mc_id",
        "at_medium",
        "at_campaign",
        "rss",
        "cid",
    }
)


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """Normalise *url* for identity: lower-case scheme/host, no fragment, no tracking parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not is_tracking_param(k)
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def domain_of(url: str) -> str:
    """The host of *url* without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
