"""The node's side of the bus: asking the hub (request/reply). What the outbox publishes is
`province_node/publishing.py`."""

from __future__ import annotations

from contracts import subjects
from contracts.commands import ClaimIdentities, ClaimIdentity
from contracts.meta import CommandMeta
from contracts.person import Person
from contracts.replies import IdentityClaimReply, IdentityClaimsReply
from xueji.bus import Bus


class HubClient:
    """Commands the node sends to the hub and waits for."""

    def __init__(self, bus: Bus, province: str, timeout: float) -> None:
        self.bus, self.province, self.timeout = bus, province, timeout

    async def claim_identity(
        self,
        registration_id: str,
        identity: dict,
        meta: CommandMeta,
        replaces: str | None = None,
    ) -> IdentityClaimReply:
        """REG-5 dedup: `identity` holds dedup_key, id_type, id_number, name, sex, birth_date
        and school_code (a form's `person()` plus its key, or a stored registration's);
        `replaces`: this province's registration whose claim moves here (see ClaimIdentity)."""
        command = self._claim(registration_id, identity, meta, replaces)
        subject = subjects.hub_rpc(self.province, subjects.HUB_IDENTITY_CLAIM)
        return await self.bus.ask(subject, command, IdentityClaimReply, self.timeout)

    async def claim_identities(
        self, claims: list[tuple[str, dict, CommandMeta]], meta: CommandMeta
    ) -> list[IdentityClaimReply]:
        """The same for an import chunk, one request: (registration_id, identity, row meta)
        per row; the answers in the same order."""
        command = ClaimIdentities(
            envelope=meta.envelope(), items=[self._claim(*claim) for claim in claims]
        )
        subject = subjects.hub_rpc(self.province, subjects.HUB_IDENTITY_CLAIM_BATCH)
        reply = await self.bus.ask(subject, command, IdentityClaimsReply, self.timeout)
        return reply.replies

    def _claim(
        self, registration_id: str, identity: dict, meta: CommandMeta, replaces: str | None = None
    ) -> ClaimIdentity:
        return ClaimIdentity(
            envelope=meta.envelope(),
            province=self.province,
            registration_id=registration_id,
            replaces=replaces,
            dedup_key=identity["dedup_key"],
            school_code=identity["school_code"],
            **Person.of(identity).as_dict(),
        )
