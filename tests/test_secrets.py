"""The canary: a unique token in every secret-bearing field, and not one of them anywhere the
installed `news-monitor` writes (stdout, stderr, the log with -v, the state database)."""

from __future__ import annotations

import base64
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from console import news_monitor, web_server
from httpserver import Exchange, LocalServer, closed_port
from peers import authenticator, smtp_server

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Guarded</title>
<item><title>Legion news {n}</title><link>/articles/{n}</link><guid>g{n}</guid>
<description>Legion crosses the river, day {n}, with more words to keep.</description></item>
</channel></rss>"""


@dataclass
class Canary:
    """One token per secret-bearing field, all sharing `mark`, which must never come out."""

    mark: str = field(default_factory=lambda: uuid.uuid4().hex)

    def token(self, name: str) -> str:
        return f"{name}Z{self.mark}"


def guarded_feed(user: str, password: str, seen: list[str]) -> object:
    """A feed behind basic auth: 401 without the configured credentials."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def handle(ex: Exchange) -> None:
        seen.append(ex.headers.get("authorization", ""))
        if ex.headers.get("authorization") != expected:
            return ex.send(401, b"who are you?", {"WWW-Authenticate": 'Basic realm="x"'})
        ex.send(200, RSS.format(n=len(seen)).encode(), {"Content-Type": "application/rss+xml"})

    return handle


def echo_500(ex: Exchange) -> None:
    """A webhook that fails and tells the whole request line back (as some proxies do)."""
    ex.body()
    ex.send(500, f"no route for POST {ex.request.path} ({ex.headers})".encode())


def keyed_feed(key: str, seen: list[dict[str, str]]) -> object:
    """A feed that wants an API key header: 403 without it."""

    def handle(ex: Exchange) -> None:
        seen.append(dict(ex.headers))
        if ex.headers.get("x-api-key") != key:
            return ex.send(403, b"no key")
        ex.send(200, RSS.format(n=99).encode(), {"Content-Type": "application/rss+xml"})

    return handle


@dataclass
class Home:
    config: Path
    canary: Canary
    env: dict[str, str]
    feed_auth: list[str]
    keyed: list[dict[str, str]]
    outputs: list[str] = field(default_factory=list)

    def run(self, *argv: str) -> str:
        done = news_monitor("--config", str(self.config), *argv, env=self.env)
        text = done.stdout + done.stderr
        self.outputs.append(f"$ news-monitor {' '.join(argv)}\n{text}")
        return text


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    canary = Canary()
    feed_password = canary.token("feedpass")
    seen: list[str] = []
    keyed: list[dict[str, str]] = []
    routes = {"/feed": guarded_feed("reader", feed_password, seen)}
    hooks = LocalServer({})
    hooks.routes["/keyed"] = keyed_feed(canary.token("apikey"), keyed)
    smtp_kwargs = {
        "authenticator": authenticator("mailer", "not-the-configured-one"),
        "auth_require_tls": False,
    }
    with LocalServer(routes) as feeds, hooks, smtp_server(**smtp_kwargs) as smtp:
        slack_path = f"/services/T0/B0/{canary.token('slack')}"
        apprise_path = f"/notify/{canary.token('apprise')}"
        hooks.routes.update({slack_path: echo_500, apprise_path: echo_500})
        base = f"127.0.0.1:{feeds.port}"
        (tmp_path / "slack-webhook").write_text(f"{hooks.url(slack_path)}\n")
        (tmp_path / "feed-url").write_text(f"http://filer:{canary.token('filed')}@{base}/feed\n")
        (tmp_path / "feed-authz").write_text(f"Bearer {canary.token('bearer')}\n")
        credentials = tmp_path / "credentials"
        credentials.mkdir()
        (credentials / "smtp-password").write_text(canary.token("smtp") + "\n")
        config = tmp_path / "feeds.yaml"
        config.write_text(
            f"""\
settings: {{state_dir: state, fetch: {{connect_timeout: 2s, total_timeout: 5s}}}}
feeds:
  - {{name: Guarded, url: 'http://reader:{feed_password}@{base}/feed'}}
  - {{name: Wrong, url: 'http://reader:{canary.token("wrong")}@{base}/feed'}}
  - {{name: Filed, url_file: feed-url}}
  - {{name: FromEnv, url_env: FEED_URL}}
  - name: Keyed
    url: 'http://127.0.0.1:{hooks.port}/keyed'
    headers: {{X-Api-Key_env: FEED_KEY, Authorization_file: feed-authz,
               X-Plain: '{canary.token("plainheader")}'}}
  - {{name: Down, url: 'http://{canary.token("user")}:{canary.token("down")}@127.0.0.1:{closed_port()}/f'}}
topics:
  - {{name: Legion, query: legion}}
digests:
  - {{name: daily, topics: [Legion], channels: [mail, team, push], send_empty: true}}
channels:
  mail:
    type: email
    to: [analyst@example.com]
    from: news-monitor@example.org
    smtp: {{host: 127.0.0.1, port: {smtp.port}, username: mailer,
            password_credential: smtp-password, timeout: 5s}}
  team: {{type: slack, webhook_url_file: slack-webhook, timeout: 5s}}
  push: {{type: apprise, url_env: PUSH_URL, timeout: 5s}}
""",
            encoding="utf-8",
        )
        env = {
            "PUSH_URL": f"json://127.0.0.1:{hooks.port}{apprise_path}",
            "FEED_KEY": canary.token("apikey"),
            "FEED_URL": f"http://{canary.token('envuser')}:{canary.token('env')}@{base}/feed",
            "CREDENTIALS_DIRECTORY": str(credentials),
        }
        yield Home(config, canary, env, seen, keyed)


