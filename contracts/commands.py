"""Imperative messages sent to the hub (request/reply). Versioned; unknown fields refused."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from contracts.envelope import ContractModel, Envelope


class ClaimIdentity(ContractModel):
    """Ask the hub to reserve a national identity for one registration (REG-5 dedup).

    Idempotent by `registration_id`: asking again answers the same.
    """

    kind: Literal["ClaimIdentity"] = "ClaimIdentity"
    version: Literal[1] = 1
    envelope: Envelope
    province: str = Field(pattern=r"^\d{2}$")
    registration_id: UUID
    dedup_key: str = Field(min_length=3, max_length=200)
    id_type: str = Field(pattern=r"^[16789AZ]$")
    id_number: str | None = Field(default=None, max_length=40)
    name: str = Field(min_length=1, max_length=50)
    sex: str | None = Field(default=None, pattern=r"^[12]$")
    birth_date: date | None = None
    school_code: str = Field(min_length=1, max_length=20)
    #: REG-5: the registration of the same province that the hub named as the holder and that
    #: the province knows ended or was never stored (the reply to its claim was lost): the
    #: claim moves to this registration. The hub allows it only while no student holds it.
    replaces: UUID | None = None


#: Most items one batch message may carry (an import chunk is smaller).
MAX_BATCH = 1000


class ClaimIdentities(ContractModel):
    """Several claims in one request (an import chunk, REG-4/REG-5): each item is handled as
    a single `ClaimIdentity`, in order, so of two items of one person the first wins."""

    kind: Literal["ClaimIdentities"] = "ClaimIdentities"
    version: Literal[1] = 1
    envelope: Envelope
    items: list[ClaimIdentity] = Field(min_length=1, max_length=MAX_BATCH)


class AuthenticateIdentity(ContractModel):
    """Ask the population registry (国家人口基础信息库) whether a resident ID and name agree."""

    kind: Literal["AuthenticateIdentity"] = "AuthenticateIdentity"
    version: Literal[1] = 1
    envelope: Envelope
    id_number: str = Field(min_length=18, max_length=18)
    name: str = Field(min_length=1, max_length=50)


class AuthenticateIdentities(ContractModel):
    """Several authentications in one request; answered item by item, in order."""

    kind: Literal["AuthenticateIdentities"] = "AuthenticateIdentities"
    version: Literal[1] = 1
    envelope: Envelope
    items: list[AuthenticateIdentity] = Field(min_length=1, max_length=MAX_BATCH)


class MatchPreschool(ContractModel):
    """Ask the pre-school registry (学前学籍) which records fit a child (REG-2).

    By resident ID when one is given; otherwise (and for records without one) by name, sex
    and birth date.
    """

    kind: Literal["MatchPreschool"] = "MatchPreschool"
    version: Literal[1] = 1
    envelope: Envelope
    province: str = Field(pattern=r"^\d{2}$")
    name: str = Field(min_length=1, max_length=50)
    sex: str | None = Field(default=None, pattern=r"^[12]$")
    birth_date: date | None = None
    id_number: str | None = Field(default=None, max_length=40)
