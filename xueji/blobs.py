"""A content-addressed file store for uploaded materials (proofs, later photos).

Events keep the hash; the bytes live under `<root>/<aa>/<sha256>`. Writing the same content
twice is harmless, so a blob may be stored before the event that refers to it.

With a cipher (the store's key ring, SEC-7) the file holds the content encrypted (AES-GCM);
the name stays the hash of the content. A blob is written to a staging file, fsynced,
renamed into place and its directory fsynced, so a crash leaves it whole or absent, never
half-written under its final name.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from eventsourcing.persistence import Cipher


class BlobStore:
    def __init__(self, root: Path, cipher: Cipher | None = None) -> None:
        self.root, self.cipher = root, cipher

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            staging = path.with_suffix(".tmp")
            with open(staging, "wb") as out:
                out.write(self.cipher.encrypt(data) if self.cipher else data)
                out.flush()
                os.fsync(out.fileno())
            staging.replace(path)
            _fsync_dir(path.parent)
        return digest

    def get(self, digest: str) -> bytes:
        stored = self._path(digest).read_bytes()
        return self.cipher.decrypt(stored) if self.cipher else stored

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
