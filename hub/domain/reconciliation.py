"""The claim conflicts the hub's reconciliation could not resolve (REG-5), per province."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = uuid5(NAMESPACE_URL, "xueji:hub:reconciliation")

#: Conflict kinds and what the monitoring page says of each.
KINDS = {
    "unknown_on_hub": "节点认为已占用，中央平台没有该占用",
    "released_on_hub": "节点认为已占用，中央平台已释放",
    "held_by_other": "节点认为已占用，中央平台由其他学籍占用",
    "enrolled_on_hub": "节点仍在审核，中央平台已登记为学生",
    "student_not_enrolled": "节点已是学生，中央平台仍为占用（学生登记消息未处理）",
}


class ClaimConflicts(Aggregate):
    """The conflicts the last reconciliation with a province found, as a whole: reported,
    never resolved by guessing; a later run that no longer finds one clears it."""

    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, f"conflicts:{province}")

    @event("Opened")
    def __init__(self, province: str) -> None:
        self.province = province
        self.conflicts: list[dict] = []
        self.at: str | None = None

    @event("Reported")
    def report(self, conflicts: list[dict], at: str, meta: dict) -> None:
        self.conflicts, self.at = list(conflicts), at

    def view(self) -> dict:
        return {"province": self.province, "at": self.at, "conflicts": list(self.conflicts)}
