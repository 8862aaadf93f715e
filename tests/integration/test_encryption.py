"""SEC-7 encryption at rest (issue 18 item 5): the stored events of a node and the hub are
encrypted by the eventsourcing library's AES-GCM cipher, with a key ring that rotates;
an ID number is not readable in the SQLite file; the audit still reads the log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.app import app as cli
from tests.support.mesh import Mesh, approve_fully
from tests.support.nats import NatsServer
from tests.support.people import (
    JUNIOR_SCHOOL,
    PNG,
    PNG_BASE64,
    REGISTRAR,
    registration,
    resident_id,
)
from xueji.cipher import KeyringCipher, ensure_key_file, jetstream_key, new_key

OLD_KEY = new_key()
PROVINCES = ["34", "44"]


def test_sec7_the_key_ring_encrypts_with_the_newest_and_opens_with_any() -> None:
    old = KeyringCipher({"CIPHER_KEY": OLD_KEY})
    stored = old.encrypt(b'{"id_number": "440106201503091239"}')
    assert b"440106201503091239" not in stored
    new = KeyringCipher({"CIPHER_KEY": f"{new_key()},{OLD_KEY}"})  # rotated: newest first
    assert new.decrypt(stored) == b'{"id_number": "440106201503091239"}'
    with pytest.raises(ValueError, match="no key opens it"):
        old.decrypt(new.encrypt(b"written after the rotation"))
    with pytest.raises(ValueError):
        KeyringCipher({"CIPHER_KEY": "dG9vc2hvcnQ="})  # 8 bytes: not an AES key


def test_sec7_the_jetstream_key_survives_a_rotation_of_the_ring() -> None:
    rotated = f"{new_key()},{OLD_KEY}"
    assert jetstream_key(rotated) == jetstream_key(OLD_KEY) != jetstream_key(new_key())


def test_sec7_xueji_up_keeps_one_key_file(tmp_path: Path) -> None:
    path = ensure_key_file(tmp_path / "var" / "cipher.key")
    key = path.read_text()
    assert ensure_key_file(path).read_text() == key  # created once, never replaced
    assert path.stat().st_mode & 0o077 == 0  # owner only
    KeyringCipher({"CIPHER_KEY": key.strip()})


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", *PROVINCES]}


@pytest.fixture
async def mesh(nats_server: NatsServer, store_urls: dict[str, str]) -> AsyncIterator[Mesh]:
    mesh = Mesh(nats_server.url, store_urls, PROVINCES, cipher_key=OLD_KEY)
    await mesh.start_all()
    try:
        yield mesh
    finally:
        await mesh.stop_all()


def _stored_bytes(url: str) -> bytes:
    """The SQLite file and its write-ahead log, as someone who copied them would read them."""
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def test_sec7_an_id_number_is_not_readable_in_the_store_and_keys_rotate(
    mesh: Mesh, store_urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    id_number = resident_id(sequence=271)
    body = registration(JUNIOR_SCHOOL["44"], id_number, name="陈密")
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    assert created.status_code == 201, created.text
    number = (await approve_fully(mesh, "44", created.json()["id"]))["student_number"]
    await mesh.wait_until(lambda: _indexed(mesh, id_number))

    for service in ("44", "hub"):  # the node's store and the hub's national index
        stored = _stored_bytes(store_urls[service])
        assert stored and id_number.encode() not in stored, service
        assert "陈密".encode() not in stored and b"\\u9648\\u5bc6" not in stored, service
    # The services read their records as ever, and the audit decrypts the log it reads.
    record = await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])
    assert record.json()["id_number"] == id_number
    audit = await mesh.get(
        "44", "/api/v1/audit", as_="440000_registrar", params={"student": number}
    )
    assert audit.status_code == 200 and "Student.Registered" in audit.text
    # So does `xueji audit` with the key (XUEJI_CIPHER_KEY); the chain covers what is stored.
    monkeypatch.setenv("XUEJI_CIPHER_KEY", OLD_KEY)
    offline = CliRunner().invoke(cli, ["audit", "student", number, "--url", store_urls["44"]])
    assert offline.exit_code == 0 and "Student.Registered" in offline.output, offline.output
    verified = CliRunner().invoke(cli, ["verify-log", "--url", store_urls["44"]])
    assert verified.exit_code == 0, verified.output

    # A proof (ID-7) of a student without a document: its file is encrypted too.
    guardian = {"name": "家长", "relation": "父亲", "id_type": "1", "id_number": id_number}
    no_document = registration(
        JUNIOR_SCHOOL["44"], None, name="陈无证", id_type="Z", sex="1", birth_date="2014-01-01"
    ) | {"guardians": [guardian], "proof": PNG_BASE64}
    proved = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=no_document)
    assert proved.status_code == 201, proved.text
    sha = proved.json()["proof"]["sha256"]
    files = [p for p in mesh.blobs.rglob("*") if p.is_file()]
    assert [p.name for p in files] == [sha]
    assert PNG[:8] not in files[0].read_bytes() and len(files[0].read_bytes()) > len(PNG)
    assert mesh.runtime("44").registrations.blobs.get(sha) == PNG

    # Rotation: a new key first in the ring; the records of the old one still open.
    await mesh.stop("44")
    mesh.cipher_key = f"{new_key()},{OLD_KEY}"
    await mesh.start("44")
    again = await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])
    assert again.status_code == 200 and again.json()["id_number"] == id_number
    assert mesh.runtime("44").registrations.blobs.get(sha) == PNG


async def _indexed(mesh: Mesh, id_number: str) -> bool:
    params = {"name": "陈密", "id_number": id_number}
    found = await mesh.get("hub", "/api/v1/national/students", as_="moe_registrar", params=params)
    return found.status_code == 200


@pytest.mark.parametrize("encrypted", [True, False])
async def test_sec7_jetstream_stores_its_messages_encrypted(
    tmp_path: Path, encrypted: bool
) -> None:
    """`xueji up` gives nats-server a key (derived from the store's ring): what a stream
    keeps on disk is unreadable without it, and reads back after a restart with it."""
    id_number = resident_id(sequence=272).encode()
    key = jetstream_key(new_key()) if encrypted else None
    server = NatsServer(tmp_path / "nats", key=key)
    server.start()
    try:
        nc = await server.connect()
        js = nc.jetstream()
        await js.add_stream(name="SEC7", subjects=["sec7.>"])
        await js.publish("sec7.student", b'{"id_number": "' + id_number + b'"}')
        await nc.close()
    finally:
        server.stop()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "nats").rglob("*") if p.is_file())
    assert (id_number in stored) is not encrypted  # the plain store shows what is at stake
    server.start()
    try:
        nc = await server.connect()
        message = await nc.jetstream().get_msg("SEC7", 1)
        assert id_number in message.data
        await nc.close()
    finally:
        server.stop()
