"""The rows of an Excel import chunk through the national checks together (REG-4, REG-5).

Each row gets the same rules as a single entry (`RegistrationService`), but a chunk asks the
population registry once and the hub once, and is recorded in one node transaction: per
row, the round trips and the commit were what bounded an import.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from contracts.errors import ContractError, DomainError
from contracts.ids import DocumentType
from contracts.meta import CommandMeta
from contracts.replies import IdentityClaimReply
from province_node.domain.registration import NationalChecks, Registration
from province_node.domain.registration_rules import ValidRegistration
from province_node.domain.settings import ProvinceSettings
from province_node.registrations import RegistrationService, frozen_chain, outcome_of
from province_node.registry_client import authentication_of
from xueji.bus import BusUnavailable, RemoteError

HUB_AWAY = "暂时无法连接全国查重服务，请稍后重新导入"


@dataclass
class ImportRow:
    """One valid row on its way: what the checks said, or why it stops here."""

    row: int  # the sheet's row number, as the problem list names it
    valid: ValidRegistration
    meta: CommandMeta  # its own command id: a repeated import lands on the same registration
    checks: NationalChecks | None = None  # set once the row may be recorded
    chain: list[dict] | None = None
    summary: dict | None = None  # recorded (now or by an earlier run)
    problem: str | None = None

    @property
    def waiting(self) -> bool:
        return self.checks is not None and self.summary is None and self.problem is None

    def refusal(self) -> dict | None:
        """The row's entry in the file's problem list, if it did not go on."""
        message = self.problem
        if message is None and self.summary is not None:
            try:
                outcome_of(self.summary)
            except DomainError as error:  # dedup conflict, or refused by authentication
                message = error.message
        if message is None:
            return None
        return {"row": self.row, "messages": [f"第{self.row}行: {message}"], "blocking": True}


class ImportChecks:
    """Prepares, checks and builds the registrations of one chunk of rows."""

    def __init__(self, registrations: RegistrationService) -> None:
        self.svc = registrations

    async def check(self, rows: list[ImportRow], meta: CommandMeta) -> None:
        """Sets each row's checks (or problem): one registry request, one hub request."""
        await self.svc.writer(self._prepare, rows)
        for proof in {r.valid.form.proof for r in rows if r.waiting and r.valid.form.proof}:
            await asyncio.to_thread(self.svc.blobs.put, proof)  # before the event naming it
        await self._authenticate([r for r in rows if r.waiting], meta)
        claims = [
            r
            for r in rows
            if r.waiting and not (r.checks.refused_by_authentication or r.checks.dedup_deferred)
        ]
        if claims:
            await self._claim(claims, meta)

    def build(self, rows: list[ImportRow]) -> list:
        """On the writer thread: the aggregates recording the waiting rows, not saved."""
        waiting = [r for r in rows if r.waiting]
        results, aggregates = self.svc.build_records(
            [(r.valid, r.checks, r.chain, r.meta) for r in waiting]
        )
        for row, result in zip(waiting, results, strict=True):
            if isinstance(result, dict):
                row.summary = result
            else:
                row.problem = result.message
        return aggregates

    def _prepare(self, rows: list[ImportRow]) -> None:
        """On the writer thread: the open period, placement and the chain (SYS-1), with the
        settings and each class read once per chunk."""
        node = self.svc.node
        settings = node.settings()
        switches = settings.switches()
        base = NationalChecks(
            auth_failure_blocks=switches.auth_failure_blocks,
            dedup_deferred=not switches.instant_dedup,
        )
        chains: dict[tuple, list[dict]] = {}
        for row in rows:  # a row recorded before makes the chunk's transaction collide
            try:
                if not switches.registration_open:  # REG-10
                    raise DomainError("本省新生学籍注册当前未开放", code="registration_closed")
                row.chain = self._chain(row, settings, chains)
            except (DomainError, ContractError) as error:
                row.problem = error.message
                continue
            row.checks = base

    def _chain(self, row: ImportRow, settings: ProvinceSettings, chains: dict) -> list[dict]:
        form = row.valid.form
        key = (form.entry, form.id_type, form.school_code, form.class_code)
        if key not in chains:  # rows of one class share their chain
            self.svc.node.check_placement(form.school_code, form.class_code)
            school_type = self.svc.node.school(form.school_code)["school_type"]
            chains[key] = frozen_chain(form, settings, school_type, self.svc.org)
        return chains[key]

    async def _authenticate(self, rows: list[ImportRow], meta: CommandMeta) -> None:
        """REG-5: the resident IDs of the chunk against the population registry."""
        resident = [r for r in rows if r.valid.form.id_type == DocumentType.RESIDENT_ID.value]
        if not resident:
            return
        answers = await self.svc.registry.authenticate_many(
            [(r.valid.form.id_number, r.valid.form.name, r.meta) for r in resident], meta
        )
        for row, answer in zip(resident, answers, strict=True):
            auth, reason = authentication_of(answer)
            row.checks = replace(row.checks, auth=auth, auth_reason=reason)

    async def _claim(self, rows: list[ImportRow], meta: CommandMeta) -> None:
        """REG-5 dedup on the hub; a row it cannot answer is not stored (the import says so).
        A batch the hub refuses as a whole is asked row by row, to name the bad row."""
        claims = [
            (
                str(Registration.create_id(r.meta.command_id)),
                r.valid.person() | {"dedup_key": r.valid.dedup_key},
                r.meta,
            )
            for r in rows
        ]
        try:
            replies = await self.svc.hub.claim_identities(claims, meta)
        except BusUnavailable:
            for row in rows:
                row.problem = HUB_AWAY
            return
        except RemoteError:
            replies = await asyncio.gather(
                *(self._claim_one(row, claim) for row, claim in zip(rows, claims, strict=True))
            )
        for row, claim, reply in zip(rows, claims, replies, strict=True):
            if reply is not None:
                reply = await self._settle(row, claim, reply)
            if reply is not None and reply.outcome == "conflict":
                row.checks = replace(
                    row.checks,
                    holder_province=reply.holder_province,
                    holder_student_number=reply.holder_student_number,
                )

    async def _settle(
        self, row: ImportRow, claim: tuple, reply: IdentityClaimReply
    ) -> IdentityClaimReply | None:
        """REG-5: a claim this province lost or ended moves to the row (as a single entry)."""
        registration_id, identity, row_meta = claim
        try:
            return await self.svc.settle_own_claim(registration_id, identity, reply, row_meta)
        except BusUnavailable:
            row.problem = HUB_AWAY
            return None

    async def _claim_one(self, row: ImportRow, claim: tuple) -> IdentityClaimReply | None:
        try:
            return await self.svc.hub.claim_identity(*claim)
        except BusUnavailable:
            row.problem = HUB_AWAY
        except RemoteError as error:
            row.problem = f"全国查重服务拒绝了该行：{error.message}"
        return None
