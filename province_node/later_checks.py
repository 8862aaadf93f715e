"""What `RegistrationService` finishes after the entry, by itself or on a sysadmin's word
(REG-5): deferred dedup, authentications left pending, returned entries left lying."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from contracts.ids import DocumentType
from contracts.meta import CommandMeta
from province_node.domain.registration import NationalChecks, RegistrationStatus
from province_node.registry_client import authentication_of


class LaterChecks:
    """Needs the service's `node`, `writer`, `registry`, `relay`, `clock`, `_claim` and
    `_open_ids` (the candidates, from the registrations view; each aggregate decides)."""

    async def run_deferred_dedup(self, meta: CommandMeta) -> dict:
        """REG-5 with instant dedup off: ask the hub for every registration still waiting."""
        ids = await self._open_ids(status=RegistrationStatus.SUBMITTED, dedup_status="pending")
        waiting = await self.writer(self.node.deferred_dedups, ids)
        done = refused = 0
        for identity in waiting:
            checks = await self._claim(identity["id"], identity, NationalChecks(), meta)
            summary = await self.writer(
                self.node.complete_deferred_dedup, UUID(identity["id"]), checks, meta
            )
            done += 1
            refused += summary["status"] == RegistrationStatus.REFUSED
        self.relay.wake()
        return {"checked": done, "refused": refused}

    async def abandon_returned(self, meta: CommandMeta, expiry_days: int) -> int:
        """REG-5: returned entries left longer than `expiry_days` end (abandoned)."""
        before = self.clock.now() - timedelta(days=expiry_days)
        ids = await self._open_ids(status=RegistrationStatus.RETURNED)
        abandoned = await self.writer(self.node.abandon_returned, ids, before, meta)
        self.relay.wake()
        return abandoned

    async def retry_pending_authentications(self, meta: CommandMeta) -> dict:
        """REG-5: ask the population registry again for every authentication left pending
        (one request), and go on with each it answers. `pending`: those it still could not."""
        ids = await self._open_ids(auth_status="pending", id_type=DocumentType.RESIDENT_ID.value)
        waiting = await self.writer(self.node.pending_authentications, ids)
        answers = []
        if waiting:
            queries = [(w["id_number"], w["name"], meta) for w in waiting]
            answers = await self.registry.authenticate_many(queries, meta)
        blocks = (await self.writer(self.node.settings)).switches().auth_failure_blocks
        counts = {"checked": len(waiting), "answered": 0, "refused": 0, "pending": 0}
        for item, answer in zip(waiting, answers, strict=True):
            if answer is None:
                counts["pending"] += 1
                continue
            outcome, reason = authentication_of(answer)
            summary = await self.writer(
                self.node.complete_authentication, UUID(item["id"]), outcome, reason, blocks, meta
            )
            counts["answered"] += 1
            counts["refused"] += summary["status"] == RegistrationStatus.REFUSED
        self.relay.wake()
        return counts
