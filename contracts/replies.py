"""Replies on request/reply subjects. Errors are typed replies, never a silent timeout."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from contracts.envelope import ContractModel


class BusError(ContractModel):
    code: str
    message: str
    field: str | None = None
    #: The HTTP status the refusal maps to (a rule refused on the hub is a 409 at the node).
    status: int | None = Field(default=None, ge=400, le=599)


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
    #: Told to the holder's own province only, which knows whether that registration lives.
    holder_registration_id: UUID | None = None


class IdentityClaimsReply(ContractModel):
    """The answers to `ClaimIdentities`, one per item, in the items' order."""

    kind: Literal["IdentityClaimsReply"] = "IdentityClaimsReply"
    version: Literal[1] = 1
    replies: list[IdentityClaimReply]


class IdentityAuthentication(ContractModel):
    """The registry's answer: `match`, `mismatch` (name differs) or `not_found`."""

    kind: Literal["IdentityAuthentication"] = "IdentityAuthentication"
    version: Literal[1] = 1
    outcome: Literal["match", "mismatch", "not_found"]
    reason: str | None = None


class IdentityAuthentications(ContractModel):
    """The answers to `AuthenticateIdentities`, one per item, in the items' order."""

    kind: Literal["IdentityAuthentications"] = "IdentityAuthentications"
    version: Literal[1] = 1
    replies: list[IdentityAuthentication]


class PreschoolCandidate(ContractModel):
    """One pre-school record (学前学籍) a child may be; the ID number arrives masked."""

    record_id: str = Field(min_length=1, max_length=40)
    name: str
    sex: str = Field(pattern=r"^[12]$")
    birth_date: date
    masked_id: str | None = None
    kindergarten: str
    kindergarten_county: str | None = None


class PreschoolMatches(ContractModel):
    """The registry's candidates: none, one, or several look-alikes to choose from."""

    kind: Literal["PreschoolMatches"] = "PreschoolMatches"
    version: Literal[1] = 1
    candidates: list[PreschoolCandidate] = Field(default_factory=list, max_length=50)