def state_dump(state: Path) -> str:
    """Every text (and blob) of every table of the SQLite state, one line per row."""
    lines = []
    (db,) = state.glob("*.db")
    with sqlite3.connect(db) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for name in names:
            for row in conn.execute(f'SELECT * FROM "{name}"'):
                values = [v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row]
                lines.append(f"{name}: {' | '.join(values)}")
    return "\n".join(lines)


def test_no_secret_in_any_output_log_or_state(home: Home) -> None:
    assert "ok" in home.run("check")
    home.run("feeds", "list")
    home.run("feeds", "list", "--json")
    exported = home.run("feeds", "export")
    assert "http://***@127.0.0.1" in exported
    home.run("poll", "-v")
    sent = home.run("digest", "send", "daily", "-v")
    home.run("status")
    status = home.run("status", "--json")
    with web_server(home.config, env=home.env) as base:  # the web app shows no secret either
        for path in ("/", "/sources", "/digests", "/api/v1/sources", "/api/v1/digests"):
            page = httpx.get(base + path, timeout=30)
            assert page.status_code == 200, (path, page.text[:300])
            home.outputs.append(f"GET {path}\n{page.text}")
    output = "\n".join(home.outputs)
    dump = state_dump(home.config.parent / "state")

    # what the commands did, so that a silent failure cannot pass for safety
    assert "who are you" not in output and "HTTP 401" in output  # Wrong's error is recorded
    assert "connection failed" in output  # Down's too
    assert "Legion news" in dump  # Guarded was read: its credentials reached the server
    assert home.feed_auth.count(home.feed_auth[0]) >= 1 and any(
        base64.b64decode(a.split()[1]).decode().endswith(home.canary.token("feedpass"))
        for a in home.feed_auth
        if a
    )
    users = {base64.b64decode(a.split()[1]).decode().split(":")[0] for a in home.feed_auth if a}
    assert {"reader", "filer", home.canary.token("envuser")} <= users  # url_file, url_env used
    sent_headers = home.keyed[-1]  # the headers reached their own origin, from env and file
    assert sent_headers["authorization"] == f"Bearer {home.canary.token('bearer')}"
    assert sent_headers["x-plain"] == home.canary.token("plainheader")
    assert "Legion news 99" in dump  # Keyed was read with its key
    assert "authentication failed" in sent and "Slack answered 500" in sent
    assert "no route for POST" in sent  # the reply is shown, its echo of the token masked
    assert '"url": "http://127.0.0.1:' in status

    assert home.canary.mark not in output, output
    assert home.canary.mark not in dump, dump
    # the positive control: the export keeps them when asked
    with_secrets = home.run("feeds", "export", "--with-secrets")
    assert home.canary.token("feedpass") in with_secrets
    assert home.canary.token("filed") in with_secrets and home.canary.token("env") in with_secrets


def check(tmp_path: Path, smtp: str, env: dict[str, str] | None = None) -> str:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "channels:\n  mail:\n    type: email\n    to: [a@example.com]\n    from: b@example.org\n"
        f"    smtp: {{username: mailer, {smtp}}}\n",
        encoding="utf-8",
    )
    done = news_monitor("--config", str(config), "check", env=env)
    return f"{done.returncode}\n{done.stdout}{done.stderr}"


def test_secret_files_and_credentials_are_read_and_their_faults_named(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("s3cret-from-a-file\n")
    (tmp_path / "empty").write_text("\n")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "smtp").write_text("s3cret-from-systemd")
    assert check(tmp_path, "password_file: pw").startswith("0\n")
    on_systemd = {"CREDENTIALS_DIRECTORY": str(creds)}
    assert check(tmp_path, "password_credential: smtp", on_systemd).startswith("0\n")

    missing = check(tmp_path, "password_file: nowhere")
    assert missing.startswith("1\n") and f"cannot read the secret in {tmp_path}/nowhere" in missing
    assert "the secret file" in check(tmp_path, "password_file: empty")
    outside = check(tmp_path, "password_credential: smtp")
    assert "$CREDENTIALS_DIRECTORY is not set" in outside and "LoadCredential=smtp:" in outside
    absent = check(tmp_path, "password_credential: other", on_systemd)
    assert f"cannot read the secret in {creds}/other" in absent
    both = check(tmp_path, "password_env: PW, password_file: pw", {"PW": "x"})
    assert "give one of password_env, password_file" in both
    for output in (missing, outside, absent, both):
        assert "s3cret" not in output
