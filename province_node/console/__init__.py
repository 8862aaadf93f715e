"""The province node's console pages (学籍管理), served at `/` next to the JSON API."""

from __future__ import annotations

from fastapi import FastAPI, Request

from province_node.console import (
    decisions,
    imports,
    national,
    registration,
    review,
    students,
    transfers,
)
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


def install(app: FastAPI, province: str) -> None:
    console = Console(
        title="全国中小学生学籍信息管理系统",
        menu=PROVINCE_MENU,
        package="province_node.console",
        unit_name=_unit_name,
        hub_reachable=_hub_reachable,
        hub_down_note=HUB_DOWN_NOTE,
    )
    # The transfer routes (`/{kind}/…`) go last: they must not shadow the fixed paths.
    routers = (
        registration.router,
        imports.router,
        review.router,
        students.router,
        national.router,
        decisions.router,
        transfers.router,
    )
    install_console(app, console, *routers)
