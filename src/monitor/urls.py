"""Canonical URLs: the identity key of an article (tracking parameters, AMP, rel=canonical)."""

from __future__ import annotations

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
        if _site(domain_of(absolute)) != _site(domain_of(url)):
            continue
        if urlsplit(absolute).path.strip("/") == "" and urlsplit(url).path.strip("/") != "":
            continue  # a canonical pointing at the home page is a template bug, not identity
        return canonical_url(absolute)
    return own


def _site(host: str) -> str:
    """The registrable part of a host, roughly: its last two labels (three for co.uk-style)."""
    if host.startswith("amp."):
        host = host[4:]
    labels = host.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
    return ".".join(labels[-keep:])


def domain_of(url: str) -> str:
    """The host of *url* without a leading ``www.``."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
