"""The national identity index's use cases (REG-5 dedup, QRY-4 lookup), mixed into
`NationalHub`; each runs on the hub's one writer thread."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError

from contracts.commands import ClaimIdentities, ClaimIdentity
from contracts.ids import DocumentType, dedup_key
from contracts.meta import CommandMeta
from contracts.replies import IdentityClaimReply, IdentityClaimsReply
from hub.domain.identity import NationalIdentity, StudentNumberEntry
from xueji.faults import fault_point
from xueji.store import existing_originators


class IdentityUseCases:
    # --- near-real-time dedup (request/reply) -------------------------------------------

    def claim_identity(self, command: ClaimIdentity) -> IdentityClaimReply:
        """REG-5: the first registration to claim an identity holds it; repeats are free."""
        reply, changed = self._claim(command, self._identity(command.dedup_key))
        if changed is not None:
            self.save(changed)
        fault_point("hub.claim.after_store")
        return reply

    def claim_identities(self, command: ClaimIdentities) -> IdentityClaimsReply:
        """REG-5 for an import chunk: each item as `claim_identity`, in order (of two items
        of one person the first wins), every change saved in one transaction."""
        claimed: dict[str, NationalIdentity] = {}  # this batch's claims, by dedup key
        stored = existing_originators(
            self.recorder, [NationalIdentity.create_id(i.dedup_key) for i in command.items]
        )  # one query instead of one per item: most identities of an import are new
        replies = []
        for item in command.items:
            identity = claimed.get(item.dedup_key)
            if identity is None and (
                stored is None or NationalIdentity.create_id(item.dedup_key) in stored
            ):
                identity = self._identity(item.dedup_key)
            reply, changed = self._claim(item, identity)
            if changed is not None:
                claimed[item.dedup_key] = changed
            replies.append(reply)
        if claimed:
            self.save(*claimed.values())
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
                id_type=command.id_type,
                id_number=command.id_number,
                name=command.name,
                sex=command.sex,
                birth_date=command.birth_date,
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

    def national_student(
        self, name: str, id_number: str | None = None, student_number: str | None = None
    ) -> dict | None:
        """QRY-4: name plus ID number or national student number; None when no match."""
        identity = None
        if id_number:
            identity = self._identity(
                dedup_key(DocumentType.RESIDENT_ID, id_number, name, None, None)
            )
        elif student_number:
            identity = self._by_number(student_number)
        if identity is None or identity.name != name:
            return None
        return identity.view()

    def _identity(self, dedup_key: str) -> NationalIdentity | None:
        try:
            return self.repository.get(NationalIdentity.create_id(dedup_key))
        except AggregateNotFoundError:
            return None

    def _by_number(self, student_number: str) -> NationalIdentity | None:
        entry = self._number_entry(student_number)
        return None if entry is None else self.repository.get(entry.identity_id)

    def _number_entry(self, student_number: str) -> StudentNumberEntry | None:
        try:
            return self.repository.get(StudentNumberEntry.create_id(student_number))
        except AggregateNotFoundError:
            return None
