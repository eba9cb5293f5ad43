"""Crash trials: kill -9 the installed `news-monitor run` at random moments, then count losses.

Used by bench/crash.py (100 trials) and tests/test_crash_trials.py (5 trials):

    with CrashRig(directory, feeds=16) as rig:
        for n in range(trials):
            rig.trial(rng)             # start `run -v`, wait for a phase, kill -9 its group
        report = rig.settle()          # poll --all, run until the outbox is empty, read the state

The rig: a feed farm (bench/feedfarm.py) whose feeds gain one item every `bump` seconds while
the trials run (items stay `items` bumps in a feed, several 30 s poll intervals), an
aiosmtpd SMTP sink and a Slack webhook sink on 127.0.0.1, and a realtime digest to both. A
trial picks one of the four phases uniformly, waits for the daemon's -v line that starts it
(see PHASES), waits a further uniform random part of that phase's usual length, and sends
SIGKILL to the daemon's process group (the main process and its extraction workers, as
systemd's KillMode=control-group or a power cut would). Which phases were really in progress
at that moment is read from the lines before it (`Trial.inside`). Analysis: crashreport.py.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller

from crashreport import PHASES, analyse, in_progress, settled
from feedfarm import FeedFarm

SCRIPT = Path(sys.executable).with_name("news-monitor")
SLACK_PATH = "/services/T0/B0/crash"


class _SmtpHandler:
    def __init__(self, rig: CrashRig) -> None:
        self.rig = rig

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        message_id = str(msg.get("Message-ID", "")).strip("<>").split("@")[0]
        part = msg.get_body(("plain",))  # type: ignore[attr-defined]
        text = part.get_content() if part is not None else ""
        with self.rig.lock:
            self.rig.emails.append((message_id, text))
        return "250 Message accepted"


class _SlackHandler(BaseHTTPRequestHandler):
    rig: CrashRig

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with self.rig.lock:
            self.rig.slack.append(body)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@dataclass
class Trial:
    phase: str  # the phase aimed at
    reached: bool  # its line came before the timeout (else the kill came at the timeout)
    inside: set[str] = field(default_factory=set)  # phases in progress when the kill came
    seconds: float = 0.0  # from start to kill


class Daemon:
    """`news-monitor run -v` in its own process group; its stderr read line by line."""

    def __init__(self, rig: CrashRig) -> None:
        self.lines: list[str] = []
        self.cond = threading.Condition()
        self.log = (rig.directory / "daemon.log").open("a")
        self.proc = subprocess.Popen(
            [str(SCRIPT), "run", "-v", "--config", str(rig.config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")},
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.log.write(line)
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()

    def wait_for(self, text: str, timeout: float, start: int = 0) -> bool:
        """True once a line from index *start* on contains *text* (False after *timeout*)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                if any(text in line for line in self.lines[start:]):
                    return True
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    return False
                self.cond.wait(left)

    def kill(self) -> list[str]:
        """SIGKILL to the whole group; the lines read before it."""
        with self.cond:
            before = list(self.lines)
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.close()
        return before

    def stop(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.close()
        return self.proc.returncode

    def close(self) -> None:
        self.proc.wait()
        self.reader.join(10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self.log.close()


class CrashRig:
    def __init__(
        self, directory: Path, *, feeds: int = 16, items: int = 60, bump: float = 10.0
    ) -> None:
        self.directory = directory
        # 4 items at first, one more every `bump` seconds: an item stays `items` bumps in its
        # feed (3 minutes), a few poll intervals, so one that is never stored was lost
        self.farm = FeedFarm(
            feeds=feeds, hosts=min(feeds, 50), items=items, full_content=False, step=1, start=4
        )
        self.bump_every = bump
        self.lock = threading.Lock()
        self.emails: list[tuple[str, str]] = []  # (Message-ID, text part) received, in order
        self.slack: list[str] = []  # bodies received, in order
        self.trials: list[Trial] = []
        self.config = directory / "feeds.yaml"
        self._stop_bumps = threading.Event()
        self._bumper: threading.Thread | None = None

    def __enter__(self) -> CrashRig:
        self.farm.__enter__()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.smtp_port = int(probe.getsockname()[1])
        self.smtp = Controller(_SmtpHandler(self), hostname="127.0.0.1", port=self.smtp_port)
        try:
            self.smtp.start()
        except BaseException:
            self.farm.__exit__(None, None, None)
            raise
        handler = type("Slack", (_SlackHandler,), {"rig": self})
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.config.write_text(self._config(), encoding="utf-8")
        self._bumper = threading.Thread(target=self._bump, daemon=True)
        self._bumper.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop_bumps.set()
        self.http.shutdown()
        self.http.server_close()
        self.smtp.stop()
        self.farm.__exit__(exc_type, exc, tb)

    def _bump(self) -> None:
        while not self._stop_bumps.wait(self.bump_every):
            self.farm.bump()

    def _config(self) -> str:
        smtp_port = self.smtp_port
        slack = f"http://127.0.0.1:{self.http.server_address[1]}{SLACK_PATH}"
        feeds = "".join(
            f"  - {{url: '{u}', name: feed{i}, full_text: always}}\n"
            for i, u in enumerate(self.farm.urls)
        )
        return f"""\
settings:
  state_dir: {self.directory / "state"}
  poll_interval: 30s
  min_interval: 30s
  concurrency: 4
  extract_workers: 1
  tick: 500ms
  digest_check: 1s
  shutdown_grace: 5s
  realtime_debounce: 1s
  delivery_retry_base: 1s
  delivery_retry_cap: 5s
  fetch: {{connect_timeout: 2s, read_timeout: 5s, total_timeout: 10s}}
topics:
  - name: Farm
    query: 'market OR election OR border OR storm OR court OR minister'
digests:
  - name: farm-live
    topics: [Farm]
    schedule: realtime
    channels: [mail, slack]
    max_stories: 100
channels:
  mail:
    type: email
    to: [desk@example.com]
    from: news-monitor@example.org
    smtp: {{host: 127.0.0.1, port: {smtp_port}, timeout: 5s}}
  slack:
    type: slack
    webhook_url: {slack}
feeds:
{feeds}"""

    def trial(self, rng: random.Random, timeout: float = 30.0, phase: str | None = None) -> Trial:
        """One start, one kill -9 in *phase*, by default chosen uniformly among PHASES."""
        phase = phase or rng.choice(list(PHASES))
        begin, _, usual = PHASES[phase]
        started = time.monotonic()
        daemon = Daemon(self)
        if not daemon.wait_for("daemon started", 60):
            daemon.kill()
            raise RuntimeError(f"the daemon did not start; see {self.directory / 'daemon.log'}")
        reached = daemon.wait_for(begin, timeout)
        time.sleep(rng.uniform(0, usual))
        lines = daemon.kill()
        trial = Trial(phase, reached, in_progress(lines), time.monotonic() - started)
        self.trials.append(trial)
        return trial

    def settle(self, timeout: float = 120.0) -> dict[str, Any]:
        """Stop the feeds moving, poll every feed once, run until every delivery is done."""
        self._stop_bumps.set()
        if self._bumper is not None:
            self._bumper.join()
        env = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
        poll = subprocess.run(
            [str(SCRIPT), "poll", "--all", "--config", str(self.config)],
            capture_output=True, text=True, timeout=300, env=env,
        )  # fmt: skip
        daemon = Daemon(self)
        deadline = time.monotonic() + timeout
        db = self.directory / "state" / "monitor.db"
        while time.monotonic() < deadline and not settled(db, ("mail", "slack")):
            time.sleep(0.5)
        code = daemon.stop()
        with self.lock:
            emails, slack = list(self.emails), list(self.slack)
        report = analyse(db, self.farm, emails, slack)
        report.update(final_poll=poll.returncode, final_run=code, trials=len(self.trials))
        return report
