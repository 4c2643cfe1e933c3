"""How sending one handout can fail."""

from __future__ import annotations


class MailFailure(Exception):
    """A message was not sent. `fatal`: nothing more can be sent in this run (sign-in, connection, throttling,
    deadline); otherwise only this message failed (a refused recipient) and the others go on."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal
