"""SEC-5: the local PKI (made once, kept) and the permissions each certificate's user gets."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from pydantic import ValidationError

from contracts import subjects
from hub.settings import HubSettings
from province_node.settings import NodeSettings
from xueji.nats_config import user
from xueji.pki import LocalPki, TlsFiles


def test_sec5_local_pki_is_created_once_and_kept(tmp_path: Path) -> None:
    pki = LocalPki(tmp_path).ensure(["nats-server"], ["hub", "prov44"])
    ca, hub = pki.ca_file.read_bytes(), pki.client("hub").cert.read_bytes()
    again = LocalPki(tmp_path).ensure(["nats-server"], ["hub", "prov44", "prov34"])
    assert again.ca_file.read_bytes() == ca and again.client("hub").cert.read_bytes() == hub
    issued = x509.load_pem_x509_certificate(again.client("prov34").cert.read_bytes())
    authority = x509.load_pem_x509_certificate(ca)
    issued.verify_directly_issued_by(authority)  # a new client, signed by the kept CA
    assert issued.subject.rfc4514_string() == "CN=prov34"
    assert (again.client("prov34").key.stat().st_mode & 0o777) == 0o600


def test_sec5_a_province_user_names_only_its_own_subjects() -> None:
    provinces = ["34", "37", "44"]
    grants = subjects.grants(subjects.province_client("34"), provinces)
    for subject in (*grants.publish, *grants.subscribe):
        assert ".44." not in subject and ".37." not in subject and "prov44" not in subject
        assert not subject.startswith(("xueji.hub.out", "xueji.rpc.prov.44", "$JS.API.STREAM"))
    assert "xueji.evt.34.>" in grants.publish and "xueji.rpc.hub.34.>" in grants.publish
    assert grants.subscribe == ("xueji.rpc.prov.34.>", "_INBOX.prov34.>")
    registry = user(subjects.REGISTRY_CLIENT, subjects.grants("registry", provinces))
    assert registry["permissions"]["publish"] == {"allow": ["_INBOX.>"]}  # it only answers
    assert registry["user"] == "CN=registry"


def test_sec5_a_deployment_points_services_at_its_own_pki(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    files = TlsFiles(tmp_path / "their-ca.pem", tmp_path / "node.pem", tmp_path / "node.key")
    monkeypatch.setenv("XUEJI_NATS_CA_FILE", str(files.ca))
    monkeypatch.setenv("XUEJI_NATS_CERT_FILE", str(files.cert))
    monkeypatch.setenv("XUEJI_NATS_KEY_FILE", str(files.key))
    assert NodeSettings(province="44").nats_tls() == files
    assert HubSettings().nats_tls() == files
    monkeypatch.delenv("XUEJI_NATS_KEY_FILE")  # half a configuration is refused at start
    with pytest.raises(ValidationError, match="go together"):
        NodeSettings(province="44")
