"""SEC-5: the certificates every NATS connection uses, and the local PKI `xueji up` creates.

A client presents its certificate; nats-server checks it against the CA and maps its subject
(`CN=<client>`) to a NATS user with that client's permissions (`xueji/nats_config.py`). A
production deployment brings its own PKI: the three paths of `NatsClientSettings` point at
its files, and its nats-server configuration maps its subjects.

`LocalPki` creates, once, under a directory (`var/pki/` for `xueji up`): a CA, one server
certificate (for 127.0.0.1 / localhost) per nats-server and one client certificate per
client name. EC P-256 keys: a whole PKI takes milliseconds, so tests make one per session.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VALID_DAYS = 3650
CA_NAME = "xueji local CA"


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of one party: the CA it trusts, its certificate and its private key."""

    ca: Path
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """TLS for a NATS client: verifies the server against `ca`, presents `cert`."""
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.ca))
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


class NatsClientSettings(BaseSettings):
    """Where NATS is and which certificate to present (env `XUEJI_NATS_*`).

    Without the three files the connection is plain (a server that requires TLS refuses it).
    """

    model_config = SettingsConfigDict(env_prefix="XUEJI_", extra="ignore")

    nats_url: str = "nats://127.0.0.1:4222"
    nats_ca_file: Path | None = None
    nats_cert_file: Path | None = None
    nats_key_file: Path | None = None

    @model_validator(mode="after")
    def _all_or_none(self) -> NatsClientSettings:
        files = (self.nats_ca_file, self.nats_cert_file, self.nats_key_file)
        if any(f is None for f in files) and not all(f is None for f in files):
            raise ValueError(
                "XUEJI_NATS_CA_FILE, XUEJI_NATS_CERT_FILE and XUEJI_NATS_KEY_FILE go together"
            )
        return self

    def nats_tls(self) -> TlsFiles | None:
        if self.nats_ca_file is None or self.nats_cert_file is None or self.nats_key_file is None:
            return None
        return TlsFiles(self.nats_ca_file, self.nats_cert_file, self.nats_key_file)


def tls_env(files: TlsFiles) -> dict[str, str]:
    """The environment variables that make a service present `files`."""
    return {
        "XUEJI_NATS_CA_FILE": str(files.ca),
        "XUEJI_NATS_CERT_FILE": str(files.cert),
        "XUEJI_NATS_KEY_FILE": str(files.key),
    }


class LocalPki:
    """A CA and its certificates in one directory; what exists is kept, what is missing made."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ca_file = directory / "ca.pem"
        self._ca_key_file = directory / "ca-key.pem"

    def ensure(self, servers: list[str], clients: list[str]) -> LocalPki:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not (self.ca_file.exists() and self._ca_key_file.exists()):
            self._make_ca()
        ca_cert = x509.load_pem_x509_certificate(self.ca_file.read_bytes())
        ca_key = serialization.load_pem_private_key(self._ca_key_file.read_bytes(), None)
        for name in servers:
            if not self._files(name).cert.exists():
                self._issue(name, ca_cert, ca_key, server=True)
        for name in clients:
            if not self._files(name).cert.exists():
                self._issue(name, ca_cert, ca_key, server=False)
        return self

    def server(self, name: str = "nats-server") -> TlsFiles:
        return self._files(name)

    def client(self, name: str) -> TlsFiles:
        files = self._files(name)
        if not files.cert.exists():
            raise FileNotFoundError(f"no client certificate for {name!r} in {self.directory}")
        return files

    def _files(self, name: str) -> TlsFiles:
        return TlsFiles(
            self.ca_file, self.directory / f"{name}.pem", self.directory / f"{name}-key.pem"
        )

    def _make_ca(self) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        cert = (
            _builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(key, hashes.SHA256())
        )
        _write_key(self._ca_key_file, key)
        self.ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    def _issue(self, name: str, ca_cert: x509.Certificate, ca_key, *, server: bool) -> None:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
        builder = (
            _builder(subject, ca_cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if server:  # clients carry no SAN: nats-server maps them by their subject alone
            names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        files = self._files(name)
        _write_key(files.key, key)
        files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def client_subject(name: str) -> str:
    """The certificate subject nats-server maps to the user of client `name`."""
    return f"CN={name}"


def _builder(subject: x509.Name, issuer: x509.Name, public_key) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
