"""The hub's console (跨省业务统一办理平台): national query (QRY-4), monitoring (XPT-10),
the national calendar (SYS-2, `calendar.py`), cross-province problem groups (PRB-3/4,
`problems.py`)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from contracts.codes import MINISTRY_UNIT
from hub.console import calendar, cases, complaints, problems, province_accounts, statistics
from xueji.access import reads
from xueji.console import install_console
from xueji.console.kit import Console, ConsoleRoute, User, console_of, field_errors
from xueji.console.menu import HUB_MENU

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

HUB_DOWN_NOTE = (
    "消息总线（NATS）暂不可达：各省数据暂停同步，全国学籍查询显示最后同步到的数据；"
    "恢复连接后自动补齐。"
)


@router.get("/national")
async def national(request: Request, user: User, name: str = "", number: str = "") -> Response:
    """QRY-4: name plus national student number or ID number."""
    found, errors = None, {}
    if name or number:
        if not name.strip():
            errors["name"] = "请输入姓名"
        if not number.strip():
            errors["number"] = "请输入全国学籍号或身份证件号"
    if (name or number) and not errors:
        number = number.strip().upper()
        by_number = number[:1] in ("G", "J", "L") and len(number) == 19
        runtime = request.app.state.runtime
        asked = {"name": name, "number": number}
        await runtime.access.record_read(user, reads.NATIONAL, number if by_number else None,
                                         asked)  # fmt: skip
        try:
            found = await runtime.identities.national_student(
                name.strip(),
                None if by_number else number,
                number if by_number else None,
            )
        except Exception as refused:  # noqa: BLE001 - said next to the field
            errors["number"] = field_errors(refused).popitem()[1]
        if found is None and not errors:
            errors["number"] = "未查到符合条件的学生"
    return console_of(request).page(
        request,
        "national.html",
        title="全国学籍查询",
        name=name,
        number=number,
        found=found,
        errors=errors,
    )


@router.get("/monitoring")
async def monitoring(
    request: Request, user: User, flow: str = "transfer", province: str = ""
) -> Response:
    """XPT-10: per deciding unit, pending and overdue steps and average decision time."""
    runtime = request.app.state.runtime
    flow = flow if flow in ("transfer", "enrollment") else "transfer"
    rows = await runtime.cases.monitoring(province or None, flow)  # the case read model
    positions = {}
    for code in runtime.settings.provinces:
        try:
            positions[code] = await runtime.identities.position(code)
        except Exception:  # noqa: BLE001 - a missing position reads "—"
            positions[code] = None
    return console_of(request).page(
        request,
        "monitoring.html",
        title="跨省业务监控",
        rows=rows,
        flow=flow,
        province=province,
        provinces=runtime.settings.provinces,
        positions=positions,
        dead_letters=await runtime.identities.dead_letters(),  # BUS-6
        claim_conflicts=await runtime.claims.conflicts(),  # REG-5 reconciliation
    )


def install(app: FastAPI) -> None:
    console = Console(
        title="跨省业务统一办理平台（教育部）",
        menu=HUB_MENU,
        package="hub.console",
        unit_name=lambda _request, code: "教育部" if code == MINISTRY_UNIT else code,
        hub_reachable=lambda request: bool(request.app.state.runtime.bus.connected),
        hub_down_note=HUB_DOWN_NOTE,
    )
    install_console(
        app,
        console,
        router,
        calendar.router,
        statistics.router,
        problems.router,
        complaints.router,
        province_accounts.router,  # SEC-2 [004 Q111]
        cases.router,
    )  # `/{kind}/…` last
