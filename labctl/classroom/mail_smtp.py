"""Sending a handout through an SMTP server (a university's own, Gmail with an app password...): STARTTLS always
(the keys and the password never cross the network in clear), AUTH when a user is given, the password from the
LABCTL_SMTP_PASSWORD environment variable only (never an option: command lines end up in shell history and `ps`).

Microsoft 365: Exchange Online disables Basic authentication for SMTP AUTH (client submission,
smtp.office365.com) by default for existing tenants at the end of December 2026, and new tenants do not have it
(techcommunity.microsoft.com/blog/exchange/updated-exchange-online-smtp-auth-basic-authentication-deprecation-timeline/4489835);
a password login then answers `550 5.7.30 Basic authentication is not supported for Client Submission`
(techcommunity.microsoft.com/t5/exchange-team-blog/exchange-online-to-retire-basic-auth-for-client-submission-smtp/ba-p/4114750).
Use `--send` without --smtp-host there: Microsoft Graph (mail_graph.py).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from typing import Any

from labctl.azure.deadline import Deadline
from labctl.classroom.handout_mail import MailContent, email_message
from labctl.classroom.mail_errors import MailFailure

PASSWORD_VARIABLE = "LABCTL_SMTP_PASSWORD"
DEFAULT_PORT = 587  # message submission with STARTTLS (RFC 6409)
CALL_TIMEOUT_S = 30.0
M365_BASIC_AUTH_GONE = (
    "Microsoft 365 no longer takes SMTP password logins (Basic authentication for SMTP AUTH is disabled by default "
    "from the end of December 2026). Fix: send through Microsoft Graph instead: drop --smtp-host (README, 'Send "
    "the handouts')"
)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = DEFAULT_PORT
    user: str | None = None
    password: str | None = None
    sender: str = ""


class SmtpSender:
    via = "smtp"

    def __init__(self, settings: SmtpSettings, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self.ssl_context = ssl_context
        self.smtp: smtplib.SMTP | None = None

    def open(self, deadline: Deadline) -> None:
        s = self.settings
        where = f"{s.host}:{s.port}"
        context = self.ssl_context
        if context is None:
            from labctl.azure.transport import tls_context

            context = tls_context()
        try:
            self.smtp = smtplib.SMTP(s.host, s.port, timeout=_timeout(deadline))
            self.smtp.ehlo()
            if not self.smtp.has_extn("starttls"):
                raise MailFailure(
                    f"{where} does not offer STARTTLS: the keys (and your password) would cross the network in "
                    "clear, so nothing was sent. Fix: use the server's submission port (usually 587) or another "
                    "server",
                    fatal=True,
                )
            self.smtp.starttls(context=context)
            self.smtp.ehlo()
            if s.user:
                self.smtp.login(s.user, s.password or "")
        except smtplib.SMTPAuthenticationError as exc:
            text = _reply(exc)
            if "5.7.30" in text or "Basic authentication is not supported" in text:
                raise MailFailure(
                    f"{where} refused the password login ({text}). {M365_BASIC_AUTH_GONE}", fatal=True
                ) from None
            raise MailFailure(
                f"{where} refused the login of {s.user} ({text}). Fix: check --smtp-user and {PASSWORD_VARIABLE} "
                "(an app password where the provider requires one)",
                fatal=True,
            ) from None
        except smtplib.SMTPNotSupportedError:
            raise MailFailure(
                f"{where} does not offer AUTH after STARTTLS. Fix: check the host and port", fatal=True
            ) from None
        except ssl.SSLError as exc:
            raise MailFailure(
                f"TLS with {where} failed ({exc.reason or exc}). Fix: check the host name; for a company CA set "
                "SSL_CERT_FILE to its PEM file",
                fatal=True,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailFailure(
                f"cannot talk to {where}: {_reply(exc)}. Fix: check --smtp-host and --smtp-port", fatal=True
            ) from None

    def send(self, content: MailContent, deadline: Deadline) -> str:
        if self.smtp is None or deadline.expired():
            raise MailFailure("not sent: the --timeout deadline passed", fatal=True)
        message = email_message(content, sender=self.settings.sender)
        if self.smtp.sock is not None:
            self.smtp.sock.settimeout(_timeout(deadline))
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            reply = "; ".join(_reply(e) for e in exc.recipients.values())
            raise MailFailure(f"the server refused {content.to_address}: {reply}", fatal=False) from None
        except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
            # 5xx: this message is refused, the next may pass; 4xx: the server wants us to stop for now.
            fatal = not (500 <= exc.smtp_code < 600)
            raise MailFailure(f"the server refused the message: {_reply(exc)}", fatal=fatal) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailFailure(
                f"the server hung up while sending to {content.to_address} ({_reply(exc)}): that message may not "
                "have arrived. Fix: run the same command again: it sends only the rest",
                fatal=True,
            ) from None
        return str(message["Message-ID"])

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()


def _timeout(deadline: Deadline) -> float:
    return max(0.1, min(CALL_TIMEOUT_S, deadline.remaining()))


def _reply(exc: Any) -> str:
    if isinstance(exc, tuple) and len(exc) == 2:
        code, text = exc
    else:
        code, text = getattr(exc, "smtp_code", None), getattr(exc, "smtp_error", None)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    if code is None:
        return str(exc) or type(exc).__name__
    return f"{code} {' '.join(str(text).split())}"
