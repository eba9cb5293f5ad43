"""Canonical URLs: the identity key of an article (tracking parameters, AMP, rel=canonical)."""

from __future__ import annotations

import ipaddress
import re
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
MAX_URL_CHARS = 2000  # the store's canonical_url column holds this many
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# the second-level labels under which a country's sites register: bbc.co.uk, abc.net.au, gob.mx
SECOND_LEVEL = frozenset(["co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob"])


def is_tracking_param(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def link_problem(url: str) -> str | None:
    """Why *url* cannot be an article's link, as a short sentence; None when it can.

    The reasons are fixed phrases (no part of the URL in them), so skipped items can be counted
    by reason. Every string for which this returns None is safe for `canonical_url`.
    """
    text = url.strip()
    if not text:
        return "the link is empty"
    try:
        parts = urlsplit(text)
        _ = parts.port  # urllib checks the port only when it is read
    except ValueError as exc:
        return _split_problem(str(exc))
    if parts.scheme.lower() not in ("http", "https"):
        return "the link is not an http(s) URL"
    if not parts.hostname:
        return "the link has no host"
    if _CONTROL.search(text):
        return "the link contains control characters"
    if len(canonical_url(text)) > MAX_URL_CHARS:
        return f"the link is longer than {MAX_URL_CHARS} characters"
    return None


def _split_problem(error: str) -> str:
    """urllib's ValueError for a URL it cannot split, as a sentence."""
    lowered = error.lower()
    if "port out of range" in lowered:
        return "the link's port is out of range (0-65535)"
    if "port could not be cast" in lowered:
        return "the link's port is not a number"
    if "ipv6" in lowered:
        return "the link's host is not a valid IPv6 address"
    return "the link is not a valid URL"


def join_url(base: str, href: str) -> str:
    """*href* resolved against *base*; *href* itself when either cannot be split (`link_problem`
    then says why)."""
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def canonical_url(url: str) -> str:
    """Normalise *url* for identity: lower-case scheme/host, no fragment, no tracking parameters.

    Raises ValueError for a URL that `link_problem` rejects (an out-of-range port, a bad IPv6
    host): check links from documents with it first.
    """
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


def declared_site_name(site_name: str | None, url: str) -> str | None:
    """*site_name* when the page declared it (og:site_name, publisher), None when it is only the
    URL's own host, which trafilatura puts there when a page names no outlet."""
    name = " ".join((site_name or "").split())
    if not name:
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        forms = {parts.netloc.lower(), host, domain_of(url), registrable_domain(host)}
    except ValueError:
        return name
    bare = re.sub(r"^(www|w\d+)\.", "", parts.netloc.lower())
    return None if name.lower() in forms | {bare} else name


def with_credentials(url: str, configured: str) -> str:
    """*url* (as the state keeps it, without credentials) with the user name and password of
    the *configured* URL, when both are on the same scheme, host and port; else *url*."""
    try:
        given, own = urlsplit(configured), urlsplit(url)
        same = (given.scheme, given.hostname, given.port) == (own.scheme, own.hostname, own.port)
    except ValueError:
        return url
    if "@" not in given.netloc or "@" in own.netloc or not same:
        return url
    return urlunsplit(own._replace(netloc=f"{given.netloc.rpartition('@')[0]}@{own.netloc}"))


_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin(url: str) -> str:
    """``scheme://host:port`` of *url* (the port spelled out), or "" when it has no host: what
    the request headers a source sets are keyed by (they go to its own origin only)."""
    try:
        parts = urlsplit(url)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    except ValueError:
        return ""
    if not parts.hostname:
        return ""
    return f"{parts.scheme.lower()}://{parts.hostname.lower()}:{port}"
