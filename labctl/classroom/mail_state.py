"""Which handouts have been e-mailed: a state file beside the handouts, so a run that failed halfway (a server
that hung up, a deadline, Ctrl+C) is resumed by running the same command again, and no key is sent twice.

`<folder>/.handout-sent.json`, 0600, written whole after every message (labctl/files.py). It holds no key: per
participant the address, the way it went (graph, smtp), the message id, when, and a SHA-256 prefix of the key
sent. A rotated key has another fingerprint, so that participant's handout is sent again; the same key never is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from labctl.errors import UsageError
from labctl.files import atomic_write_text

STATE_NAME = ".handout-sent.json"
FORMAT_VERSION = 1


def key_fingerprint(key: str) -> str:
    """Enough of SHA-256 to tell two keys apart; nothing to recover a key from (they are random, 32+ chars)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Sent:
    to: str
    via: str
    message_id: str
    at: str
    key_sha256: str


class SendState:
    def __init__(self, path: Path, stack: str, sent: dict[str, Sent] | None = None) -> None:
        self.path = path
        self.stack = stack
        self.sent: dict[str, Sent] = dict(sent or {})

    @classmethod
    def load(cls, folder: Path, stack: str) -> SendState:
        path = folder / STATE_NAME
        if not path.exists():
            return cls(path, stack)
        fix = (
            f"Fix: look at {path} (it holds no key); delete it only if you are sure nothing was sent from this "
            "folder, or send from a new folder"
        )
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            records = {name: Sent(**fields) for name, fields in data["sent"].items()}
            owner = str(data["stack"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(
                f"{path} is not a state file labctl can read ({type(exc).__name__}). {fix}"
            ) from None
        if owner != stack:
            raise UsageError(
                f"{path} records the e-mails of stack {owner}, not of stack {stack}. Fix: send stack {stack}'s "
                "handouts from their own folder (-o DIR)"
            )
        return cls(path, stack, records)

    def already_sent(self, participant: str, key: str) -> Sent | None:
        """The record when this participant was sent this very key; None when never, or another key (rotated)."""
        record = self.sent.get(participant)
        return record if record is not None and record.key_sha256 == key_fingerprint(key) else None

    def record(self, participant: str, *, to: str, via: str, message_id: str, key: str) -> Sent:
        sent = Sent(
            to=to,
            via=via,
            message_id=message_id,
            at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            key_sha256=key_fingerprint(key),
        )
        self.sent[participant] = sent
        self.save()
        return sent

    def save(self) -> None:
        data = {
            "version": FORMAT_VERSION,
            "stack": self.stack,
            "sent": {name: asdict(record) for name, record in sorted(self.sent.items())},
        }
        atomic_write_text(self.path, json.dumps(data, indent=2, ensure_ascii=False) + "\n", mode=0o600)
