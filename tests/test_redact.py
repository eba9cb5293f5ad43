"""monitor.redact and urls.with_credentials: what is masked, what is kept, what comes back."""

from __future__ import annotations

import logging
import sys

import pytest

from monitor.redact import RedactingFilter, Redactor, redact, strip_userinfo, url_secrets
from monitor.urls import with_credentials

TOKEN = "T0KEN-0123456789abcdef"


def test_userinfo_is_masked_in_any_text_and_stripped_from_a_url() -> None:
    text = f"GET https://user:{TOKEN}@example.com/feed failed; see http://example.org/"
    assert redact(text) == "GET https://***@example.com/feed failed; see http://example.org/"
    assert strip_userinfo(f"https://u:{TOKEN}@example.com:8443/f?q=1") == (
        "https://example.com:8443/f?q=1"
    )
    assert strip_userinfo("https://example.com/a@b") == "https://example.com/a@b"


def test_credentials_come_back_only_on_the_configured_host_and_port() -> None:
    configured = f"https://u:{TOKEN}@feeds.example.com/rss"
    moved = "https://feeds.example.com/new-rss"
    assert with_credentials(moved, configured) == f"https://u:{TOKEN}@feeds.example.com/new-rss"
    assert with_credentials("https://elsewhere.example/rss", configured) == (
        "https://elsewhere.example/rss"
    )
    assert with_credentials("https://feeds.example.com:444/rss", configured).find(TOKEN) == -1
    assert with_credentials(moved, "https://feeds.example.com/rss") == moved


def test_a_secret_urls_echoed_path_and_tokens_are_masked() -> None:
    hook = f"https://hooks.example.com/services/T0/B0/{TOKEN}"
    mask = Redactor.of(url_secrets(hook))
    assert mask(f"no route for POST /services/T0/B0/{TOKEN}") == "no route for POST ***"
    assert mask(f"token {TOKEN} revoked") == "token *** revoked"
    assert mask(f"quoted %2Fservices%2FT0%2FB0%2F{TOKEN}") == "quoted ***"
    assert mask("services answered 500") == "services answered 500"  # short words stay


@pytest.mark.parametrize("secret", [TOKEN, "ab"])
def test_the_log_filter_masks_messages_and_tracebacks(secret: str) -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "sent %s", (secret,), None)
    try:
        raise ValueError(f"server said {secret}")
    except ValueError:
        record.exc_info = sys.exc_info()
    f = RedactingFilter()
    f.learn([secret])
    assert f.filter(record)
    shown = logging.Formatter().format(record)
    if len(secret) >= 4:
        assert secret not in shown and shown.startswith("sent ***")
    else:  # too short to tell from ordinary text: never a config's real secret
        assert shown.startswith(f"sent {secret}")
