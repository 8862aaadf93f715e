"""REG-5 claims that never leak: the hub reconciles the identities it holds as *claimed* for a
province with what that province's node says each is for (`province_node/claims.py`).

- A claim older than the grace period (`claim_grace_seconds`) whose registration the node
  does not know (it stopped between the hub's claim and its commit) or that ended without a
  student (its release lost) is an orphan: released, one `ClaimReleased` event with its reason
  (`orphan_unknown`, `orphan_ended`), so a second run finds nothing to release.
- What it cannot resolve it reports instead of guessing (`hub.domain.reconciliation.KINDS`):
  kept per province, on the monitoring page, in `/healthz`, by `xueji reconcile claims`.

It runs by itself every `claim_reconcile_seconds` and on demand (`POST
/api/v1/reconciliations/claims`, the ministry sysadmin). The claimed identities are found by
reading the identity events' notifications once (topics only, no decoding) and then only the
new ones: the hub keeps in memory the few identities whose last word is a claim.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

from eventsourcing.utils import get_topic

from contracts import subjects
from contracts.claims import (
    MAX_CLAIMS,
    ClaimAccount,
    ClaimsExplained,
    ExplainClaims,
    HeldClaim,
    HeldClaims,
    ListHeldClaims,
)
from contracts.codes import MINISTRY_UNIT
from contracts.errors import ContractError
from contracts.meta import CommandMeta
from hub.application import NationalHub
from hub.domain.identity import NationalIdentity
from hub.domain.reconciliation import KINDS, ClaimConflicts
from xueji.bus import Bus, BusUnavailable, RemoteError
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("hub.reconciliation")

#: A node has this long to answer one question.
TIMEOUT_SECONDS = 10.0
_SCAN_PAGE = 10_000
_CLAIMING = {get_topic(t) for t in (NationalIdentity.Claimed, NationalIdentity.Reclaimed,
                                    NationalIdentity.ClaimMoved)}  # fmt: skip
_NOT_CLAIMED = {get_topic(t) for t in (NationalIdentity.Enrolled, NationalIdentity.Released,
                                       NationalIdentity.ClaimReleased)}  # fmt: skip


class Unanswered(Exception):
    """A node's answer that is no answer (another province's, or not to the question)."""


class ClaimReconciliation:
    def __init__(
        self, hub: NationalHub, writer: Writer, bus: Bus, provinces: list[str], grace: float
    ) -> None:
        self.hub, self.writer, self.bus = hub, writer, bus
        self.provinces, self.grace = list(provinces), timedelta(seconds=grace)
        self._position = 0  # the last identity notification read
        self._claimed: set[UUID] = set()  # identities whose last status event is a claim
        self._students: dict[str, set[UUID]] = {}  # per province, the last run's `student`s
        self._lock = asyncio.Lock()  # one run at a time (the periodic one and a request)
        #: The last run's figures per province (in memory; the conflicts are stored).
        self.last: dict[str, dict] = {}

    # --- a run ----------------------------------------------------------------------------------

    async def run(self, province: str | None = None) -> list[dict]:
        """Every province of the hub, or one; a result per province."""
        if province is not None and province not in self.provinces:
            raise ContractError("province", "unknown_province", f"中央平台不跟踪省份 {province}")
        async with self._lock:
            await self._scan()
            return [await self._reconcile(p) for p in ([province] if province else self.provinces)]

    async def _reconcile(self, province: str) -> dict:
        meta = CommandMeta.new("system", MINISTRY_UNIT, "sysadmin")
        at = datetime.now(UTC)
        result = {"province": province, "at": at.isoformat(), "checked": 0, "kept": 0,
                  "released": 0, "young": 0, "conflicts": 0, "answered": True}  # fmt: skip
        held, young = await self.writer(self._held_claims, province, at - self.grace)
        result["young"] = young
        try:
            accounts = await self._explain(province, held, meta)
            node_held = await self._node_held(province, meta)
        except (BusUnavailable, RemoteError, ContractError, Unanswered) as error:
            log.warning("claim_reconciliation_unanswered", province=province, error=str(error))
            result["answered"] = False
            self.last[province] = result
            return result
        orphans = [a for a in accounts if a.state in ("unknown", "ended")]
        released = await self.writer(self._release, province, orphans, meta)
        # A student whose claim is still not an enrolment, two runs in a row: its
        # `student.registered` never got applied (one run may just meet it on its way).
        students = {a.registration_id: a for a in accounts if a.state == "student"}
        before, self._students[province] = self._students.get(province, set()), set(students)
        students = [a for r, a in students.items() if r in before]
        conflicts = await self.writer(self._conflicts, province, node_held + students, at, meta)
        result |= {
            "checked": len(held) + len(node_held),
            "kept": len(accounts) - len(orphans),
            "released": released,
            "conflicts": len(conflicts),
        }
        self.last[province] = result
        if released or conflicts:
            log.warning("claims_reconciled", **result)
        else:
            log.info("claims_reconciled", **result)
        return result

    async def _explain(
        self, province: str, held: list[HeldClaim], meta: CommandMeta
    ) -> list[ClaimAccount]:
        accounts: list[ClaimAccount] = []
        subject = subjects.prov_claims_explain(province)
        for start in range(0, len(held), MAX_CLAIMS):
            chunk = held[start : start + MAX_CLAIMS]
            question = ExplainClaims(envelope=meta.envelope(), claims=chunk)
            answer = await self.bus.ask(subject, question, ClaimsExplained, TIMEOUT_SECONDS)
            _check_answer(province, answer.province)
            asked = [(c.registration_id, c.dedup_key) for c in chunk]
            if [(a.registration_id, a.dedup_key) for a in answer.accounts] != asked:
                raise Unanswered("节点的答复与所问的占用不一致")
            accounts += answer.accounts
        return accounts

    async def _node_held(self, province: str, meta: CommandMeta) -> list[ClaimAccount]:
        claims: list[ClaimAccount] = []
        subject, cursor = subjects.prov_claims_held(province), None
        while True:
            question = ListHeldClaims(envelope=meta.envelope(), cursor=cursor, limit=MAX_CLAIMS)
            page = await self.bus.ask(subject, question, HeldClaims, TIMEOUT_SECONDS)
            _check_answer(province, page.province)
            claims += page.claims
            if page.cursor is None or not page.claims:
                return claims
            cursor = page.cursor

    # --- on the writer thread ---------------------------------------------------------------------

    def _scan_page(self) -> bool:
        """Reads the next identity notifications; True if there may be more."""
        topics = sorted(_CLAIMING | _NOT_CLAIMED)
        found = self.hub.recorder.select_notifications(
            start=self._position + 1, limit=_SCAN_PAGE, topics=topics
        )
        for notification in found:
            if notification.topic in _CLAIMING:
                self._claimed.add(notification.originator_id)
            else:
                self._claimed.discard(notification.originator_id)
        if found:
            self._position = found[-1].id
        return len(found) == _SCAN_PAGE

    async def _scan(self) -> None:
        while await self.writer(self._scan_page):
            pass  # one page per writer call: claims are not held up by a long first scan

    def _held_claims(self, province: str, before: datetime) -> tuple[list[HeldClaim], int]:
        """The claims the hub holds for `province`, made before `before`; and how many are
        younger (still in their grace period)."""
        held, young = [], 0
        for identity_id in sorted(self._claimed):
            identity = self.hub.find(identity_id)
            if not isinstance(identity, NationalIdentity) or identity.status != "claimed":
                continue
            if identity.province != province:
                continue
            if self._claimed_at(identity) > before:
                young += 1
                continue
            held.append(HeldClaim(registration_id=UUID(identity.registration_id),
                                  dedup_key=identity.dedup_key))  # fmt: skip
        return held, young

    def _claimed_at(self, identity: NationalIdentity) -> datetime:
        """When the claim it stands on was made (its last claim event)."""
        last = identity.created_on
        for domain_event in self.hub.events.get(identity.id):
            if get_topic(type(domain_event)) in _CLAIMING:
                last = domain_event.timestamp
        return last

    def _release(self, province: str, orphans: list[ClaimAccount], meta: CommandMeta) -> int:
        """REG-5: each orphan once — only if the same registration still holds the claim."""
        released = []
        for account in orphans:
            identity = self.hub.identity(account.dedup_key)
            registration_id = str(account.registration_id)
            if identity is None or not identity.claimed_by(province, registration_id):
                continue  # released, moved or enrolled since it was asked about
            identity.release_claim(
                province=province,
                registration_id=registration_id,
                reason=f"orphan_{account.state}",
                meta=meta.as_dict(),
            )
            released.append(identity)
            log.info("orphan_claim_released", province=province, registration_id=registration_id,
                     reason=f"orphan_{account.state}")  # fmt: skip
        if released:
            self.hub.save(*released)
        return len(released)

    def _conflicts(
        self, province: str, held: list[ClaimAccount], at: datetime, meta: CommandMeta
    ) -> list[dict]:
        """What the node holds that the hub does not hold the same way, and students whose
        claim the hub never turned into an enrolment (`student.registered` dead-lettered, or
        far behind); stored if changed."""
        found = []
        for account in held:
            identity = self.hub.identity(account.dedup_key)
            kind = _conflict(province, account, identity)
            if kind is None:
                continue
            found.append({
                "kind": kind,
                "label": KINDS[kind],
                "registration_id": str(account.registration_id),
                "purpose": account.purpose,
                "student_number": account.student_number,
                "holder_province": identity.province if identity is not None else None,
                "name": identity.name if identity is not None else None,
            })  # fmt: skip
        stored = self.hub.find(ClaimConflicts.create_id(province))
        stored = stored if isinstance(stored, ClaimConflicts) else None
        if (stored.conflicts if stored else []) != found:
            stored = stored or ClaimConflicts(province=province)
            stored.report(conflicts=found, at=at.isoformat(), meta=meta.as_dict())
            self.hub.save(stored)
        return found

    # --- what is shown ---------------------------------------------------------------------------

    async def conflicts(self) -> dict:
        """The conflicts of the last runs: total, per province, and each."""
        return await self.writer(self._stored_conflicts)

    def _stored_conflicts(self) -> dict:
        by_province, items = {}, []
        for province in self.provinces:
            stored = self.hub.find(ClaimConflicts.create_id(province))
            if isinstance(stored, ClaimConflicts) and stored.conflicts:
                by_province[province] = len(stored.conflicts)
                items += [{"province": province, "at": stored.at, **c} for c in stored.conflicts]
        return {"total": len(items), "by_province": by_province, "items": items}


def _conflict(
    province: str, account: ClaimAccount, identity: NationalIdentity | None
) -> str | None:
    registration_id = str(account.registration_id)
    if identity is None:
        return "unknown_on_hub"
    if identity.status == "released":
        return "released_on_hub"
    if identity.province != province or not identity.is_held_by(registration_id):
        return "held_by_other"
    if account.state == "student":  # a claim past its grace period, the record long made
        return "student_not_enrolled" if identity.status == "claimed" else None
    if identity.status != "claimed":
        return "enrolled_on_hub"
    return None


def _check_answer(asked: str, answered: str) -> None:
    """A province answers only for itself: another's answer is no answer."""
    if answered != asked:
        raise Unanswered(f"省份 {asked} 的问题由 {answered} 作答")


async def reconcile_periodically(reconciliation: ClaimReconciliation, seconds: float) -> None:
    """REG-5: by itself, every `seconds` (the first run after one pause)."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await reconciliation.run()
        except Exception:  # the store is busy, a node is away: the next run tries again
            log.exception("claim_reconciliation_failed")
