"""Sending a handout from the instructor's own Microsoft 365 mailbox: Microsoft Graph `POST /me/sendMail` with
the instructor's delegated sign-in (scope Mail.Send; learn.microsoft.com/graph/api/user-sendmail answers 202
Accepted with no body).

Which app signs in: Graph's Mail.Send is a delegated permission an app must be consented for. The Azure CLI's
client (04b07795-8ddb-461a-bbee-02f9e1bf7b46) is pre-authorized for a fixed set of Graph permissions only and
cannot ask for others (Azure/azure-cli#22775; sending mail with its token answers "Access is denied",
microsoftgraph/msgraph-sdk-java#1900). Microsoft Graph Command Line Tools (Microsoft Graph PowerShell's public
client, 14d82eec-204b-4c2f-b7e8-296a70dab67e) asks for scopes dynamically (`Connect-MgGraph -Scopes Mail.Send`):
it works without an app registration where the tenant lets users consent, or an admin consented, to Mail.Send for
it. Otherwise register an app (README "Keys to students" > "Send them") and pass its id with --graph-client-id.
"""

from __future__ import annotations

import uuid
from typing import Any

from labctl.azure.deadline import Deadline, first_line, retry_after
from labctl.classroom.handout_mail import MailContent, graph_message
from labctl.classroom.mail_errors import MailFailure

GRAPH_URL = "https://graph.microsoft.com/v1.0"
MAIL_SEND_SCOPE = "https://graph.microsoft.com/Mail.Send"
GRAPH_CLI_CLIENT_ID = "14d82eec-204b-4c2f-b7e8-296a70dab67e"  # Microsoft Graph Command Line Tools
CALL_TIMEOUT_S = 30.0
REGISTER_FIX = (
    "register an app for yourself (README, 'Keys to students' > 'Send them': public client, redirect URI http://localhost, "
    "delegated Microsoft Graph permission Mail.Send) and pass --graph-client-id <its application id>"
)


def graph_credential(client_id: str, tenant: str | None, *, device_code: bool) -> Any:
    """The instructor's own sign-in: a browser window (or a code to type at microsoft.com/devicelogin)."""
    from azure.identity import DeviceCodeCredential, InteractiveBrowserCredential

    tenant_id = tenant or "organizations"
    if device_code:
        return DeviceCodeCredential(client_id=client_id, tenant_id=tenant_id)
    return InteractiveBrowserCredential(client_id=client_id, tenant_id=tenant_id)


class GraphSender:
    via = "graph"

    def __init__(self, credential: Any, *, base_url: str = GRAPH_URL, session: Any = None) -> None:
        self.credential = credential
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.token: str | None = None

    def open(self, deadline: Deadline) -> None:
        from azure.core.exceptions import ClientAuthenticationError

        if self.session is None:
            from labctl.azure.transport import tls_session

            self.session = tls_session(pool_size=2)
        try:
            self.token = self.credential.get_token(MAIL_SEND_SCOPE).token
        except ClientAuthenticationError as exc:
            text = first_line(str(exc))
            consent = any(
                code in str(exc) for code in ("AADSTS65001", "AADSTS90094", "AADSTS65002", "consent")
            )
            fix = f"Fix: {REGISTER_FIX}" if consent else "Fix: sign in again (or use --device-code)"
            raise MailFailure(
                f"signing in to Microsoft Graph for Mail.Send failed: {text}. {fix}", fatal=True
            ) from None

    def send(self, content: MailContent, deadline: Deadline) -> str:
        import requests

        if deadline.expired():
            raise MailFailure("not sent: the --timeout deadline passed", fatal=True)
        request_id = str(uuid.uuid4())
        try:
            answer = self.session.post(
                f"{self.base_url}/me/sendMail",
                json=graph_message(content),
                headers={"Authorization": f"Bearer {self.token}", "client-request-id": request_id},
                timeout=max(0.1, min(CALL_TIMEOUT_S, deadline.remaining())),
            )
        except requests.Timeout:
            raise MailFailure(
                "Microsoft Graph did not answer in time: the message may or may not have been sent; check your "
                "Sent Items before sending it again (--only)",
                fatal=True,
            ) from None
        except requests.RequestException as exc:
            raise MailFailure(f"cannot reach Microsoft Graph: {first_line(str(exc))}", fatal=True) from None
        if answer.status_code == 202:
            return request_id
        raise _failure(answer)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def _failure(answer: Any) -> MailFailure:
    try:
        error = answer.json().get("error") or {}
    except ValueError:
        error = {}
    code = str(error.get("code") or answer.status_code)
    detail = f"Microsoft Graph answered {answer.status_code} {code}: {first_line(str(error.get('message') or answer.text))}"
    status = answer.status_code
    if status == 401:
        return MailFailure(f"{detail}. Fix: sign in again", fatal=True)
    if status == 403:
        return MailFailure(
            f"{detail}. Fix: your mailbox must allow sending as you, and the app needs Mail.Send: {REGISTER_FIX}",
            fatal=True,
        )
    if status in (429, 503, 504) or status >= 500:
        wait = retry_after(answer)
        later = f" (Graph asks to wait {wait:g} s)" if wait else ""
        return MailFailure(
            f"{detail}{later}. Fix: run the same command again later: it sends only the rest", fatal=True
        )
    # 400 and the like concern this one message (a recipient Exchange refuses): the others can go.
    return MailFailure(f"{detail}. Fix: check the participant's e-mail in the stack file", fatal=False)
