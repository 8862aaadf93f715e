"""REG-5 claim reconciliation, the node's side: what each national claim of this province is
for, and which claims the node believes it holds. The hub asks (`hub/reconciliation.py`)
and decides; the node only tells what it knows, from its aggregates (the views only find
the candidates of a held-claims page; the aggregate of each decides)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any
from uuid import UUID

from nats.aio.client import Client
from nats.aio.msg import Msg
from sqlalchemy import Table

from contracts import subjects
from contracts.claims import (
    ClaimAccount,
    ClaimsExplained,
    ExplainClaims,
    HeldClaim,
    HeldClaims,
    ListHeldClaims,
)
from contracts.envelope import decode
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.approval import ProcessStatus
from province_node.domain.key_data_change import KeyDataChange
from province_node.domain.registration import Registration, RegistrationStatus
from province_node.domain.student import Student
from xueji.bus import serve
from xueji.store import Writer

#: A key data change that ended no longer holds the key it claimed.
_KDC_ENDED = (ProcessStatus.APPROVED, ProcessStatus.REJECTED, ProcessStatus.REVOKED)
#: How long a held-claims page waits for the views to hold every stored event.
_CATCH_UP_SECONDS = 10.0


class ClaimLedger:
    """`in_flight`: the registrations between the hub's claim and their commit right now
    (`RegistrationService.in_flight`): in review, whatever the store says yet."""

    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        views: Views,
        in_flight: Callable[[], Collection[str]] = frozenset,
    ) -> None:
        self.node, self.writer, self.views, self.in_flight = node, writer, views, in_flight

    # --- the hub's claims explained ---------------------------------------------------------

    async def explain(self, claims: list[HeldClaim]) -> list[ClaimAccount]:
        flying = set(self.in_flight())
        return await self.writer(self._explain, claims, flying)

    def _explain(self, claims: list[HeldClaim], flying: set[str]) -> list[ClaimAccount]:
        return [self.account(c.registration_id, c.dedup_key, flying) for c in claims]

    def account(
        self, registration_id: UUID, key: str, flying: Collection[str] = ()
    ) -> ClaimAccount:
        """On the writer thread: what the claim of `key` by `registration_id` is for here."""

        def said(state: str, purpose: str = "registration", number: str | None = None):
            return ClaimAccount(registration_id=registration_id, dedup_key=key, state=state,
                                purpose=purpose, student_number=number)  # fmt: skip

        if str(registration_id) in flying:
            return said("in_review")
        student = self.node.find(Student.create_id(registration_id))  # also one transferred in
        if isinstance(student, Student):
            if student.dedup_key == key:
                return said("student", number=student.student_number)
            if self._changing_to(student, key):
                return said("in_review", "key_data_change", student.student_number)
            return said("ended", "key_data_change", student.student_number)  # holds another key
        registration = self.node.find(registration_id)
        if not isinstance(registration, Registration) or registration.dedup_key != key:
            return said("unknown")
        if registration.has_ended:
            return said("ended")
        return said("in_review")

    def _changing_to(self, student: Student, key: str) -> bool:
        """KDC-3: the key data change in flight on the record claimed `key`."""
        process = student.in_flight or {}
        if process.get("business") != "key_data_change":
            return False
        change = self.node.find(UUID(process["id"]))
        return (
            isinstance(change, KeyDataChange)
            and change.new_dedup_key == key
            and change.status not in _KDC_ENDED
        )

    # --- the claims the node holds, a page at a time -------------------------------------------

    async def held(self, cursor: str | None, limit: int) -> tuple[list[ClaimAccount], str | None]:
        """Registrations in progress whose dedup passed (`r:<id>`), then key data changes in
        flight that claimed a new key (`k:<id>`); the cursor of the next page, or None."""
        await self.views.caught_up(_CATCH_UP_SECONDS)
        source, _, after = (cursor or "r:").partition(":")
        if source == "r":
            table = self.views.view("registrations").table("registrations")
            ids = await self.views.read(_open_registrations, table, after, limit)
            accounts = await self.writer(self._registration_claims, ids)
            if len(ids) == limit:
                return accounts, f"r:{ids[-1]}"
            source, after = "k", ""
            limit -= len(ids)
        else:
            accounts = []
        table = self.views.view("applications").table("applications")
        ids = await self.views.read(_open_key_data_changes, table, after, limit)
        accounts += await self.writer(self._change_claims, ids)
        return accounts, (f"k:{ids[-1]}" if len(ids) == limit else None)

    def _registration_claims(self, ids: list[str]) -> list[ClaimAccount]:
        found = []
        for registration in map(self.node.find, map(UUID, ids)):
            if (
                isinstance(registration, Registration)
                and registration.status in RegistrationStatus.OPEN
                and registration.dedup_status == "passed"
            ):
                found.append(ClaimAccount(registration_id=registration.id, state="in_review",
                                          dedup_key=registration.dedup_key))  # fmt: skip
        return found

    def _change_claims(self, ids: list[str]) -> list[ClaimAccount]:
        found = []
        for change in map(self.node.find, map(UUID, ids)):
            if not isinstance(change, KeyDataChange) or change.status in _KDC_ENDED:
                continue
            if not change.moves_identity:
                continue
            student = self.node.find(UUID(change.student_id))
            if isinstance(student, Student):
                found.append(ClaimAccount(
                    registration_id=student.registration_id, dedup_key=change.new_dedup_key,
                    state="in_review", purpose="key_data_change",
                    student_number=student.student_number,
                ))  # fmt: skip
        return found


def _open_registrations(connection: Any, table: Table, after: str, limit: int) -> list[str]:
    statement = (
        table.select()
        .with_only_columns(table.c.id)
        .where(table.c.status.in_(RegistrationStatus.OPEN), table.c.dedup_status == "passed")
        .where(table.c.id > after)
        .order_by(table.c.id)
        .limit(limit)
    )
    return [row[0] for row in connection.execute(statement)]


def _open_key_data_changes(connection: Any, table: Table, after: str, limit: int) -> list[str]:
    statement = (
        table.select()
        .with_only_columns(table.c.id)
        .where(table.c.type == "key_data_change", table.c.status.not_in(_KDC_ENDED))
        .where(table.c.id > after)
        .order_by(table.c.id)
        .limit(limit)
    )
    return [row[0] for row in connection.execute(statement)]


async def serve_claims(nc: Client, ledger: ClaimLedger, province: str) -> None:
    """Only this province's subjects: NATS lets no one else subscribe to them (SEC-5)."""

    async def explain(msg: Msg) -> ClaimsExplained:
        question = decode(ExplainClaims, msg.data)
        accounts = await ledger.explain(question.claims)
        return ClaimsExplained(province=province, accounts=accounts)

    async def held(msg: Msg) -> HeldClaims:
        question = decode(ListHeldClaims, msg.data)
        claims, cursor = await ledger.held(question.cursor, question.limit)
        return HeldClaims(province=province, claims=claims, cursor=cursor)

    queue = subjects.province_queue(province)
    await serve(nc, subjects.prov_claims_explain(province), queue, explain)
    await serve(nc, subjects.prov_claims_held(province), queue, held)
