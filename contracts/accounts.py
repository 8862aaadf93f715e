"""SEC-2 `[004 Q111]`: the ministry resets a province-level account's password from the hub
(hub → node request/reply on `subjects.prov_account_password_reset(province)`, which only the
hub may publish and only that province's node receives, SEC-5)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.envelope import ContractModel, Envelope


class ResetProvinceAccountPassword(ContractModel):
    """The new password travels as its argon2 hash (made on the hub): the clear text never
    crosses the bus nor reaches the node."""

    kind: Literal["ResetProvinceAccountPassword"] = "ResetProvinceAccountPassword"
    version: Literal[1] = 1
    envelope: Envelope
    province: str = Field(pattern=r"^\d{2}$")
    username: str = Field(min_length=1, max_length=64)
    password_hash: str = Field(pattern=r"^\$argon2", max_length=256)


class ProvinceAccountPasswordReset(ContractModel):
    """The node's answer: the account, which must change its password at next login."""

    kind: Literal["ProvinceAccountPasswordReset"] = "ProvinceAccountPasswordReset"
    version: Literal[1] = 1
    province: str = Field(pattern=r"^\d{2}$")
    username: str
    unit_code: str
    unit_name: str
    must_change_password: bool
