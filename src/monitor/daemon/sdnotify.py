"""systemd's notify protocol (READY, WATCHDOG, STOPPING, STATUS) over $NOTIFY_SOCKET; no-op elsewhere."""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, environ: Mapping[str, str]) -> None:
        self.address = environ.get("NOTIFY_SOCKET") or None
        usec = environ.get("WATCHDOG_USEC", "")
        self.watchdog_seconds = int(usec) / 1_000_000 if usec.isdigit() and int(usec) > 0 else None

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *fields: str) -> None:
        if not self.address:
            return
        address = self.address
        if address.startswith("@"):  # abstract namespace
            address = "\0" + address[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(address)
                sock.sendall("\n".join(fields).encode())
        except OSError as exc:
            log.warning("sd_notify failed: %s", exc)

    def ready(self, status: str = "") -> None:
        self.send("READY=1", f"STATUS={status}" if status else "STATUS=running")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=finishing the work in hand")

    def status(self, text: str) -> None:
        self.send(f"STATUS={text}")
