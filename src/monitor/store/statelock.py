"""One daemon per SQLite state: `daemon.lock` in the state directory, held with `fcntl.flock`.

The kernel drops an flock when its holder's last descriptor closes, so a daemon killed with
SIGKILL leaves no stale lock: the file stays, but nobody holds it. The file records the holder's
pid and start time, for the refusal of a second daemon and for the hint of a locked database.
"""

from __future__ import annotations

import fcntl
import os
import pwd
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from monitor.errors import StoreError

LOCK_NAME = "daemon.lock"


def user() -> str:
    """This process's effective user, by name where the system knows it, and uid."""
    uid = os.geteuid()
    try:
        return f"user {pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def writable_by() -> str:
    """The end of a hint: "writable by user NAME (uid N), the user news-monitor runs as"."""
    return f"writable by {user()}, the user news-monitor runs as"


@dataclass(frozen=True)
class Holder:
    """The daemon that holds a state's lock: its pid and when it started (UTC)."""

    pid: int
    started: str

    def __str__(self) -> str:
        return f"pid {self.pid}, started {self.started}"


@dataclass
class StateLock:
    """A held lock; `release()` (or the holder's death) frees it."""

    path: Path
    fd: int

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _read(fd: int) -> Holder | None:
    text = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
    if len(text) != 2 or not text[0].isdigit():
        return None
    return Holder(int(text[0]), text[1])


def holder(state_dir: Path) -> Holder | None:
    """The daemon running on *state_dir* now, or None (no lock file, or nobody holds it)."""
    try:
        fd = os.open(state_dir / LOCK_NAME, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fd)
        return None  # we could take it: nobody holds it (a dead daemon's file)
    finally:
        os.close(fd)


def acquire(state_dir: Path) -> StateLock:
    """Take *state_dir*'s daemon lock, or refuse with the running daemon's pid and start time."""
    path = state_dir / LOCK_NAME
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(
            f"cannot create the daemon lock {path}: {exc.strerror}",
            f"make {state_dir} {writable_by()}",
        ) from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        running = _read(fd)
        os.close(fd)
        raise StoreError(
            f"another daemon is running on the state {state_dir}"
            + (f" ({running})" if running else ""),
            "run one daemon per state directory: stop the other one "
            + (f"(kill {running.pid}, or `systemctl stop` its unit) " if running else "")
            + "or give this one its own settings.state_dir",
        ) from None
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()} {started}\n".encode(), 0)
    return StateLock(path, fd)
