"""Auth and account-administration endpoints (API.md Auth); who may call them: `guards.py`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from contracts.codes import Role
from contracts.errors import Forbidden
from xueji.access.exports import SECOND_ACCOUNT_REQUIRED, ConfirmedExport
from xueji.access.guards import Access, AnySession, CurrentUser, Sysadmin
from xueji.access.service import UNKNOWN_SOURCE

__all__ = ["CurrentUser", "PersonalExport", "admin", "asked_filters", "auth"]


async def personal_export(
    request: Request,
    session: CurrentUser,
    access: Access,
    x_export_confirmer: Annotated[str | None, Header(max_length=64)] = None,
    x_export_confirmer_password: Annotated[str | None, Header(max_length=128)] = None,
) -> ConfirmedExport:
    """SEC-4 for a JSON API export of personal data: the confirming second account and its
    password come in the headers `X-Export-Confirmer` and `X-Export-Confirmer-Password`;
    checked (throttled) before anything is read; the filters are the query string."""
    if not (x_export_confirmer and x_export_confirmer_password):
        raise Forbidden(SECOND_ACCOUNT_REQUIRED, code="second_account_required")
    return await access.confirm_personal_export(
        session, x_export_confirmer, x_export_confirmer_password, asked_filters(request)
    )


#: The one dependency of every API route that hands out personal data (a route that lists it
#: is found by `tests/integration/test_guarded_exports.py`).
PersonalExport = Annotated[ConfirmedExport, Depends(personal_export)]


def asked_filters(request: Request) -> dict[str, str | list[str]]:
    """The query string as the caller sent it, for the export's audit record."""
    params = request.query_params
    return {k: v[0] if len(v) == 1 else v for k in params if (v := params.getlist(k))}


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old_password: str = Field(max_length=128)
    new_password: str = Field(max_length=128)


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[a-z0-9_]{3,64}$")
    display_name: str = Field(min_length=1, max_length=50)
    unit_code: str = Field(min_length=6, max_length=10)
    role: Role
    password: str = Field(max_length=128)


class ResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    new_password: str = Field(max_length=128)


class FreezeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="上级单位冻结", min_length=1, max_length=200)


class ConfirmIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64)
    password: str = Field(max_length=128)
    purpose: str = Field(min_length=1, max_length=200)


auth = APIRouter(prefix="/api/v1/auth", tags=["auth"])
admin = APIRouter(prefix="/api/v1/admin", tags=["admin"])


def source_of(request: Request) -> str:
    """The caller's address, for the login throttle (SEC-8)."""
    return request.client.host if request.client else UNKNOWN_SOURCE


@auth.post("/login")
async def login(body: LoginIn, request: Request, access: Access) -> dict:
    """Log in; a new login ends the account's previous session (SEC-1). Wrong passwords
    slow further tries of the account and from the address down (429 `login_throttled`)."""
    return await access.login(body.username, body.password, source_of(request))


@auth.post("/password")
async def change_password(body: PasswordIn, session: AnySession, access: Access) -> dict:
    """Change one's own password (forced at first login, SEC-2)."""
    await access.change_password(session, body.old_password, body.new_password)
    return {"status": "ok"}


@auth.post("/logout")
async def logout(session: AnySession, access: Access) -> dict:
    """End the current session."""
    access.sessions.close(session.username)
    return {"status": "ok"}


@auth.get("/me")
async def me(session: AnySession) -> dict:
    """Who the token belongs to."""
    return session.view() | {"must_change_password": session.must_change_password}


@auth.post("/export-confirmations")
async def confirm_export(body: ConfirmIn, session: CurrentUser, access: Access) -> dict:
    """SEC-4: a second account of the same unit confirms an export with its password."""
    return await access.confirm_export(session, body.username, body.password, body.purpose)


@admin.post("/accounts", status_code=201)
async def create_account(body: AccountIn, session: Sysadmin, access: Access) -> dict:
    """A sysadmin opens an account in its jurisdiction (password change forced at first login)."""
    return await access.create_account(
        session, body.username, body.display_name, body.unit_code, body.role.value, body.password
    )


@admin.post("/accounts/{username}/password-reset")
async def reset_password(username: str, body: ResetIn, session: Sysadmin, access: Access) -> dict:
    """SEC-2: a superior unit's sysadmin resets a password; the owner must change it."""
    await access.reset_password(session, username, body.new_password)
    return {"status": "ok", "must_change_password": True}


@admin.get("/online-users")
async def online_users(session: Sysadmin, access: Access) -> dict:
    """SEC-3: online users of the caller's jurisdiction."""
    items = access.online_users(session)
    return {"items": items, "total": len(items)}


@admin.post("/online-users/{username}/force-offline")
async def force_offline(username: str, session: Sysadmin, access: Access) -> dict:
    """SEC-3: end one user's session."""
    return {"forced_offline": access.force_offline(session, username)}


@admin.post("/online-users/force-offline")
async def force_all_offline(session: Sysadmin, access: Access) -> dict:
    """SEC-3: end every session of the jurisdiction except the caller's."""
    return {"forced_offline": access.force_offline(session, None)}


@admin.get("/accounts")
async def list_accounts(
    session: Sysadmin,
    access: Access,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict:
    """SYS-5: every account of the caller's jurisdiction: last login, frozen, password age."""
    return await access.accounts(session, page, page_size)


@admin.post("/accounts/{username}/freeze")
async def freeze_account(
    username: str, session: Sysadmin, access: Access, body: FreezeIn | None = None
) -> dict:
    """SYS-5: a superior unit's sysadmin freezes an account; it can no longer log in and
    its session ends."""
    return await access.freeze(session, username, (body or FreezeIn()).reason)


@admin.post("/accounts/{username}/unfreeze")
async def unfreeze_account(username: str, session: Sysadmin, access: Access) -> dict:
    """SYS-5: a superior unit's sysadmin unfreezes a frozen account."""
    return await access.unfreeze(session, username)


@admin.get("/accounts/inactive")
async def inactive_accounts(
    session: Sysadmin, access: Access, days: Annotated[int, Query(ge=1, le=3650)] = 7
) -> dict:
    """SYS-5: school and county accounts not logged in for `days` (default a week)."""
    items = await access.inactive_accounts(session, days)
    return {"items": items, "total": len(items)}
