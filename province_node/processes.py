"""What every business on the approval engine does the same way: a decision, a revocation by
the initiator, a resubmission after a return, and the process read with its history.

A business's service subclasses `ProcessService` and says two things: how its process is
found (`_process`) and what a decision or a withdrawal does to the records around it
(`decided`, `withdrawn`: the aggregates it changed, saved with the process in one
transaction). The steps, the decider rule and the opinion rule are the engine's
(`province_node.domain.approval`); a repeated command answers as the first did (BUS-2).
"""

from __future__ import annotations

from uuid import UUID

from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.approval import Approval
from province_node.history import history_item
from xueji.clock import Clock
from xueji.store import Writer


class ProcessService:
    """Needs `node`, `writer` and `clock` (every service of the node has them)."""

    node: ProvinceNode
    writer: Writer
    clock: Clock

    def _process(self, process_id: UUID) -> Approval:
        """The process, or NotFound naming the id."""
        raise NotImplementedError

    def decided(self, process: Approval, opinion: str | None, at: str, meta: dict) -> list:
        """What the decision just taken does besides the process (approved, rejected, or
        passed to the next step): the aggregates it changed."""
        return []

    def withdrawn(self, process: Approval, at: str, meta: dict) -> list:
        """What the initiator's revocation frees: the aggregates it changed."""
        return []

    # --- commands ----------------------------------------------------------------------------

    async def decide(self, process_id: UUID, approve: bool, opinion: str | None,
                     meta: CommandMeta) -> dict:  # fmt: skip
        """The current step's unit decides (the engine's decider rule)."""
        at = self.clock.now().isoformat()
        return await self.writer(self._decide, process_id, approve, opinion, at, meta)

    def _decide(self, process_id: UUID, approve: bool, opinion: str | None, at: str,
                meta: CommandMeta) -> dict:  # fmt: skip
        process = self._process(process_id)
        changed = self.decision(process, approve, opinion, at, meta)
        if changed:
            self.node.save(*changed)
        return process.view()

    def decision(self, process: Approval, approve: bool, opinion: str | None, at: str,
                 meta: CommandMeta) -> list:  # fmt: skip
        """One decision and everything it changed, unsaved (a batch saves them together);
        nothing when the command was applied before."""
        if process.seen(meta.command_id):
            return []
        process.check_decision(meta.unit_code, meta.role, approve, opinion)
        process.decide(approve=approve, opinion=opinion, at=at, meta=meta.as_dict())
        return [process, *self.decided(process, opinion, at, meta.as_dict())]

    async def revoke(self, process_id: UUID, meta: CommandMeta) -> dict:
        """The initiating school withdraws its process while it is in progress."""
        at = self.clock.now().isoformat()
        return await self.writer(self._revoke, process_id, at, meta)

    def _revoke(self, process_id: UUID, at: str, meta: CommandMeta) -> dict:
        process = self._process(process_id)
        if process.status == process.REVOKED:  # a repeat: the first answer
            return process.view()
        process.check_revocable(meta.unit_code)
        process.revoke(at=at, meta=meta.as_dict())
        self.node.save(process, *self.withdrawn(process, at, meta.as_dict()))
        return process.view()

    async def resubmit(self, process_id: UUID, meta: CommandMeta) -> dict:
        """A process returned to the school goes up its chain again."""
        at = self.clock.now().isoformat()
        return await self.writer(self._resubmit, process_id, at, meta)

    def _resubmit(self, process_id: UUID, at: str, meta: CommandMeta) -> dict:
        process = self._process(process_id)
        if process.status == process.IN_PROGRESS:  # a repeat: the first answer
            return process.view()
        process.check_resubmittable(meta.unit_code)
        process.resubmit(meta=meta.as_dict(), at=at)
        self.node.save(process)
        return process.view()

    # --- reads -------------------------------------------------------------------------------

    async def get_process(self, process_id: UUID, events: bool = True) -> dict:
        """The process, its state and (`events`) every event of its history (who, when,
        opinion); a list needs only the state."""

        def read() -> dict:
            process = self._process(process_id)
            if not events:
                return process.view()
            stored = [history_item(e) for e in self.node.events.get(process.id)]
            return process.view() | {"events": stored}

        return await self.writer(read)
