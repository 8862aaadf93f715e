"""What awaits the caller (待办), across every business: one read model, one service.

The province's own processes come from the `pending` view; the cross-province cases awaiting
the caller's unit are the hub's (asked over the bus; when the hub cannot answer, the summary
says so instead of counting zero).
"""

from __future__ import annotations

from contracts.cases import CaseQuery
from contracts.meta import CommandMeta
from projections.service import Views
from province_node.cases import CaseService
from province_node.views.pending import awaiting_unit, awaits
from province_node.views.registrations import summary
from xueji.bus import BusUnavailable, RemoteError

#: What the console and the summary call each business (the seed's menu words).
LABELS = {
    "registration": "学籍注册审核",
    "deletion": "误操作删除",
    "status_change": "学籍异动审核",
    "in_province_transfer": "省内转学核办",
    "key_data_change": "关键数据变更审核",
    "graduation": "毕业审核",
    "dropout_return": "控辍保学返校审核",
    "admission": "招生审核",
    "problem_action": "问题学籍审核",
    "transfer": "跨省转学核办",
    "enrollment": "毕业后跨省就学核办",
}


class PendingWork:
    def __init__(self, views: Views, cases: CaseService, province: str) -> None:
        self.views, self.cases, self.province = views, cases, province

    async def items(self, meta: CommandMeta, businesses: set[str] | None = None) -> list[dict]:
        """The province's processes awaiting this unit and role, each with its `action`."""
        await self.views.caught_up()
        table = self.views.view("pending").table("pending")
        rows = await self.views.read(awaiting_unit, table, meta.unit_code)
        return [
            _item(row, action)
            for row in rows
            if (businesses is None or row["business"] in businesses)
            and (action := awaits(row, meta.unit_code, meta.role))
        ]

    async def registrations(self, meta: CommandMeta) -> list[dict]:
        """REG-6: the registrations awaiting the caller, as `Registration.summary()` shows."""
        wanted = {i["id"]: i["action"] for i in await self.items(meta, {"registration"})}
        table = self.views.view("registrations").table("registrations")

        def select_rows(connection) -> list[dict]:
            statement = table.select().where(table.c.id.in_(list(wanted)))
            return [summary(dict(r)) for r in connection.execute(statement).mappings()]

        rows = await self.views.read(select_rows) if wanted else []
        return [row | {"action": wanted[row["id"]]} for row in rows]

    async def summary(self, meta: CommandMeta) -> dict:
        """Counts per business for the caller (the console's 待办 panel)."""
        counts: dict[str, int] = {}
        for item in await self.items(meta):
            counts[item["type"]] = counts.get(item["type"], 0) + 1
        items = [{"type": t, "label": LABELS[t], "count": n} for t, n in counts.items()]
        for flow in ("transfer", "enrollment"):
            items.append(await self._cases(meta, flow))
        return {"items": [i for i in items if i.get("count") or i.get("unavailable")]}

    async def _cases(self, meta: CommandMeta, flow: str) -> dict:
        entry = {"type": flow, "label": LABELS[flow]}
        query = CaseQuery(
            envelope=meta.envelope(), province=self.province, flow=flow, mode="pending"
        )
        try:
            listing = await self.cases.listing(query)
        except (BusUnavailable, RemoteError):  # say so, never a silent zero
            return entry | {"count": None, "unavailable": True}
        return entry | {"count": listing["total"]}


def _item(row: dict, action: str) -> dict:
    step = row["chain"][row["step"]] if row["chain"] else None
    return {
        "id": row["id"],
        "type": row["business"],
        "label": LABELS[row["business"]],
        "action": action,
        "status": row["status"],
        "school_code": row["school_code"],
        "title": row["title"],
        "step": step,
        "since": row["since"],
    }
