"""Proof materials 证明材料 (SPEC ID-7, REG-6): JPG/PNG/JPEG only, at most 2 MB, judged by
content — a renamed file is refused."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from contracts.errors import ContractError

MAX_PROOF_BYTES = 2 * 2**20
_SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


@dataclass(frozen=True)
class Proof:
    sha256: str
    content_type: str
    size: int


def check_proof(data: bytes, field: str = "proof") -> Proof:
    """The facts kept about an accepted proof; the bytes go to the blob store by hash."""
    if not data:
        raise ContractError(field, "proof_required", "请上传证明材料（JPG/PNG 图片）")
    if len(data) > MAX_PROOF_BYTES:
        size = len(data) / 2**20
        raise ContractError(field, "proof_too_large", f"证明材料不能超过2MB（当前 {size:.1f}MB）")
    content_type = next((t for sig, t in _SIGNATURES.items() if data.startswith(sig)), None)
    if content_type is None:
        raise ContractError(field, "proof_not_image", "证明材料只能是 JPG、PNG 或 JPEG 图片")
    return Proof(hashlib.sha256(data).hexdigest(), content_type, len(data))
