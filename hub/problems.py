"""The hub's use cases for cross-province problem groups (PRB-3, PRB-4): the lists and the
ministry's arbitration. Groups open and move by the province streams (`hub.application`'s
policies); every write runs on the hub's one writer thread, and a notice is then due."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from contracts.errors import ContractError
from contracts.meta import CommandMeta
from contracts.problems import GroupState, ProblemKind
from hub.application import NationalHub
from xueji.clock import Clock
from xueji.outbox import OutboxRelay
from xueji.store import Writer

STATES = {s.value for s in GroupState}
KINDS = {k.value for k in ProblemKind}


class ProblemService:
    def __init__(self, hub: NationalHub, writer: Writer, clock: Clock, relay: OutboxRelay) -> None:
        self.hub, self.writer, self.clock, self.relay = hub, writer, clock, relay

    # --- queries -------------------------------------------------------------------------

    async def search(
        self, state: str | None = None, kind: str | None = None, province: str | None = None,
        locked: bool | None = None,
    ) -> list[dict]:  # fmt: skip
        """Every cross-province group, newest first, filtered by state, type and province."""
        if state and state not in STATES:
            raise ContractError("state", "invalid_state", f"未知的处理状态 {state!r}")
        if kind and kind not in KINDS:
            raise ContractError("type", "invalid_type", f"未知的问题类型 {kind!r}")
        return await self.writer(self._search, state, kind, province, locked)

    def _search(
        self, state: str | None, kind: str | None, province: str | None, locked: bool | None
    ) -> list[dict]:
        found = []
        for group_id in self.hub.problem_ids():
            view = self.hub.problem(group_id).view()
            if state and view["state"] != state:
                continue
            if kind and view["kind"] != kind:
                continue
            if province and province not in view["provinces"]:
                continue
            if locked is not None and view["locked"] is not locked:
                continue
            found.append(view)
        found.sort(key=lambda v: v["opened_at"], reverse=True)
        return found

    async def one(self, group_id: UUID) -> dict:
        """The group, each side, the history."""
        return await self.writer(lambda: self.hub.problem(group_id).view())

    # --- arbitration (PRB-3) ---------------------------------------------------------------

    async def arbitrate(self, group_id: UUID, winner: str, opinion: str, meta: CommandMeta) -> dict:
        """The ministry decides a group every side corroborated: the winner keeps its
        identity, the others may only change or delete. A repeat answers the first result."""
        view = await self.writer(self._arbitrate, group_id, winner, opinion, meta,
                                 self.clock.now())  # fmt: skip
        self.relay.wake()
        return view

    def _arbitrate(
        self, group_id: UUID, winner: str, opinion: str, meta: CommandMeta, now: datetime
    ) -> dict:
        problem = self.hub.problem(group_id)
        if problem.seen_command(meta.command_id):
            return problem.view()
        group = problem.problem
        if winner not in {s.student_number for s in group.sides}:
            raise ContractError("winner", "unknown_record", f"学籍 {winner} 不在该问题学籍组中")
        after = group.arbitrated(winner, opinion, meta.unit_code, now.isoformat())
        problem.change(group=after.as_dict(), transition="arbitrated", meta=meta.as_dict())
        self.hub.save(problem)
        return problem.view()
