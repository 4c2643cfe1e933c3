"""A handout as an e-mail: one message per participant, the same content for an .eml draft, an SMTP server and
Microsoft Graph's sendMail. Built with Python's `email` package (EmailMessage, policy SMTP): non-ASCII names
and Spanish text are encoded as the RFCs say (RFC 2047 words in headers, UTF-8 bodies with a transfer encoding),
never by hand."""

from __future__ import annotations

import base64
import email.policy
import email.utils
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage

from labctl.classroom.handout import ClassInfo, HandoutError, Student
from labctl.classroom.handout_render import env_text, html_page, markdown
from labctl.classroom.i18n import Texts


@dataclass(frozen=True)
class MailContent:
    """What one participant receives."""

    participant: str
    to_name: str
    to_address: str
    subject: str
    text: str
    html: str
    attachment_name: str
    attachment: bytes


def mail_content(info: ClassInfo, student: Student, tx: Texts) -> MailContent:
    if not student.email:
        raise HandoutError(
            f"participant {student.name} has no e-mail address, so no message can be addressed to them. Fix: "
            "add `email` to the participant in the stack file (`labctl roster import`)"
        )
    env_name = f"{student.name}.env"
    greeting = tx.t("mail.greeting", name=student.display_name or student.name)
    intro = f"{greeting}\n\n{tx.t('mail.body', env=env_name)}\n\n"
    return MailContent(
        participant=student.name,
        to_name=student.display_name or student.name,
        to_address=student.email,
        subject=tx.t("mail.subject", lab=info.lab or ""),
        text=intro + markdown(info, student, tx),
        html=html_page(info, student, tx),
        attachment_name=env_name,
        attachment=env_text(info, student).encode("utf-8"),
    )


def email_message(content: MailContent, *, sender: str | None = None, draft: bool = False) -> EmailMessage:
    """The message as RFC 5322 text: plain text and HTML alternatives plus the .env. A `draft` carries
    `X-Unsent: 1`, so Outlook opens the .eml as a message to send rather than one received."""
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["To"] = Address(display_name=content.to_name, addr_spec=content.to_address)
    if sender:
        msg["From"] = sender
    msg["Subject"] = content.subject
    msg["Date"] = email.utils.formatdate(usegmt=True)
    if draft:
        # The mail client gives the message its Message-ID when it sends it.
        msg["X-Unsent"] = "1"
    else:
        # In the sender's domain (RFC 5322 3.6.4 wants it unique there); the state file records it.
        domain = email.utils.parseaddr(sender or "")[1].rpartition("@")[2] or "aoai-lab.invalid"
        msg["Message-ID"] = email.utils.make_msgid(idstring=content.participant, domain=domain)
    msg.set_content(content.text, cte="quoted-printable")
    msg.add_alternative(content.html, subtype="html", cte="quoted-printable")
    msg.add_attachment(content.attachment, maintype="text", subtype="plain", filename=content.attachment_name)
    return msg


def graph_message(content: MailContent) -> dict[str, object]:
    """The JSON body of Microsoft Graph's `POST /me/sendMail` (learn.microsoft.com/graph/api/user-sendmail):
    `message` with subject, an HTML body, the recipient and the .env as a fileAttachment; a copy is kept in the
    instructor's Sent Items."""
    return {
        "message": {
            "subject": content.subject,
            "body": {"contentType": "HTML", "content": content.html},
            "toRecipients": [{"emailAddress": {"address": content.to_address, "name": content.to_name}}],
            "attachments": [
                {
                    "@odata.type": "#microsoft.graph.fileAttachment",
                    "name": content.attachment_name,
                    "contentType": "text/plain",
                    "contentBytes": base64.b64encode(content.attachment).decode("ascii"),
                }
            ],
        },
        "saveToSentItems": True,
    }
