"""TLS from outside: every client this package builds verifies the gateway as ``httpx.Client()``
would (certifi, ``SSL_CERT_FILE``, ``SSL_CERT_DIR``, ``SSLKEYLOGFILE``, read when the client is
built), through one context shared by the clients of a process; a caller's own httpx client keeps
its own settings. The gateway is the emulator behind TLS on loopback, with a certificate from a
throwaway CA (trustme)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp  # noqa: F401 - imported before TLS contexts are counted: it builds its own
import certifi
import httpx
import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from cf_gateway_core import (
    APIConnectionError,
    AsyncGatewayClient,
    ChatRequest,
    GatewayClient,
    Message,
)
from cf_gateway_core.emulator.server import make_server

REQUEST = ChatRequest(model="openai/gpt-5.5", messages=(Message.user("hi"),))
TLS_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE", "NO_PROXY", "no_proxy")


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def gateway(ca: trustme.CA) -> Iterator[str]:
    """The emulator over TLS on 127.0.0.1 (certificate for 127.0.0.1 from ``ca``): its base URL."""
    server = make_server(port=0)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server.base_url.replace("http://", "https://")
    server.shutdown()
    server.close_connections()
    server.server_close()
    thread.join(5)


@pytest.fixture
def tls_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """None of the TLS variables set, whatever the machine running the tests has."""
    for name in TLS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def _kwargs(base_url: str) -> dict[str, Any]:
    return {"account_id": "acct", "api_token": "tok", "base_url": base_url, "max_retries": 0}


def _sync_text(client: GatewayClient) -> str:
    return client.chat(REQUEST).text


def _async_text(client: AsyncGatewayClient) -> str:
    async def go() -> str:
        try:
            return (await client.chat(REQUEST)).text
        finally:
            await client.aclose()

    return asyncio.run(go())


def _both(base_url: str) -> tuple[GatewayClient, AsyncGatewayClient]:
    return GatewayClient(**_kwargs(base_url)), AsyncGatewayClient(**_kwargs(base_url))


def _assert_trusted(base_url: str) -> None:
    sync, aio = _both(base_url)
    with sync:
        assert _sync_text(sync)
    assert _async_text(aio)


def _assert_refused(base_url: str) -> None:
    sync, aio = _both(base_url)
    with sync, pytest.raises(APIConnectionError):
        _sync_text(sync)
    with pytest.raises(APIConnectionError):
        _async_text(aio)


def test_certifi_alone_does_not_trust_a_private_ca(gateway: str, tls_env: Any) -> None:
    _assert_refused(gateway)


def test_ssl_cert_file_is_honoured_by_the_sync_and_async_clients(
    gateway: str, ca_file: str, tls_env: pytest.MonkeyPatch
) -> None:
    tls_env.setenv("SSL_CERT_FILE", ca_file)
    _assert_trusted(gateway)


def _subject_hash(cert: x509.Certificate) -> str:
    """OpenSSL's ``X509_NAME_hash`` (``openssl x509 -hash``): the file name ``SSL_CERT_DIR``
    lookups use. SHA-1 of the canonical subject (each attribute value as a lower-cased UTF8String,
    the RDN sets concatenated without the outer SEQUENCE), first four bytes little-endian."""

    def der(tag: int, body: bytes) -> bytes:
        size = len(body)
        if size < 0x80:
            return bytes([tag, size]) + body
        length = size.to_bytes((size.bit_length() + 7) // 8, "big")
        return bytes([tag, 0x80 | len(length)]) + length + body

    def oid(dotted: str) -> bytes:
        first, second, *rest = (int(part) for part in dotted.split("."))
        out = bytes([40 * first + second])
        for arc in rest:
            chunk = [arc & 0x7F]
            arc >>= 7
            while arc:
                chunk.append(0x80 | (arc & 0x7F))
                arc >>= 7
            out += bytes(reversed(chunk))
        return der(0x06, out)

    canon = b""
    for rdn in cert.subject.rdns:
        entries = b""
        for attribute in rdn:
            value = " ".join(str(attribute.value).split()).lower().encode()
            entries += der(0x30, oid(attribute.oid.dotted_string) + der(0x0C, value))
        canon += der(0x31, entries)
    digest = hashlib.sha1(canon).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def test_ssl_cert_dir_is_honoured_by_the_sync_and_async_clients(
    gateway: str, ca: trustme.CA, tmp_path: Path, tls_env: pytest.MonkeyPatch
) -> None:
    cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    folder = tmp_path / "certs"
    folder.mkdir()
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / f"{_subject_hash(cert)}.0").write_bytes(pem)
    tls_env.setenv("SSL_CERT_DIR", str(folder))
    _assert_trusted(gateway)


def test_ssl_cert_file_wins_over_ssl_cert_dir_as_in_httpx(
    gateway: str, ca_file: str, tmp_path: Path, tls_env: pytest.MonkeyPatch
) -> None:
    tls_env.setenv("SSL_CERT_DIR", str(tmp_path))  # no CA there
    _assert_refused(gateway)
    tls_env.setenv("SSL_CERT_FILE", ca_file)
    _assert_trusted(gateway)


def test_a_missing_ssl_cert_file_fails_when_the_client_is_built_as_in_httpx(
    tmp_path: Path, tls_env: pytest.MonkeyPatch
) -> None:
    tls_env.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(OSError) as from_httpx:
        httpx.Client()
    with pytest.raises(type(from_httpx.value)):
        GatewayClient(**_kwargs("https://127.0.0.1:9/client/v4"))


def test_settings_changed_between_clients_apply_to_the_next_client_built(
    gateway: str, ca: trustme.CA, ca_file: str, tmp_path: Path, tls_env: pytest.MonkeyPatch
) -> None:
    tls_env.setenv("SSL_CERT_FILE", ca_file)
    trusted = GatewayClient(**_kwargs(gateway))
    tls_env.delenv("SSL_CERT_FILE")
    _assert_refused(gateway)
    assert _sync_text(trusted)  # built while the CA was trusted: it keeps its context
    # The same path rewritten with another CA: the file is read again, as httpx reads it.
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    tls_env.setenv("SSL_CERT_FILE", str(other))
    _assert_refused(gateway)
    ca.cert_pem.write_to_path(str(other))
    _assert_trusted(gateway)
    trusted.close()


def test_sslkeylogfile_is_honoured_as_in_httpx(
    gateway: str, ca_file: str, tmp_path: Path, tls_env: pytest.MonkeyPatch
) -> None:
    tls_env.setenv("SSL_CERT_FILE", ca_file)
    _assert_trusted(gateway)  # a context built without a key log
    keylog = tmp_path / "keys.log"
    tls_env.setenv("SSLKEYLOGFILE", str(keylog))
    _assert_trusted(gateway)
    assert "CLIENT_TRAFFIC_SECRET" in keylog.read_text()


def _contexts() -> set[int]:
    gc.collect()
    return {id(obj) for obj in gc.get_objects() if isinstance(obj, ssl.SSLContext)}


def test_the_clients_of_a_process_share_one_tls_context(
    gateway: str, ca_file: str, tls_env: pytest.MonkeyPatch
) -> None:
    tls_env.setenv("SSL_CERT_FILE", ca_file)
    before = _contexts()
    clients = [GatewayClient(**_kwargs(gateway)) for _ in range(3)]
    for client in clients:
        assert _sync_text(client)
    assert _async_text(AsyncGatewayClient(**_kwargs(gateway)))
    assert len(_contexts() - before) <= 1
    for client in clients:
        client.close()


def test_a_callers_http_client_keeps_its_own_tls_settings(
    gateway: str, ca: trustme.CA, ca_file: str, tls_env: pytest.MonkeyPatch
) -> None:
    tls_env.setenv("SSL_CERT_FILE", ca_file)
    _assert_trusted(gateway)  # the shared context trusts the CA
    certifi_only = ssl.create_default_context(cafile=certifi.where())
    with httpx.Client(verify=certifi_only) as http, pytest.raises(APIConnectionError):
        GatewayClient(http_client=http, **_kwargs(gateway)).chat(REQUEST)
    tls_env.delenv("SSL_CERT_FILE")
    trusting = ssl.create_default_context(cafile=certifi.where())
    ca.configure_trust(trusting)
    with httpx.Client(verify=trusting) as http:
        assert GatewayClient(http_client=http, **_kwargs(gateway)).chat(REQUEST).text

    async def own_async() -> str:
        async with httpx.AsyncClient(verify=trusting) as http:
            return (
                await AsyncGatewayClient(http_client=http, **_kwargs(gateway)).chat(REQUEST)
            ).text

    assert asyncio.run(own_async())


class _ConnectProxy:
    """An HTTP CONNECT proxy on 127.0.0.1 that tunnels bytes and records each target."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.targets: list[str] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._tunnel, args=(client,), daemon=True).start()

    def _tunnel(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError), client:  # a refused handshake resets the tunnel
            head = b""
            while b"\r\n\r\n" not in head:
                head += client.recv(4096)
            target = head.split()[1].decode()
            self.targets.append(target)
            host, port = target.rsplit(":", 1)
            with socket.create_connection((host, int(port))) as upstream:
                client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                self._pipe({client: upstream, upstream: client})

    @staticmethod
    def _pipe(pair: dict[socket.socket, socket.socket]) -> None:
        while True:
            ready, _, _ = select.select(list(pair), [], [], 5)
            if not ready:
                return
            for source in ready:
                data = source.recv(65536)
                if not data:
                    return
                pair[source].sendall(data)

    def close(self) -> None:
        self.listener.close()


def test_a_proxied_tls_connection_verifies_with_the_same_settings(
    gateway: str, ca_file: str, tls_env: pytest.MonkeyPatch
) -> None:
    proxy = _ConnectProxy()
    try:
        tls_env.setenv("HTTPS_PROXY", proxy.url)
        _assert_refused(gateway)  # through the tunnel, the private CA is still not trusted
        tls_env.setenv("SSL_CERT_FILE", ca_file)
        _assert_trusted(gateway)
    finally:
        proxy.close()
    port = gateway.split(":")[2].split("/")[0]
    assert proxy.targets and set(proxy.targets) == {f"127.0.0.1:{port}"}
