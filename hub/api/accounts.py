"""SEC-2 `[004 Q111]`: the ministry resets a province-level account's password from the hub."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from hub.api.deps import Runtime
from xueji.access.api import ResetIn
from xueji.access.guards import MinistrySysadmin

router = APIRouter(prefix="/api/v1/admin/provinces", tags=["admin"])
Province = Annotated[str, Path(pattern=r"^\d{2}$")]
Username = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/{province}/accounts/{username}/password-reset")
async def reset_province_account(
    province: Province, username: Username, body: ResetIn, runtime: Runtime, user: MinistrySysadmin
) -> dict:
    """Only accounts of the province level itself; the owner must change it at next login."""
    reset = await runtime.province_accounts.reset(user, province, username, body.new_password)
    return reset | {"status": "ok"}
