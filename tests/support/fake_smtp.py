"""A real SMTP server on loopback for the mail tests (aiosmtpd): STARTTLS with a trustme certificate, AUTH
PLAIN/LOGIN after TLS only, and scripted failures (a recipient refused, a server that gives up halfway, Microsoft
365's answer to a password login once Basic authentication is off)."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER = "profesora@uni.es"
PASSWORD = "app-password-0123"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    login: str | None


@dataclass
class Mailbox:
    """What the server accepted, and how it should misbehave."""

    received: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse_rcpt: set[str] = field(default_factory=set)
    # After this many accepted messages, answer every DATA with this reply (None: never).
    fail_after: int | None = None
    fail_reply: str = "451 4.3.0 Temporary server error, try again later"
    auth_reply: str | None = None  # a fixed failure for every AUTH (e.g. Microsoft 365's 5.7.30)

    async def handle_RCPT(
        self, server, session, envelope, address, rcpt_options
    ):  # aiosmtpd calls hooks by these names
        if address in self.refuse_rcpt:
            return "550 5.1.1 The email account that you tried to reach does not exist"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_after is not None and len(self.received) >= self.fail_after:
            return self.fail_reply
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), message, session.auth_data)
        )
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        self.logins.append((login, password))
        if self.auth_reply:
            return AuthResult(success=False, handled=False, message=self.auth_reply)
        return AuthResult(success=(login, password) == (USER, PASSWORD), handled=False, auth_data=login)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    ca: trustme.CA

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


def start(ca: trustme.CA, *, starttls: bool = True) -> tuple[Controller, SmtpServer]:
    mailbox = Mailbox()
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(tls)
    port = _free_port()
    kwargs: dict[str, object] = {"authenticator": mailbox.authenticate, "auth_require_tls": True}
    if starttls:
        kwargs.update(tls_context=tls, require_starttls=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, server_hostname="localhost", **kwargs)
    controller.start()
    return controller, SmtpServer(mailbox, port, ca)


@pytest.fixture
def smtp_server(tls_ca: trustme.CA) -> Iterator[SmtpServer]:
    controller, server = start(tls_ca)
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture
def plain_smtp_server(tls_ca: trustme.CA) -> Iterator[SmtpServer]:
    """A server that offers no STARTTLS: nothing may be sent to it."""
    controller, server = start(tls_ca, starttls=False)
    try:
        yield server
    finally:
        controller.stop()
