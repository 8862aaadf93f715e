"""Replies on request/reply subjects. Errors are typed replies, never a silent timeout."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.envelope import ContractModel


class BusError(ContractModel):
    code: str
    message: str
    field: str | None = None


class ErrorReply(ContractModel):
    """`{"error": {"code", "field", "message"}}` (DESIGN §5)."""

    error: BusError


class IdentityClaimReply(ContractModel):
    """The hub's dedup answer: `free` (claimed for this registration) or `conflict`."""

    kind: Literal["IdentityClaimReply"] = "IdentityClaimReply"
    version: Literal[1] = 1
    outcome: Literal["free", "conflict"]
    holder_province: str | None = Field(default=None, pattern=r"^\d{2}$")
    holder_student_number: str | None = None


class IdentityAuthentication(ContractModel):
    """The registry's answer: `match`, `mismatch` (name differs) or `not_found`."""

    kind: Literal["IdentityAuthentication"] = "IdentityAuthentication"
    version: Literal[1] = 1
    outcome: Literal["match", "mismatch", "not_found"]
    reason: str | None = None
