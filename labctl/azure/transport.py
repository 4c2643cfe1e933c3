"""Reaching Azure over TLS: the CA trust (system store plus REQUESTS_CA_BUNDLE / SSL_CERT_FILE) and one pooled
transport per command, so a corporate TLS proxy or the loopback fake ARM of the tests is handled the same way by
every command (preflight, purge, smoke). Sign-in and clouds: labctl/azure/signin.py.
"""

from __future__ import annotations

import os
import re
import ssl
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from labctl.errors import AzureError

# Variables that add CAs to the system store (a corporate TLS proxy, a sovereign or test endpoint).
EXTRA_CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


def extra_ca_locations() -> list[tuple[str, str]]:
    """(variable, path) for each of REQUESTS_CA_BUNDLE and SSL_CERT_FILE that is set, the same path once."""
    found: list[tuple[str, str]] = []
    for variable in EXTRA_CA_VARIABLES:
        value = os.environ.get(variable, "").strip()
        if value and value not in (path for _, path in found):
            found.append((variable, value))
    return found


# Where Linux distributions keep their CA bundle: used when OpenSSL's compiled-in paths hold nothing, as with a
# relocatable Python build (the same candidates truststore searches).
SYSTEM_CA_FILES = (
    "/etc/ssl/cert.pem",  # Alpine, Arch, Fedora 34+, RHEL 9+, BSD
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # Fedora 44+, RHEL 11+
    "/etc/pki/tls/cert.pem",  # older Fedora, RHEL, CentOS
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/ssl/ca-bundle.pem",  # SUSE
)
_HASHED_CERT_NAME = re.compile(r"^[0-9a-fA-F]{8}\.[0-9]+$")


def tls_context() -> ssl.SSLContext:
    """The CA trust of every command that talks to Azure: the operating system's store plus REQUESTS_CA_BUNDLE /
    SSL_CERT_FILE (added on top, never instead). Nothing is written to disk: an extra CA comes only from the
    file the user named.

    - Windows and macOS: `truststore`, which verifies with the platform's own verifier, so a CA installed the
      company way (Group Policy, MDM, Keychain) is trusted.
    - Linux and other OpenSSL systems: the system store *is* OpenSSL's default CA paths (SSL_CERT_FILE /
      SSL_CERT_DIR or the distribution's bundle), which is exactly what truststore loads there; it is loaded
      once into one context. (truststore reloads the whole bundle under a lock for every connection, about
      35 ms each, which made an 8-region preflight nearly 3x slower than one region.)"""
    if sys.platform in ("win32", "darwin"):
        import truststore

        context: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    else:
        context = system_store_context()
    for variable, path in extra_ca_locations():
        try:
            if Path(path).is_dir():
                context.load_verify_locations(capath=path)
            else:
                context.load_verify_locations(cafile=path)
        except (OSError, ssl.SSLError) as exc:
            raise AzureError(
                f"{variable}={path} cannot be used as a CA bundle ({getattr(exc, 'strerror', None) or exc}). "
                "Fix: point it at a PEM file (or a folder) of CA certificates, or unset it"
            ) from None
    return context


def system_store_context() -> ssl.SSLContext:
    """A client context (hostname checked, certificate required) trusting OpenSSL's system store."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    defaults = ssl.get_default_verify_paths()
    if defaults.cafile or (defaults.capath and _holds_hashed_certs(defaults.capath)):
        context.set_default_verify_paths()
    else:
        for cafile in SYSTEM_CA_FILES:
            if os.path.isfile(cafile):
                context.load_verify_locations(cafile=cafile)
                break
    return context


def _holds_hashed_certs(folder: str) -> bool:
    try:
        return any(_HASHED_CERT_NAME.fullmatch(name) for name in os.listdir(folder))
    except OSError:
        return False


def tls_session(context: ssl.SSLContext | None = None, *, pool_size: int = 10) -> Any:
    """A requests session whose HTTPS connections all use `context` (default: `tls_context()`), pooled.

    requests would otherwise verify against certifi (or a file path) and load it again for every new connection;
    here the one context holds the trust and urllib3 is told nothing else."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    shared = context if context is not None else tls_context()

    class SslContextAdapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            kwargs["ssl_context"] = shared
            super().init_poolmanager(*args, **kwargs)

        def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
            host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
            if verify is not False:
                # requests adds certifi (or REQUESTS_CA_BUNDLE) as ca_certs, which urllib3 would load into the
                # shared context on every connection; the context already holds the trust.
                pool_kwargs.pop("ca_certs", None)
                pool_kwargs.pop("ca_cert_dir", None)
                pool_kwargs["ssl_context"] = shared
            return host_params, pool_kwargs

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)
            if verify is not False:
                conn.ca_certs = conn.ca_cert_dir = None

    session = requests.Session()
    # azure-core retries; urllib3 must not retry underneath it (RequestsTransport sets the same for its own).
    adapter = SslContextAdapter(
        pool_maxsize=pool_size, max_retries=Retry(total=False, redirect=False, raise_on_status=False)
    )
    for scheme in ("https://", "http://"):
        session.mount(scheme, adapter)
    return session


@contextmanager
def shared_tls_transport(*, pool_size: int = 10, **connection: Any) -> Iterator[Any]:
    """An azure-core transport for one command: one pooled session with `tls_context()`, shared by every client
    and thread (a command that opens a connection per region must not pay for the CA setup per region).

    The transport does not own the session (`session_owner=False`): closing a client never drops it for a
    default one that would trust other CAs; the session is closed when this block ends. `connection` takes
    azure-core's connection_timeout and read_timeout."""
    from azure.core.pipeline.transport import RequestsTransport

    session = tls_session(pool_size=pool_size)
    try:
        yield RequestsTransport(session=session, session_owner=False, **connection)
    finally:
        session.close()
