"""The province node's console pages (学籍管理), served at `/` next to the JSON API."""

from __future__ import annotations

from fastapi import FastAPI, Request

from contracts.approval import StepLevel
from province_node.console import (
    admissions,
    changes,
    decisions,
    dropouts,
    imports,
    national,
    org,
    photos,
    problems,
    reauthentication,
    records,
    registration,
    review,
    school_year,
    statistics,
    students,
    transfers,
)
from province_node.console.home import pending_panel
from province_node.domain.key_data_change import CONTROLLABLE, KeyDataChange
from province_node.domain.status_change import StudentApplication
from xueji.console import install_console
from xueji.console.kit import Console
from xueji.console.menu import PROVINCE_MENU

HUB_DOWN_NOTE = (
    "本省学籍查询、注册审核与上报、导入结果查看照常可用；新学籍注册的全国查重、"
    "全国学籍查询和跨省业务暂不可用，请稍后重试。"
)


def _unit_name(request: Request, code: str) -> str:
    org = request.app.state.runtime.org
    return org.unit(code).name if code in org else code


def _hub_reachable(request: Request) -> bool:
    return bool(request.app.state.runtime.bus.connected)


def _app_step(step: dict | None) -> str:
    """An application's current step as the lists say it (办结 when none awaits)."""
    if not step:
        return "已办结"
    return f"{StepLevel(step['level']).label} · {step['unit_name']}"


APPLICATION_FILTERS = {
    "app_status": lambda v: (StudentApplication.STATUS_LABELS | KeyDataChange.STATUS_LABELS).get(
        str(v), str(v or "—")
    ),
    "app_step": _app_step,
    "app_level": lambda v: StepLevel(v).label,
    "kdc_field": lambda v: CONTROLLABLE.get(str(v), str(v)),
    "pair": lambda v: (v, v),  # a choice that is its own label (DAY-1's option lists)
}


def install(app: FastAPI, province: str) -> None:
    console = Console(
        title="全国中小学生学籍信息管理系统",
        menu=PROVINCE_MENU,
        package="province_node.console",
        unit_name=_unit_name,
        hub_reachable=_hub_reachable,
        hub_down_note=HUB_DOWN_NOTE,
        home_panels=pending_panel,
    )
    console.env.filters.update(APPLICATION_FILTERS)
    # The transfer routes (`/{kind}/…`) go last: they must not shadow the fixed paths.
    routers = (
        registration.router,
        imports.router,
        review.router,
        photos.router,  # ID-7, DAY-6: before `students`' /students/{n} pages
        students.router,
        records.router,  # DAY-3…DAY-7 lists; before the cross-province `/{kind}/…` pages
        national.router,
        school_year.router,
        reauthentication.router,  # ID-3, REG-5
        org.router,
        problems.router,
        dropouts.router,  # before the cross-province `/{kind}/…` pages
        admissions.router,
        statistics.router,
        changes.router,  # before the cross-province `/{kind}/…` pages
        decisions.router,
        transfers.router,
    )
    install_console(app, console, *routers)
