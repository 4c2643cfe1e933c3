"""Loopback HTTPS fakes of Azure endpoints for the real SDK clients (azure-mgmt-*, openai), and a fake credential.

The SDKs run unpatched: they speak real HTTPS to 127.0.0.1, trusting a throwaway CA made by trustme.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme
from azure.core.credentials import AccessToken
from pytest_httpserver import HTTPServer


class FakeCredential:
    """A TokenCredential that never signs in anywhere: it hands out a fixed bearer token and records scopes."""

    def __init__(self, token: str = "fake-arm-token") -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: object) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes: str, options: object = None):  # azure-core >= 1.31 protocol
        from azure.core.credentials import AccessTokenInfo

        self.scopes.append(scopes)
        return AccessTokenInfo(self.token, int(time.time()) + 3600)

    def close(self) -> None:
        pass


@dataclass
class FakeEndpoint:
    server: HTTPServer
    ca_file: Path

    @property
    def base_url(self) -> str:
        return self.server.url_for("/").rstrip("/")


@pytest.fixture(scope="session")
def tls_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def tls_ca_file(tls_ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tls") / "ca.pem"
    tls_ca.cert_pem.write_to_path(str(path))
    return path


class LazyHandshakeContext(ssl.SSLContext):
    """A server context whose connections do their TLS handshake in the request's own thread.

    werkzeug wraps the listening socket, so by default every accepted connection is handshaken by the one
    accept loop, in accept order. Real endpoints handshake connections concurrently; a client that serialises
    its own handshakes (truststore holds a lock during each) would otherwise wait on the accept loop while the
    accept loop waits on another client connection: a deadlock no real server has."""

    def wrap_socket(self, sock, *args, **kwargs):  # type: ignore[no-untyped-def,override]
        kwargs["do_handshake_on_connect"] = False
        return super().wrap_socket(sock, *args, **kwargs)


def https_server(ca: trustme.CA) -> HTTPServer:
    """A threaded loopback HTTPS server with a certificate from `ca` (not started)."""
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ssl_context = LazyHandshakeContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ssl_context)
    return HTTPServer(host="127.0.0.1", port=0, ssl_context=ssl_context, threaded=True)


@pytest.fixture(scope="session")
def _https_server(tls_ca: trustme.CA) -> Iterator[HTTPServer]:
    server = https_server(tls_ca)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture
def fake_azure(
    _https_server: HTTPServer, tls_ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeEndpoint]:
    """An HTTPS endpoint on 127.0.0.1 that clients trust through REQUESTS_CA_BUNDLE / SSL_CERT_FILE."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_ca_file))
    _https_server.clear()
    yield FakeEndpoint(server=_https_server, ca_file=tls_ca_file)
    _https_server.clear()


@pytest.fixture
def fake_credential() -> FakeCredential:
    return FakeCredential()
