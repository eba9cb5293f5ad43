"""Bad configuration and input (issue 17 §7) through the installed `news-monitor`: proxy variables
httpx cannot parse, oversized and alias-bomb feeds.yaml, queries nested too deep or too long."""

from __future__ import annotations

import random
import string
from pathlib import Path

from console import news_monitor
from httpserver import LocalServer
from peers import slack_server

FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>One</title><link>http://127.0.0.1:9/one</link><description>one</description></item>
</channel></rss>"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def plain(tmp_path: Path, feed_url: str = "http://127.0.0.1:9/none.rss") -> Path:
    return write(tmp_path, f"settings: {{state_dir: state}}\nfeeds:\n  - url: '{feed_url}'\n")


def test_an_unusable_proxy_variable_is_a_config_problem_naming_it(tmp_path: Path) -> None:
    config = plain(tmp_path)
    env = {"HTTPS_PROXY": "http://user:s3cret@proxy.example:99999", "NO_PROXY": ""}
    done = news_monitor("--config", str(config), "check", env=env)
    assert done.returncode == 1
    assert "environment: HTTPS_PROXY: not a usable proxy URL: Port out of range" in done.stderr
    assert "s3cret" not in done.stdout + done.stderr  # a proxy URL may carry a password
    bad_entry = {"HTTP_PROXY": "http://127.0.0.1:9", "no_proxy": "localhost,10.0.0.0/8"}
    done = news_monitor("--config", str(config), "check", env=bad_entry)
    assert done.returncode == 1
    assert "environment: no_proxy: the entry '10.0.0.0/8': network ranges" in done.stderr


def test_poll_refuses_to_start_with_a_bad_proxy_variable(tmp_path: Path) -> None:
    with LocalServer({"/feed.rss": FEED}) as server:
        config = plain(tmp_path, server.url("/feed.rss"))
        done = news_monitor(
            "--config", str(config), "poll", env={"ALL_PROXY": "socks5://127.0.0.1:1080"}
        )
        assert done.returncode == 1, done.stdout + done.stderr
        assert "ALL_PROXY: not a usable proxy URL: the scheme 'socks5'" in done.stderr + done.stderr
        assert "Traceback" not in done.stderr
        assert server.requests == []


def test_bracketed_ipv6_in_no_proxy_neither_breaks_poll_nor_slack(tmp_path: Path) -> None:
    env = {"NO_PROXY": "[::1],localhost", "HTTP_PROXY": "", "http_proxy": ""}
    with LocalServer({"/feed.rss": FEED}) as server, slack_server() as slack:
        config = write(
            tmp_path,
            f"""\
settings: {{state_dir: state}}
feeds:
  - {{url: '{server.url("/feed.rss")}', name: Wire, full_text: never}}
topics:
  - {{name: One, query: one}}
digests:
  - {{name: daily, topics: [One], channels: [team], send_empty: true}}
channels:
  team: {{type: slack, webhook_url: '{slack.url}', timeout: 5s}}
""",
        )
        polled = news_monitor("--config", str(config), "poll", env=env)
        assert polled.returncode == 0, polled.stdout + polled.stderr
        assert server.paths() == ["/feed.rss"]
        sent = news_monitor("--config", str(config), "digest", "send", "daily", env=env)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert "unexpected error" not in sent.stdout + sent.stderr
        assert len(slack.accepted) == 1


def test_a_config_over_one_mib_is_refused_unread(tmp_path: Path) -> None:
    junk = random.Random(17).choices(string.ascii_letters + " \n:-", k=20 * 1024 * 1024)
    config = write(tmp_path, "".join(junk))
    done = news_monitor("--config", str(config), "check")
    assert done.returncode == 1
    assert f"{config}: -: the config file is larger than 1024 KiB" in done.stderr


def test_a_yaml_alias_bomb_is_refused_by_its_expanded_size(tmp_path: Path) -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    lines.append("feeds:\n  - {url: 'http://127.0.0.1:9/x', tags: *j}")
    done = news_monitor("--config", str(write(tmp_path, "\n".join(lines))), "check")
    assert done.returncode == 1
    assert "more than 250,000 values once its aliases (*name) are expanded" in done.stderr


def test_yaml_nested_too_deep_is_a_clear_problem(tmp_path: Path) -> None:
    config = write(tmp_path, "feeds:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 80)))
    done = news_monitor("--config", str(config), "check")
    assert done.returncode == 1
    assert "nested deeper than 50 levels" in done.stderr


def test_a_query_nested_1000_deep_names_the_limit(tmp_path: Path) -> None:
    config = plain(tmp_path)
    deep = "(" * 1000 + "legion" + ")" * 1000
    done = news_monitor("--config", str(config), "topics", "test", "--query", deep)
    assert done.returncode == 1
    assert "query: column 51: nested deeper than 50 levels" in done.stderr
    assert "internal error" not in done.stderr
    nots = "border " + "NOT " * 1000 + "legion"
    done = news_monitor("--config", str(config), "topics", "test", "--query", nots)
    assert done.returncode == 1 and "nested deeper than 50 levels" in done.stderr
    topic = write(
        tmp_path,
        f"settings: {{state_dir: state}}\ntopics:\n  - name: Deep\n    query: '{deep}'\n",
    )
    done = news_monitor("--config", str(topic), "check")
    assert done.returncode == 1
    assert "topics[0].query: column 51: nested deeper than 50 levels" in done.stderr
    assert "(topic 'Deep')" in done.stderr


def test_a_query_of_10000_terms_is_refused_at_the_term_limit(tmp_path: Path) -> None:
    many = " OR ".join(f"w{i}" for i in range(10_000))
    done = news_monitor("--config", str(plain(tmp_path)), "topics", "test", "--query", many)
    assert done.returncode == 1
    assert "more than 1000 terms in one query" in done.stderr
    fine = " OR ".join(f"w{i}" for i in range(1000))
    done = news_monitor("--config", str(plain(tmp_path)), "topics", "test", "--query", fine)
    assert done.returncode == 0, done.stderr
