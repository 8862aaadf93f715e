"""REG-5 claim reconciliation between the hub and each province node (request/reply, never
captured by a stream): the hub asks a node what each claim it holds for that province is for,
and pages through the claims the node believes it holds. The province is in the subject
(`contracts.subjects.prov_claims_*`): only that node may answer (SEC-5), and its answer names
itself, which the hub checks."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import Field

from contracts.envelope import ContractModel, Envelope

#: Most claims one question or one page carries.
MAX_CLAIMS = 1000

#: What a claim is for on the node: `in_review` (a registration in progress, or a key data
#: change in flight, KDC-3), `student` (the record exists: the hub's enrolment is on its way),
#: `ended` (the registration ended without a student, or the record holds another key now),
#: `unknown` (never stored: the node stopped between the hub's claim and its commit).
ClaimState = Literal["in_review", "student", "ended", "unknown"]
ClaimPurpose = Literal["registration", "key_data_change"]


class HeldClaim(ContractModel):
    """One claim as the hub holds it: the identity's key and the registration holding it."""

    registration_id: UUID
    dedup_key: str = Field(min_length=3, max_length=200)


class ExplainClaims(ContractModel):
    """Hub → node: what is each of these claims (the hub's, for this province) for?"""

    kind: Literal["ExplainClaims"] = "ExplainClaims"
    version: Literal[1] = 1
    envelope: Envelope
    claims: list[HeldClaim] = Field(max_length=MAX_CLAIMS)


class ClaimAccount(ContractModel):
    """A claim as the node sees it."""

    registration_id: UUID
    dedup_key: str = Field(min_length=3, max_length=200)
    state: ClaimState
    purpose: ClaimPurpose = "registration"
    student_number: str | None = Field(default=None, max_length=19)


class ClaimsExplained(ContractModel):
    """Node → hub: one account per claim asked, in the question's order."""

    kind: Literal["ClaimsExplained"] = "ClaimsExplained"
    version: Literal[1] = 1
    province: str = Field(pattern=r"^\d{2}$")
    accounts: list[ClaimAccount] = Field(max_length=MAX_CLAIMS)


class ListHeldClaims(ContractModel):
    """Hub → node: one page of the claims the node holds (open registrations whose dedup
    passed, key data changes in flight that claimed a new key), after `cursor`."""

    kind: Literal["ListHeldClaims"] = "ListHeldClaims"
    version: Literal[1] = 1
    envelope: Envelope
    cursor: str | None = Field(default=None, max_length=80)
    limit: int = Field(default=500, ge=1, le=MAX_CLAIMS)


class HeldClaims(ContractModel):
    """Node → hub: a page of held claims (state `in_review`); `cursor` for the next, None
    at the end."""

    kind: Literal["HeldClaims"] = "HeldClaims"
    version: Literal[1] = 1
    province: str = Field(pattern=r"^\d{2}$")
    claims: list[ClaimAccount] = Field(max_length=MAX_CLAIMS)
    cursor: str | None = Field(default=None, max_length=80)
