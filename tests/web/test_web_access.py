"""Who may reach the web app: a non-loopback bind needs auth (`web` refuses, `check` says so),
a bearer token or basic auth with a PBKDF2 hash, 401 without them; and the app inside `run`."""

from __future__ import annotations

import base64
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from console import SCRIPT, clean_env, news_monitor, web_server
from demosite import write_config
from peers import free_port
from webdemo import Demo, demo_state

TOKEN = "s3cret-token-for-the-web-app"


def test_a_non_loopback_bind_without_auth_is_refused(demo: Demo) -> None:
    done = news_monitor("--config", str(demo.config), "web", "--listen", f"0.0.0.0:{free_port()}")
    assert done.returncode == 1
    assert "is not a loopback address and settings.web.auth is not set" in done.stderr
    assert "hint: set settings.web.auth" in done.stderr


def test_check_reports_a_non_loopback_listen_without_auth(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[]\n")
    text = config.read_text().replace("settings:\n", "settings:\n  web: {listen: 0.0.0.0:8080}\n")
    config.write_text(text)
    done = news_monitor("--config", str(config), "check")
    assert done.returncode == 1
    assert re.search(r"settings\.web\.listen: web: 0\.0\.0\.0:8080 is not a loopback", done.stderr)


def test_check_reports_an_actions_setting_that_is_not_a_boolean(tmp_path: Path) -> None:
    config = write_config(tmp_path, "[]\n")
    text = config.read_text().replace("settings:\n", "settings:\n  web: {actions: 'yes'}\n")
    config.write_text(text)
    done = news_monitor("--config", str(config), "check")
    assert done.returncode == 1
    assert re.search(r"settings\.web\.actions: must be true or false", done.stderr), done.stderr


def _with_auth(config: Path, auth: str) -> None:
    text = config.read_text()
    config.write_text(text.replace("settings:\n", f"settings:\n  web:\n    auth: {auth}\n", 1))


def test_a_bearer_token_guards_every_path_but_healthz(tmp_path: Path) -> None:
    with demo_state(tmp_path) as demo:
        _with_auth(demo.config, "{token_env: WEB_TOKEN}")
        env = {"WEB_TOKEN": TOKEN}
        with web_server(demo.config, env=env, listen=f"0.0.0.0:{free_port()}") as base:
            base = base.replace("0.0.0.0", "127.0.0.1")
            for path in ("/", "/api/v1/stories", "/metrics", "/readyz", "/topics/Legion.atom"):
                r = httpx.get(base + path)
                assert r.status_code == 401, path
                assert r.headers["www-authenticate"].startswith("Bearer")
                assert "default-src 'self'" in r.headers["content-security-policy"]
            wrong = httpx.get(base + "/", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            good = httpx.get(base + "/api/v1/stories", headers={"Authorization": f"Bearer {TOKEN}"})
            assert good.status_code == 200 and good.json()["total"] > 0
            assert TOKEN not in good.text
            assert httpx.get(base + "/healthz").status_code == 200


def test_basic_auth_with_a_hashed_password(tmp_path: Path) -> None:
    made = subprocess.run(
        [str(SCRIPT), "web", "--hash-password"],
        input="correct horse\n",
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    hashed = made.stdout.strip()
    assert hashed.startswith("pbkdf2_sha256$") and "correct horse" not in hashed
    with demo_state(tmp_path) as demo:
        _with_auth(demo.config, f"{{username: ana, password_hash: '{hashed}'}}")
        with web_server(demo.config) as base:
            assert httpx.get(base + "/").headers["www-authenticate"].startswith("Basic")
            bad = base64.b64encode(b"ana:wrong").decode()
            r = httpx.get(base + "/", headers={"Authorization": f"Basic {bad}"})
            assert r.status_code == 401
            assert httpx.get(base + "/", auth=("ana", "correct horse")).status_code == 200
            assert hashed not in httpx.get(base + "/sources", auth=("ana", "correct horse")).text


def test_run_serves_the_web_app_on_the_daemons_loop(tmp_path: Path) -> None:
    """`run` with settings.web.listen: ready while it ticks, its polls counted in /metrics,
    gone with SIGTERM."""
    port = free_port()
    with demo_state(tmp_path) as demo:
        text = demo.config.read_text()
        text = text.replace("settings:\n", f"settings:\n  web: {{listen: 127.0.0.1:{port}}}\n", 1)
        demo.config.write_text(text)
        proc = subprocess.Popen(
            [str(SCRIPT), "--config", str(demo.config), "run"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(),
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    ready = httpx.get(base + "/readyz", timeout=2)
                    if ready.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None and time.monotonic() < deadline, "not ready"
                time.sleep(0.2)
            assert ready.json()["checks"] == {"store": "ok", "scheduler": "ok"}
            assert httpx.get(base + "/api/v1/stories").json()["total"] > 0
            assert re.search(
                r"^news_monitor_polls_in_flight ", httpx.get(base + "/metrics").text, re.M
            )
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            with pytest.raises(httpx.TransportError):
                httpx.get(base + "/healthz", timeout=2)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
