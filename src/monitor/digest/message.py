"""The outbox payload: one message for one channel, stored before it is sent so a retry sends the same bytes."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True)
class Message:
    """One message for a channel: what the outbox stores and a sender sends."""

    subject: str
    text: str
    html: str = ""
    slack: str = ""  # one Slack payload, JSON
    created: str = ""  # ISO 8601: when the digest was built (the email Date)

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, str]) -> Message:
        return cls(**data)


def header_safe(text: str) -> str:
    """A single line: CR, LF and other control characters become spaces."""
    return _HEADER_UNSAFE.sub(" ", text).strip()
