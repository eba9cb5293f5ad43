"""Page sources: a section page's HTML → its alternate feed and its article links; no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from monitor.models import Entry
from monitor.urls import registrable_domain

MAX_LINKS = 100
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")
# path segments that name navigation, listings, people, accounts or assets, never an article
NOT_ARTICLE_SEGMENTS = frozenset(
    [
        "tag",
        "tags",
        "category",
        "categories",
        "categorie",
        "kategorie",
        "rubrik",
        "topic",
        "topics",
        "author",
        "authors",
        "autor",
        "user",
        "users",
        "profile",
        "profiles",
        "people",
        "staff",
        "member",
        "members",
        "login",
        "logout",
        "signin",
        "sign-in",
        "signup",
        "sign-up",
        "register",
        "account",
        "subscribe",
        "subscription",
        "newsletter",
        "newsletters",
        "search",
        "suche",
        "about",
        "about-us",
        "contact",
        "contact-us",
        "kontakt",
        "impressum",
        "imprint",
        "privacy",
        "privacy-policy",
        "terms",
        "cookies",
        "cookie-policy",
        "legal",
        "help",
        "faq",
        "sitemap",
        "feed",
        "feeds",
        "rss",
        "atom",
        "static",
        "assets",
        "wp-content",
        "wp-admin",
        "wp-json",
        "wp-includes",
        "cdn-cgi",
        "page",
        "shop",
        "store",
        "jobs",
        "careers",
        "advertise",
        "advertising",
        "archive",
        "archives",
    ]
)
NOT_ARTICLE_QUERY = frozenset(
    ["page", "p", "s", "q", "query", "search", "replytocom", "share", "print", "output"]
)
ASSET = re.compile(
    r"\.(css|js|json|xml|rss|atom|png|jpe?g|gif|svg|webp|ico|pdf|zip|gz|mp3|mp4|m4a|webm|woff2?|ttf)$",
    re.I,
)
PAGE_SUFFIX = re.compile(r"\.(html?|shtml|php|aspx?|jsp|cms)$", re.I)
DATE_PATH = re.compile(r"/(19|20)\d\d([/-])(0?[1-9]|1[0-2])\2")
NUMERIC_ID = re.compile(r"(^|\D)\d{4,}(\D|$)")
WORD = re.compile(r"[^\W\d_]{2,}")
NAV_XPATH = "ancestor::nav | ancestor::header | ancestor::footer | ancestor::*[@role='navigation']"


@dataclass(frozen=True)
class FeedLink:
    """A feed a page declares: `<link rel="alternate" type="application/rss+xml" href=…>`."""

    url: str  # absolute
    title: str  # its title attribute, "" without one
    type: str  # the MIME type, one of FEED_TYPES


@dataclass(frozen=True)
class PageLinks:
    """What a section page offers: its own feed, when it advertises one, and its article links."""

    feed_url: str | None
    entries: list[Entry] = field(default_factory=list)


def discover(
    html: bytes, base_url: str, headers: Mapping[str, str] | None = None, *, limit: int = MAX_LINKS
) -> PageLinks:
    """The alternate feed and up to `limit` article links (same site, article-like URLs)."""
    tree = _load(html, headers)
    if tree is None:
        return PageLinks(None, [])
    base = _base(tree, base_url)
    found = _feed_links(tree, base)
    own = next((f for f in found if not is_comments_feed(f)), found[0] if found else None)
    return PageLinks(own.url if own else None, _article_links(tree, base, base_url, limit))


def feed_links(
    html: bytes, base_url: str, headers: Mapping[str, str] | None = None
) -> list[FeedLink]:
    """Every feed the page declares, in page order, relative hrefs resolved (`<base>` too)."""
    tree = _load(html, headers)
    return [] if tree is None else _feed_links(tree, _base(tree, base_url))


def is_comments_feed(link: FeedLink) -> bool:
    """A feed of the comments (WordPress declares one beside the posts'), not of the articles."""
    return "comment" in link.title.lower()


def _base(tree: Any, base_url: str) -> str:
    return urljoin(base_url, str(next(iter(tree.xpath("//base/@href")), "")).strip())


def _load(html: bytes, headers: Mapping[str, str] | None) -> Any:
    charset = None
    for name, value in (headers or {}).items():
        if name.lower() == "content-type" and "charset=" in value.lower():
            charset = value.lower().split("charset=")[-1].split(";")[0].strip(" \"'") or None
    for encoding in (charset, None) if charset else (None,):
        try:
            parser = lxml.html.HTMLParser(encoding=encoding, remove_comments=True)
            return lxml.html.document_fromstring(html, parser=parser)
        except (etree.ParserError, LookupError, ValueError):
            continue
    return None


def _feed_links(tree: Any, base: str) -> list[FeedLink]:
    found: dict[str, FeedLink] = {}
    for link in tree.xpath("//link[@href][@type]"):
        rel = str(link.get("rel", "")).lower().split()
        kind = str(link.get("type", "")).split(";")[0].strip().lower()
        if "alternate" in rel and kind in FEED_TYPES:
            url = urljoin(base, str(link.get("href")).strip())
            if urlsplit(url).scheme in ("http", "https") and url not in found:
                title = " ".join(str(link.get("title") or "").split())
                found[url] = FeedLink(url, title, kind)
    return list(found.values())


def _article_links(tree: Any, base: str, page_url: str, limit: int) -> list[Entry]:
    site = registrable_domain(urlsplit(page_url).hostname or "")
    page = urldefrag(page_url)[0].rstrip("/")
    titles: dict[str, tuple[int, str]] = {}
    for anchor in tree.xpath("//body//a[@href]"):
        if anchor.xpath(NAV_XPATH):
            continue
        try:
            url = urldefrag(urljoin(base, str(anchor.get("href")).strip()))[0]
            if url.rstrip("/") == page or not is_article_url(url, site):
                continue
        except ValueError:  # a link urllib cannot split (a bad port or IPv6 host): not an article
            continue
        title = _anchor_title(anchor)
        if url not in titles and len(titles) >= limit:
            continue
        if url not in titles or title > titles[url]:  # the headline over "More" or an image
            titles[url] = title
    return [Entry(url=url, guid=url, title=title) for url, (_, title) in titles.items()]


def _anchor_title(anchor: Any) -> tuple[int, str]:
    """The link's title and its rank: a headline (3+ words) > an image's alt text > "More"."""
    text = " ".join(str(anchor.text_content()).split())
    if len(text.split()) >= 3:
        return 2, text
    alt = str(anchor.get("title") or next(iter(anchor.xpath(".//img/@alt")), "") or "")
    alt = " ".join(alt.split())
    return (1, alt) if alt else (0, text)


def is_article_url(url: str, site: str) -> bool:
    """Whether `url` on registrable site `site` looks like an article, not navigation or assets."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or registrable_domain(parts.hostname or "") != site:
        return False
    if any(key.lower() in NOT_ARTICLE_QUERY for key, _ in parse_qsl(parts.query)):
        return False
    path = parts.path
    segments = [s.lower() for s in path.split("/") if s]
    if not segments or ASSET.search(path) or NOT_ARTICLE_SEGMENTS.intersection(segments):
        return False
    slug = PAGE_SUFFIX.sub("", segments[-1])
    if len(WORD.findall(slug)) >= 3 and re.search(r"[-_+]", slug):
        return True  # a headline slug: /world/volunteer-unit-crosses-border
    if NUMERIC_ID.search(slug) and not re.fullmatch(r"(19|20)\d\d", slug):
        return True  # an id: /news/world-europe-68912345, /a/123456.html
    return bool(DATE_PATH.search(path)) and len(segments) >= 4  # /2024/05/07/slug
