"""The access policy (`policy.py`) as `Annotated` FastAPI dependencies, the same for the JSON
API and the consoles: a route or page names who may call it and which unit it is about;
it compares no role, level or unit itself.

The session comes from the bearer token, or on a console page from its cookie: the
console's route class puts its way of authenticating on `request.state.authenticate`, so
this module knows nothing of the console.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from contracts.errors import Forbidden, Unauthorized
from xueji.access import policy
from xueji.access.service import AccessService
from xueji.access.sessions import Session


def get_access(request: Request) -> AccessService:
    return request.app.state.runtime.access


Access = Annotated[AccessService, Depends(get_access)]


def get_policy(request: Request) -> policy.AccessPolicy:
    return request.app.state.runtime.access.policy


Policy = Annotated[policy.AccessPolicy, Depends(get_policy)]


async def any_session(request: Request, access: Access) -> Session:
    """The caller's session, even if a password change is still due."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized("请先登录（缺少 Authorization: Bearer 令牌）")
    return await access.authenticate(token.strip())


AnySession = Annotated[Session, Depends(any_session)]


async def current_user(request: Request, access: Access) -> Session:
    """The caller's session; refused until the first-login password change is done (SEC-2).
    A console page authenticates its own way (cookie, redirects to log in or to `/password`)."""
    authenticate = getattr(request.state, "authenticate", None)
    if authenticate is not None:
        return await authenticate(request)
    session = await any_session(request, access)
    if session.password_expired:  # SEC-2: expiry forces the change as a reset does
        raise Forbidden("密码已过期，须先修改密码", code="password_expired")
    if session.must_change_password:
        raise Forbidden("首次登录或密码被重置后须先修改密码", code="password_change_required")
    return session


CurrentUser = Annotated[Session, Depends(current_user)]


def requiring(requirement: policy.Requirement) -> type[Session]:
    """The current user, refused (403, the requirement's code) unless it meets it."""

    async def check(session: CurrentUser) -> Session:
        return requirement.check(session)

    return Annotated[Session, Depends(check)]  # type: ignore[return-value]


SchoolRegistrar = requiring(policy.SCHOOL_REGISTRAR)
BureauRegistrar = requiring(policy.BUREAU_REGISTRAR)
Registrar = requiring(policy.REGISTRAR)
Sysadmin = requiring(policy.SYSADMIN)
ProvinceSysadmin = requiring(policy.PROVINCE_SYSADMIN)
BureauSysadmin = requiring(policy.BUREAU_SYSADMIN)
MinistrySysadmin = requiring(policy.MINISTRY_SYSADMIN)
MinistryArbiter = requiring(policy.MINISTRY_ARBITER)
Auditor = requiring(policy.AUDITOR)
ProvinceOrg = requiring(policy.PROVINCE_ORG)
OrgEditor = requiring(policy.ORG_EDITOR)


async def school_in_sight(school_code: str, session: CurrentUser, rules: Policy) -> str:
    """`school_code` of the path (or the query) when the caller's jurisdiction covers it."""
    rules.ensure_sees(session, school_code)
    return school_code


SchoolInSight = Annotated[str, Depends(school_in_sight)]
