"""全国学籍统计 (QRY-6) on the hub: the nation by province, and by one dimension of one group,
each a chart with its table and an Excel download."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.meta import CommandMeta
from contracts.regions import region
from projections.excel import XLSX
from projections.statistics import counts_workbook
from xueji.console import charts
from xueji.console.kit import ConsoleRoute, User, console_of
from xueji.http import attachment

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
#: The nation has no counties to show on one chart: by province instead.
DIMENSIONS = {k: v for k, v in charts.DIMENSIONS.items() if k != "region"}


def _province(code: str) -> str:
    try:
        return region(f"{code}0000").name
    except Exception:  # noqa: BLE001 - a code the table does not know shows as itself
        return code


async def _counted(request: Request, user: User) -> tuple[str, str | None, dict, list]:
    by = request.query_params.get("by", "stage")
    by = by if by in DIMENSIONS else "stage"
    flag = request.query_params.get("flag") or None
    flag = flag if flag in charts.GROUPS else None
    meta = CommandMeta.new(user.username, user.unit_code, user.role)
    found = await request.app.state.runtime.statistics.count(by, ["在校"], flag, meta)
    return by, flag, found, charts.rows(by, found["groups"], charts.default_label)


@router.get("/statistics")
async def statistics(request: Request, user: User) -> Response:
    by, flag, found, shown = await _counted(request, user)
    provinces = [{"key": p, "label": _province(p), "count": n}
                 for p, n in sorted(found["provinces"].items())]  # fmt: skip
    query = urlencode({"by": by, "flag": flag or ""})
    return console_of(request).page(
        request, "statistics.html", title="全国学籍统计", by=by, flag=flag or "",
        chart_title=f"{charts.GROUPS[flag or '']}：按{DIMENSIONS[by]}统计", dimensions=DIMENSIONS,
        groups=charts.GROUPS, shown=shown, provinces=provinces, total=found["total"],
        missing=[_province(p) for p in found["missing_provinces"]],
        download=f"/statistics/export?{query}",
    )  # fmt: skip


@router.get("/statistics/export")
async def export(request: Request, user: User) -> Response:
    by, flag, _, shown = await _counted(request, user)
    data = counts_workbook(DIMENSIONS[by], shown, "全国学籍统计")
    return attachment(data, f"全国{charts.GROUPS[flag or '']}按{DIMENSIONS[by]}统计.xlsx", XLSX)
