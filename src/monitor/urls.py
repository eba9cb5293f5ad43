"""Canonical URLs: the identity key of an article (tracking parameters, AMP, rel=canonical)."""

from __future__ import annotations

import ipaddress
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

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
# the second-level labels under which a country's sites register: bbc.co.uk, abc.net.au, gob.mx
SECOND_LEVEL = frozenset(["co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob"])


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
    host, path, query = _de_amp(host, path, query)
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def _de_amp(
    host: str, path: str, query: list[tuple[str, str]]
) -> tuple[str, str, list[tuple[str, str]]]:
    """The non-AMP form: ``amp.`` hosts, ``/amp`` segments, ``.amp`` suffixes, ``?amp``."""
    if host.startswith("amp.") and host.count(".") >= 2:
        host = host[4:]
    segments = path.split("/")
    kept = [s for s in segments if s.lower() != "amp"]
    if len(kept) != len(segments):
        path = "/".join(kept) or "/"
        if not path.startswith("/"):
            path = "/" + path
        if segments[-1].lower() == "amp" and path != "/" and not path.endswith("/"):
            path += "/"  # /story/amp → /story/ ; keeps sites that use trailing slashes stable
    for suffix in (".amp.html", ".amp"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)] + (".html" if suffix == ".amp.html" else "")
            break
    query = [
        (k, v)
        for k, v in query
        if not (
            k.lower() in ("amp", "amp_js_v", "usqp")
            or (k.lower() == "outputtype" and v.lower() == "amp")
        )
    ]
    return host, path, query


def canonical_from_page(page_canonical: str | None, og_url: str | None, url: str) -> str:
    """The article's canonical URL: rel=canonical, else og:url, when on the same site and not
    a home page; otherwise *url* itself. Always returned in `canonical_url` form."""
    own = canonical_url(url)
    for candidate in (page_canonical, og_url):
        if not candidate or not candidate.strip():
            continue
        absolute = urljoin(url, candidate.strip())
        if urlsplit(absolute).scheme not in ("http", "https"):
            continue
        if registrable_domain(urlsplit(absolute).hostname or "") != registrable_domain(
            urlsplit(url).hostname or ""
        ):
            continue
        if urlsplit(absolute).path.strip("/") == "" and urlsplit(url).path.strip("/") != "":
            continue  # a canonical pointing at the home page is a template bug, not identity
        return canonical_url(absolute)
    return own


def registrable_domain(host: str) -> str:
    """The site a host name belongs to, approximately: its last two labels (www., amp., m. and
    other subdomains ignored), three under a country's second level (bbc.co.uk), an IP whole."""
    host = host.lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def domain_of(url: str) -> str:
    """The host of *url* without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
