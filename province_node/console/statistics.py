"""综合查询 → 学生统计 (QRY-6, DAY-3…DAY-5): the jurisdiction's students counted by one dimension,
of one group if asked (随迁子女, 留守儿童, 特教学生 …), as a chart with its table and Excel."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from projections.excel import XLSX
from projections.statistics import counts_workbook
from province_node.excel.columns import ETHNICITIES
from xueji.access.guards import Policy
from xueji.console import charts
from xueji.console.kit import ConsoleRoute, User, console_of
from xueji.http import attachment

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
GROUPS = charts.GROUPS


def _asked(request: Request) -> tuple[str, str | None]:
    by = request.query_params.get("by", "region")
    flag = request.query_params.get("flag") or None
    return (by if by in charts.DIMENSIONS else "region"), (flag if flag in GROUPS else None)


async def _counted(request: Request, user: User, policy: Policy) -> tuple[str, str | None, list]:
    by, flag = _asked(request)
    runtime = request.app.state.runtime
    found = await runtime.statistics.count(by, policy.school_filter(user), [], flag)
    org = runtime.org

    def label(dimension: str, key: str) -> str:
        if dimension == "region" and key in org:
            return org.unit(key).name.removesuffix("教育局")
        if dimension == "ethnicity":
            return ETHNICITIES.get(key, key)
        return charts.default_label(dimension, key)

    return by, flag, charts.rows(by, found["groups"], label)


@router.get("/statistics")
async def statistics(request: Request, user: User, policy: Policy) -> Response:
    by, flag, shown = await _counted(request, user, policy)
    title = f"{GROUPS[flag or '']}：按{charts.DIMENSIONS[by]}统计"
    query = urlencode({"by": by, "flag": flag or ""})
    return console_of(request).page(
        request, "statistics.html", title="学生统计", chart_title=title, by=by, flag=flag or "",
        dimensions=charts.DIMENSIONS, groups=GROUPS, shown=shown,
        total=sum(r["count"] for r in shown), download=f"/statistics/export?{query}",
    )  # fmt: skip


@router.get("/statistics/export")
async def export(request: Request, user: User, policy: Policy) -> Response:
    """The counts as Excel (no personal data: no second account needed)."""
    by, flag, shown = await _counted(request, user, policy)
    title = f"{GROUPS[flag or '']}按{charts.DIMENSIONS[by]}统计"
    data = counts_workbook(charts.DIMENSIONS[by], shown, "学生统计")
    return attachment(data, title + ".xlsx", XLSX)
