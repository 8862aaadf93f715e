"""A content-addressed file store for uploaded materials (proofs, later photos).

Events keep the hash; the bytes live under `<root>/<aa>/<sha256>`. Writing the same content
twice is harmless, so a blob may be stored before the event that refers to it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            staging = path.with_suffix(".tmp")
            staging.write_bytes(data)
            staging.replace(path)
        return digest

    def get(self, digest: str) -> bytes:
        return self._path(digest).read_bytes()

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest
