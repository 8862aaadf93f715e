"""The national identity index's use cases (REG-5 dedup, QRY-4 lookup) and what the hub has
applied of each province's stream; every write runs on the hub's one writer thread."""

from __future__ import annotations

from contracts.commands import ClaimIdentities, ClaimIdentity
from contracts.meta import CommandMeta
from contracts.person import Person
from contracts.replies import IdentityClaimReply, IdentityClaimsReply
from hub.application import NationalHub
from hub.domain.identity import NationalIdentity
from xueji.faults import fault_point
from xueji.store import Writer, existing_originators


class IdentityService:
    def __init__(self, hub: NationalHub, writer: Writer) -> None:
        self.hub, self.writer = hub, writer

    # --- near-real-time dedup (request/reply) -------------------------------------------

    async def claim(self, command: ClaimIdentity) -> IdentityClaimReply:
        """REG-5: the first registration to claim an identity holds it; repeats are free."""
        return await self.writer(self._claim_one, command)

    def _claim_one(self, command: ClaimIdentity) -> IdentityClaimReply:
        reply, changed = self._claim(command, self.hub.identity(command.dedup_key))
        if changed is not None:
            self.hub.save(changed)
        fault_point("hub.claim.after_store")
        return reply

    async def claim_batch(self, command: ClaimIdentities) -> IdentityClaimsReply:
        """REG-5 for an import chunk: each item as `claim`, in order (of two items of one
        person the first wins), every change saved in one transaction."""
        return await self.writer(self._claim_batch, command)

    def _claim_batch(self, command: ClaimIdentities) -> IdentityClaimsReply:
        claimed: dict[str, NationalIdentity] = {}  # this batch's claims, by dedup key
        stored = existing_originators(
            self.hub.recorder, [NationalIdentity.create_id(i.dedup_key) for i in command.items]
        )  # one query instead of one per item: most identities of an import are new
        replies = []
        for item in command.items:
            identity = claimed.get(item.dedup_key)
            if identity is None and (
                stored is None or NationalIdentity.create_id(item.dedup_key) in stored
            ):
                identity = self.hub.identity(item.dedup_key)
            reply, changed = self._claim(item, identity)
            if changed is not None:
                claimed[item.dedup_key] = changed
            replies.append(reply)
        if claimed:
            self.hub.save(*claimed.values())
        return IdentityClaimsReply(replies=replies)

    def _claim(
        self, command: ClaimIdentity, identity: NationalIdentity | None
    ) -> tuple[IdentityClaimReply, NationalIdentity | None]:
        """The answer given the identity as it stands, and the identity if this claim
        changed it (not saved yet)."""
        meta = CommandMeta.from_envelope(command.envelope).as_dict()
        registration_id = str(command.registration_id)
        if identity is None:
            identity = NationalIdentity(
                dedup_key=command.dedup_key,
                province=command.province,
                registration_id=registration_id,
                **Person.of(command).as_dict(),
                school_code=command.school_code,
                meta=meta,
            )
            return IdentityClaimReply(outcome="free"), identity
        changed = self._reclaim(command, identity, meta)
        if identity.is_held_by(registration_id):
            return IdentityClaimReply(outcome="free"), changed
        own = identity.province == command.province  # only it may know the holder's fate
        reply = IdentityClaimReply(
            outcome="conflict",
            holder_province=identity.province,
            holder_student_number=identity.student_number,
            holder_registration_id=identity.registration_id if own else None,
        )
        return reply, changed

    @staticmethod
    def _reclaim(
        command: ClaimIdentity, identity: NationalIdentity, meta: dict
    ) -> NationalIdentity | None:
        """A released identity is claimed afresh (REG-9); a province moves its own unfinished
        claim to a retry (REG-5: `replaces`). The identity if it changed."""
        fields = {"school_code": command.school_code, "name": command.name, "meta": meta}
        registration_id = str(command.registration_id)
        if identity.status == "released":
            identity.reclaim(province=command.province, registration_id=registration_id, **fields)
            return identity
        replaces = str(command.replaces) if command.replaces else None
        if replaces and identity.claimed_by(command.province, replaces):
            identity.move_claim(registration_id=registration_id, replaces=replaces, **fields)
            return identity
        return None

    # --- queries ---------------------------------------------------------------------------

    async def national_student(
        self, name: str, id_number: str | None = None, student_number: str | None = None
    ) -> dict | None:
        """QRY-4: name plus ID number or national student number; None when no match."""
        return await self.writer(self.hub.national_student, name, id_number, student_number)

    async def positions(self, provinces: list[str]) -> dict[str, int]:
        """How far the hub has applied each province's stream (BUS-4)."""
        return {p: await self.writer(self.hub.position, p) for p in provinces}

    async def dead_letters(self) -> dict:
        """BUS-6: the province messages recorded instead of applied."""
        return await self.writer(self.hub.dead_letters)

    async def position(self, province: str) -> int:
        return await self.writer(self.hub.position, province)

    async def chain_heads(self) -> dict:
        """AUD-4: per province stream, the latest (notification id, chain hash) applied."""
        return await self.writer(self.hub.recorder.seen_heads)
