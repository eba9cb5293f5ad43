"""Fetch helpers: Retry-After, HTTP status → the project's error, TLS trust, error text."""

from __future__ import annotations

import email.utils
import os
import ssl
from datetime import UTC, datetime

import httpx

from monitor.clock import utcnow
from monitor.errors import AddressRefused, BodyIncomplete, BodyTooLarge, FetchError, HTTPStatusError
from monitor.redact import redact_url


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delay-seconds or HTTP-date), None if unusable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or utcnow())).total_seconds())


def _server_now(headers: dict[str, str]) -> datetime | None:
    """The server's clock (Date header), so Retry-After dates survive clock skew."""
    try:
        date = email.utils.parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return date if date.tzinfo else date.replace(tzinfo=UTC)


_STATUS_HINTS = {
    401: "the site wants credentials; news-monitor cannot log in, remove the source",
    403: "the site refuses us; check the URL in a browser",
    404: "the URL no longer exists; check it or find the site's new feed",
    410: "the site says the feed is gone for good; the source is disabled",
    429: "the site rate-limits us; it will be polled again after its Retry-After",
}


def status_error(url: str, response: httpx.Response, headers: dict[str, str]) -> HTTPStatusError:
    status = response.status_code
    retry_after = None
    if status in (429, 503):
        retry_after = parse_retry_after(headers.get("retry-after"), _server_now(headers))
    hint = _STATUS_HINTS.get(status)
    if hint is None:
        hint = (
            "a server-side fault; it will be retried with backoff"
            if status >= 500
            else "an unexpected answer; check the URL in a browser"
        )
    reason = response.reason_phrase or ""
    return HTTPStatusError(f"{url}: HTTP {status} {reason}".rstrip(), status, retry_after, hint)


def default_ssl_context() -> ssl.SSLContext:
    """The certificates to trust: $SSL_CERT_FILE / $SSL_CERT_DIR when set, else certifi's bundle."""
    cafile = os.environ.get("SSL_CERT_FILE") or None
    capath = os.environ.get("SSL_CERT_DIR") or None
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile, capath=capath)
    return httpx.create_ssl_context(trust_env=False)


def fatal(message: str, hint: str) -> FetchError:
    error = FetchError(message, hint=hint)
    error.retryable = False
    return error


ALLOW_HINT = "allow it with settings.fetch.allow_networks"


def refused(url: str, target: httpx.URL, address: str, redirected: bool) -> AddressRefused:
    """A found URL (or a redirect's `target`) that resolved to a private address not allowed."""
    where = f"redirected to {target}: " if redirected else ""
    return AddressRefused(
        f"{url}: {where}the private address {address} refused",
        hint=ALLOW_HINT,
        address=address,
        redirected=redirected,
    )


def too_large(url: str, cap: int, why: str) -> BodyTooLarge:
    return BodyTooLarge(
        f"{url}: body over the {cap:,}-byte cap ({why})",
        hint="raise max_body_bytes if this source is legitimately that large",
    )


def incomplete(
    url: str, response: httpx.Response, headers: dict[str, str], received: bytes
) -> BodyIncomplete:
    """The server closed the connection before the body's end; `received` is what came."""
    got = response.num_bytes_downloaded
    length = headers.get("content-length", "")
    of = f" of {int(length):,}" if length.isdigit() else ""
    return BodyIncomplete(
        f"{url}: the response ended after {got:,}{of} bytes, before the end of the document",
        hint="the server closed the connection early; the source is polled again as usual",
        url=url,
        status=response.status_code,
        headers=headers,
        received=received,
    )


def describe(exc: BaseException) -> str:
    """A library's exception as text for a message; URL credentials in it are masked."""
    text = str(exc) or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if cause is not None and str(cause) and str(cause) not in text:
        text += f" ({cause})"
    return redact_url(text)
