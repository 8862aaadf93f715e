"""SEC-7 encryption at rest: every stored event (and snapshot) of a node or the hub is
encrypted by the `eventsourcing` library's AES-GCM cipher (`eventsourcing.cryptography`,
the `cryptography` package) before it reaches SQLite or PostgreSQL; the hash chain
(AUD-4) covers the encrypted bytes, i.e. what is stored.

The key is a key *ring* so that keys can be rotated without rewriting the log: one base64
AES key (16, 24 or 32 bytes) or several, comma-separated or one per line, the newest first.
New records are encrypted with the newest; a record opens with whichever key of the ring
encrypted it. Where the ring comes from: `XUEJI_CIPHER_KEY` (the ring itself) or
`XUEJI_CIPHER_KEY_FILE` (a file holding it), or for a SQLite store a `cipher.key` beside
it (`xueji up` creates `var/cipher.key`: the local demo keeps key and data together; a
production key comes from a secret, never beside the data). See docs/architecture.md
"Stores" for rotation.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from eventsourcing.cryptography import AESCipher

#: The `CIPHER_TOPIC` of the eventsourcing environment (`xueji.store.store_env`).
TOPIC = "xueji.cipher:KeyringCipher"
KEY_ENV, KEY_FILE_ENV = "XUEJI_CIPHER_KEY", "XUEJI_CIPHER_KEY_FILE"
KEY_FILE_NAME = "cipher.key"


class KeyringCipher(AESCipher):
    """The library's AESCipher over a ring of keys (`CIPHER_KEY`): encrypts with the first,
    decrypts with the first that opens the record (AES-GCM's tag tells a wrong key)."""

    def __init__(self, environment) -> None:
        keys = parse_ring(environment.get(self.CIPHER_KEY) or "")
        if not keys:
            raise OSError(f"'{self.CIPHER_KEY}' not in env")
        self.ring = [AESCipher({self.CIPHER_KEY: key}) for key in keys]  # each checks its size
        self.key = self.ring[0].key

    def decrypt(self, ciphertext: bytes) -> bytes:
        for cipher in self.ring:
            try:
                return cipher.decrypt(ciphertext)
            except ValueError:
                continue
        raise ValueError("存储记录无法用现有密钥解密（密钥错误或缺失）: no key opens it")


def cipher_of(ring: str | None) -> KeyringCipher | None:
    """The cipher of a ring, for what is encrypted outside the event store (blob files)."""
    return KeyringCipher({KeyringCipher.CIPHER_KEY: ring}) if ring else None


def jetstream_key(ring: str) -> str:
    """The key nats-server's own at-rest encryption gets (`xueji up`), derived for that one
    use from the ring's *oldest* key, which a rotation keeps (new keys go in front), so the
    streams stay readable across rotations."""
    oldest = parse_ring(ring)[-1]
    return hashlib.sha256(b"xueji:jetstream\0" + oldest.encode()).hexdigest()


def new_key() -> str:
    """A fresh 256-bit key, base64."""
    return AESCipher.create_key(32)


def parse_ring(text: str) -> list[str]:
    return [k.strip() for k in text.replace("\n", ",").split(",") if k.strip()]


def read_ring(key: str | None = None, key_file: Path | None = None) -> str | None:
    """The ring as `CIPHER_KEY` takes it, from a key or a key file (None: no encryption)."""
    if key:
        return ",".join(parse_ring(key)) or None
    if key_file is not None:
        return ",".join(parse_ring(Path(key_file).read_text(encoding="utf-8"))) or None
    return None


def ring_for(store_url: str, key: str | None = None, key_file: Path | None = None) -> str | None:
    """The ring of a key or key file if given, else of the `cipher.key` beside a SQLite store
    (where `xueji up` keeps the local mesh's), else None: no encryption."""
    ring = read_ring(key, key_file)
    if ring:
        return ring
    path = store_url.removeprefix("sqlite:///")
    beside = Path(path).parent / KEY_FILE_NAME
    if path != store_url and beside.is_file():
        return read_ring(None, beside)
    return None


def ring_from_env(store_url: str) -> str | None:
    """What `XUEJI_CIPHER_KEY` / `XUEJI_CIPHER_KEY_FILE` (or a key beside the SQLite store)
    say: for the tools that open a store without a service's settings (`xueji rebuild`,
    `audit`, `verify-log`)."""
    key_file = os.environ.get(KEY_FILE_ENV)
    return ring_for(store_url, os.environ.get(KEY_ENV), Path(key_file) if key_file else None)


def ensure_key_file(path: Path) -> Path:
    """`xueji up`: the local mesh's key, created once (owner-only) and kept with the stores."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(new_key() + "\n")
    return path


class PlaintextStoreRefused(RuntimeError):
    """SEC-7: a production store (PostgreSQL) without a key; the service does not start."""


def refuse_plaintext_in_production(postgresql: bool, ring: str) -> None:
    if postgresql and not ring:
        raise PlaintextStoreRefused(
            "拒绝启动：生产数据库（PostgreSQL）须加密存储，请以 XUEJI_CIPHER_KEY_FILE（或 "
            "XUEJI_CIPHER_KEY）提供密钥 (refusing to start: a PostgreSQL store needs a cipher key)"
        )
