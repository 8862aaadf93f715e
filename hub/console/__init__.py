"""The hub's console (跨省业务统一办理平台): national query (QRY-4), monitoring (XPT-10),
the national calendar (SYS-2, `calendar.py`), cross-province problem groups (PRB-3/4,
`problems.py`)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from contracts.codes import MINISTRY_UNIT
from hub.console import calendar, cases, complaints, problems, province_accounts, statistics
from hub.messaging import stream_alarms
from xueji.console import install_console
from xueji.console.kit import Console, ConsoleRoute, User, console_of, meta_of
from xueji.console.menu import HUB_MENU
from xueji.console.national import national_page

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

HUB_DOWN_NOTE = (
    "消息总线（NATS）暂不可达：各省数据暂停同步，全国学籍查询显示最后同步到的数据；"
    "恢复连接后自动补齐。"
)


@router.get("/national")
async def national(request: Request, user: User, name: str = "", number: str = "",
                   challenge: str = "", captcha: str = "") -> Response:  # fmt: skip
    """QRY-4: name plus national student number or ID number (`hub/national_query.py`)."""
    service, meta = request.app.state.runtime.national, meta_of(user)

    def query(name: str, student_number: str | None, id_number: str | None):
        return service.query(f"hub:{user.username}", name, id_number, student_number, meta)

    return await national_page(request, user, query, name, number, challenge, captcha)


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
        stream_alarms=stream_alarms(runtime.followers),  # BUS-6: streams gone backwards
        stalled_pulls=await runtime.cases.stalled_pulls(province or None),  # 重新调档
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
