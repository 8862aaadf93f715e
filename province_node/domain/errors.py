"""Refusals of the province's rules. Shared kinds live in `contracts.errors`."""

from __future__ import annotations

from contracts.errors import DomainError, NotFound

__all__ = ["DedupConflict", "DomainError", "NotFound"]


class DedupConflict(DomainError):
    """REG-5: the identity is already held nationwide; the registration is closed."""

    code = "dedup_conflict"

    def __init__(self, message: str, holder_province: str, registration_id: str) -> None:
        super().__init__(message, field="id_number")
        self.holder_province = holder_province
        self.registration_id = registration_id
