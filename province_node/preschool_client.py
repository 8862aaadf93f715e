"""The pre-school registry (学前学籍) as the node sees it (REG-2): a client on the bus."""

from __future__ import annotations

from contracts import subjects
from contracts.commands import MatchPreschool
from contracts.meta import CommandMeta
from contracts.replies import PreschoolMatches
from province_node.domain.preschool import ChildIdentity
from xueji.bus import Bus, BusUnavailable
from xueji.logs import get_logger

log = get_logger("province_node.preschool_client")


class PreschoolClient:
    """Candidates for a child; None when the registry cannot be reached (asked again later)."""

    def __init__(self, bus: Bus, province: str, timeout: float) -> None:
        self.bus, self.province, self.timeout = bus, province, timeout

    async def match(self, child: ChildIdentity, meta: CommandMeta) -> PreschoolMatches | None:
        query = MatchPreschool(
            envelope=meta.envelope(),
            province=self.province,
            name=child.name,
            sex=child.sex,
            birth_date=child.birth_date,
            # Only a resident ID identifies a pre-school record; other documents are not kept.
            id_number=child.id_number if child.id_type == "1" else None,
        )
        try:
            return await self.bus.ask(
                subjects.PRESCHOOL_MATCH, query, PreschoolMatches, self.timeout
            )
        except BusUnavailable:
            log.warning("preschool_registry_unavailable")
            return None
