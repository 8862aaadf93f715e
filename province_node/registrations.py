"""Registration use cases: a single entry (validate, national dedup on the hub, store, REG-5)
and its recording on the writer (number, problem record, frozen chain), the lists of
registrations in progress read from the views. What finishes later is `later_checks.py`,
the review (REG-6/7/9) `reviews.py`."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from contracts.codes import ClassCode, SchoolType
from contracts.errors import ContractError
from contracts.ids import DocumentType, issue_g, issue_j, issue_l, parse_resident_id
from contracts.meta import CommandMeta
from contracts.org import OrgTree
from contracts.problems import ProblemKind, ProblemSide
from contracts.regions import PROVINCES, region
from contracts.replies import IdentityClaimReply
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.errors import DedupConflict, DomainError
from province_node.domain.problem import ProblemRecord, open_single
from province_node.domain.registration import NationalChecks, Registration, RegistrationStatus
from province_node.domain.registration_rules import (
    RegistrationForm,
    ValidRegistration,
    business_type_of,
    validate_registration,
)
from province_node.domain.settings import ProvinceSettings
from province_node.domain.student import Student, StudentNumberIndex
from province_node.messaging import HubClient
from province_node.registry_client import RegistryClient, authentication_of
from province_node.views.registrations import open_rows, summary
from xueji.blobs import BlobStore
from xueji.clock import Clock
from xueji.faults import fault_point
from xueji.logs import get_logger
from xueji.outbox import OutboxRelay
from xueji.store import Writer

log = get_logger("province_node.registrations")

#: How long a list read here waits for the views to hold every stored event: the sweeps act
#: on what they read, so they wait longer than a page would.
_CATCH_UP_SECONDS = 10.0


class RegistrationService:
    _rng = random.Random()  # temporary `L` numbers (ID-3)

    def __init__(
        self,
        node: ProvinceNode,
        writer: Writer,
        hub: HubClient,
        registry: RegistryClient,
        relay: OutboxRelay,
        clock: Clock,
        org: OrgTree,
        blobs: BlobStore,
        views: Views,
    ) -> None:
        self.node, self.writer, self.hub, self.registry = node, writer, hub, registry
        self.relay, self.clock, self.org, self.blobs = relay, clock, org, blobs
        self.views = views
        #: Registrations whose claim was (or is being) made but that are not stored yet.
        self._claiming: Counter[str] = Counter()

    @contextmanager
    def claiming(self, registration_ids: Iterable[str]) -> Iterator[None]:
        """Marks registrations as on their way from the hub's claim to the store, so that a
        claim they hold is not taken for lost meanwhile (`settle_own_claim`)."""
        ids = list(registration_ids)
        self._claiming.update(ids)
        try:
            yield
        finally:
            self._claiming.subtract(ids)
            self._claiming += Counter()  # drops the zeros

    def in_flight(self) -> set[str]:
        """The registrations between the hub's claim and their commit right now (REG-5)."""
        return set(self._claiming)

    # --- registrations in progress, from the views ------------------------------------------

    async def open_registrations(self, school_codes: list[str], status: str | None) -> list[dict]:
        """The registrations of these schools still in progress, optionally of one status,
        as `Registration.summary()` shows them."""
        rows = await self._open(school_codes, **({"status": status} if status else {}))
        return [summary(row) for row in rows]

    async def _open(self, school_codes: list[str] | None = None, **equal: str) -> list[dict]:
        await self.views.caught_up(_CATCH_UP_SECONDS)  # read-your-writes
        table = self.views.view("registrations").table("registrations")
        return await self.views.read(open_rows, table, school_codes, equal)

    async def open_ids(self, **equal: str) -> list[UUID]:
        """The candidates of a REG-5 sweep: the aggregate of each decides."""
        return [UUID(row["id"]) for row in await self._open(None, **equal)]

    # --- a single entry -----------------------------------------------------------------------

    async def register(self, form: RegistrationForm, meta: CommandMeta) -> dict:
        """Idempotent by command id: a repeat returns the first outcome and stores nothing."""
        summary = await self.writer(self.node.find_registration, meta.command_id)
        if summary is None:
            switches = (await self.writer(self.node.settings)).switches()
            valid = validate_registration(
                form, today=self.clock.today(), under_age_blocks=switches.under_age_blocks
            )
            summary = await self._register_new(valid, meta)
        return outcome_of(summary)

    async def register_valid(self, valid: ValidRegistration, meta: CommandMeta) -> dict:
        """The same for a form already validated (a row of an Excel import, REG-4)."""
        summary = await self.writer(self.node.find_registration, meta.command_id)
        if summary is None:
            summary = await self._register_new(valid, meta)
        return outcome_of(summary)

    async def _register_new(self, valid: ValidRegistration, meta: CommandMeta) -> dict:
        form = valid.form
        if form.proof:  # content-addressed: storing it before the event that names it is safe
            await asyncio.to_thread(self.blobs.put, form.proof)
        settings = await self.writer(self.node.settings)  # read once per registration
        switches = settings.switches()
        if not switches.registration_open:  # REG-10
            raise DomainError("本省新生学籍注册当前未开放", code="registration_closed")
        await self.writer(self.node.check_placement, form.school_code, form.class_code)
        auth, reason = await self._authenticate(valid.form, meta)
        checks = NationalChecks(
            auth=auth,
            auth_reason=reason,
            auth_failure_blocks=switches.auth_failure_blocks,
            dedup_deferred=not switches.instant_dedup,
        )
        registration_id = str(Registration.create_id(meta.command_id))
        with self.claiming([registration_id]):
            if not (checks.refused_by_authentication or checks.dedup_deferred):
                # a refused one must not hold the identity; a deferred one is asked by the sweep
                identity = valid.person() | {"dedup_key": valid.dedup_key}
                checks = await self.claim(registration_id, identity, checks, meta)
            chain = await self._chain(valid.form, settings)
            try:
                summary = await self.writer(self.record_checked, valid, checks, chain, meta)
            except IntegrityError:  # the same command ran concurrently and won the race
                summary = await self.writer(self.node.find_registration, meta.command_id)
        fault_point("node.register.after_commit")
        self.relay.wake()
        log.info(
            "registration_recorded",
            registration_id=summary["id"],
            status=summary["status"],
            dedup_status=summary["dedup_status"],
            auth_status=summary["auth_status"],
        )
        return summary

    async def _chain(self, form: RegistrationForm, settings: ProvinceSettings) -> list[dict]:
        """SYS-1: the approval chain in force now, frozen on the registration."""
        school = await self.writer(self.node.school, form.school_code)
        return frozen_chain(form, settings, school["school_type"], self.org)

    async def _authenticate(
        self, form: RegistrationForm, meta: CommandMeta
    ) -> tuple[str, str | None]:
        """REG-5: resident IDs against the population registry; others need none."""
        if form.id_type != DocumentType.RESIDENT_ID.value:
            return "not_applicable", None
        return authentication_of(await self.registry.authenticate(form.id_number, form.name, meta))

    async def claim(
        self, registration_id: str, identity: dict, checks: NationalChecks, meta: CommandMeta
    ) -> NationalChecks:
        """The hub's national dedup. Nothing is stored before it answers: if it cannot, the
        caller gets a 503."""
        fault_point("node.register.before_claim")
        reply = await self.hub.claim_identity(registration_id, identity, meta)
        reply = await self.settle_own_claim(registration_id, identity, reply, meta)
        fault_point("node.register.after_claim")
        if reply.outcome != "conflict":
            return checks
        return replace(
            checks,
            holder_province=reply.holder_province,
            holder_student_number=reply.holder_student_number,
        )

    async def settle_own_claim(
        self, registration_id: str, identity: dict, reply: IdentityClaimReply, meta: CommandMeta
    ) -> IdentityClaimReply:
        """REG-5: a conflict with this province's own claim, held by a registration that
        ended without a student (its release still on the way) or that was never stored (the
        hub's reply to it was lost): not a duplicate — the claim moves to this registration."""
        holder = reply.holder_registration_id
        if reply.outcome != "conflict" or holder is None or str(holder) in self._claiming:
            return reply
        if reply.holder_province != self.node.province:
            return reply
        if not await self.writer(self.node.claim_is_lost, str(holder)):
            return reply
        log.info("claim_moved", registration_id=registration_id, replaces=str(holder))
        return await self.hub.claim_identity(registration_id, identity, meta, str(holder))

    # --- recording, on the writer thread ----------------------------------------------------

    def record_checked(
        self, valid: ValidRegistration, checks: NationalChecks, chain: list[dict], meta: CommandMeta
    ) -> dict:
        """On the writer thread: stores a registration whose national checks are done, its
        number and its review, in one transaction."""
        registration, new = self._new_registration(valid, checks, chain, meta)
        self.node.save(*new)
        return registration.summary()

    def build_records(
        self, entries: list[tuple[ValidRegistration, NationalChecks, list[dict], CommandMeta]]
    ) -> tuple[list[dict | DomainError | ContractError], list]:
        """On the writer thread: `record_checked` for many rows (an import chunk, REG-4),
        left to the caller to save in one transaction: a summary per row, or the error of a
        row a rule refused, which leaves nothing behind."""
        results: list[dict | DomainError | ContractError] = []
        new: list = []
        for entry in entries:
            try:
                registration, aggregates = self._new_registration(*entry)
            except (DomainError, ContractError) as error:
                results.append(error)
                continue
            results.append(registration.summary())
            new += aggregates
        return results, new

    def _new_registration(
        self,
        valid: ValidRegistration,
        checks: NationalChecks,
        chain: list[dict],
        meta: CommandMeta,
    ) -> tuple[Registration, list]:
        """The registration and the aggregates to save with it."""
        form, m = valid.form, meta.as_dict()
        registration = Registration(
            command_id=meta.command_id,
            province=self.node.province,
            entry=form.entry,
            dedup_key=valid.dedup_key,
            meta=m,
            **valid.person(),
        )
        if valid.warnings:
            registration.flag(warnings=list(valid.warnings), meta=m)
        if valid.proof is not None:
            registration.attach_proof(
                sha256=valid.proof.sha256,
                size=valid.proof.size,
                content_type=valid.proof.content_type,
                meta=m,
            )
        registration.record_authentication(outcome=checks.auth, reason=checks.auth_reason, meta=m)
        if checks.refused_by_authentication:
            registration.refuse_unauthenticated(meta=m)
            return registration, [registration]
        if checks.dedup_deferred:  # REG-5 with instant dedup off: the sweep decides later
            registration.defer_dedup(chain=chain, meta=m)
            return registration, [registration]
        return registration, self.conclude_dedup(registration, checks, chain, m)

    def conclude_dedup(
        self,
        registration: Registration,
        checks: NationalChecks,
        chain: list[dict],
        m: dict,
        deferred: bool = False,
    ) -> list:
        """Refused and closed (dedup conflict), or numbered and put in review. A deferred
        dedup (instant dedup off) that finds the identity held by a student lets the entry go
        on with a temporary number: the two records become a problem group (PRB-1)."""
        duplicate = deferred and checks.holder_student_number is not None
        if checks.holder_province is not None and duplicate:
            registration.note_duplicate(
                holder_province=checks.holder_province,
                holder_student_number=checks.holder_student_number,
                meta=m,
            )
        elif checks.holder_province is not None:
            registration.refuse_duplicate(
                holder_province=checks.holder_province,
                holder_student_number=checks.holder_student_number,
                meta=m,
            )
            return [registration]
        else:
            registration.pass_dedup(meta=m)
        auth = "duplicate" if registration.duplicate_of else registration.auth_status
        number = self.issue_number(registration, auth)
        registration.assign_number(student_number=number, meta=m)
        new = [
            registration,
            StudentNumberIndex(
                student_number=number, student_id=Student.create_id(registration.id)
            ),
        ]
        if registration.auth_status == "failed":  # PRB-1: goes on with an L number
            new += self.open_problem(registration, m)
        registration.start_review(chain=chain, meta=m)
        return new

    def open_problem(self, registration: Registration, m: dict) -> list:
        """PRB-1: authentication failed; the registration goes on with its `L` number."""
        reason = registration.auth_reason or "身份认证未通过"
        side = ProblemSide(province=self.node.province, since=self.clock.now().isoformat(),
                           **registration.side())  # fmt: skip
        opened = open_single(self.node.find, side, reason, m)
        record = ProblemRecord.create_id(ProblemKind.INVALID_ID.value, side.student_number)
        registration.note_problem_record(problem_record_id=record, meta=m)
        return opened

    def issue_number(self, form: RegistrationForm | Registration, auth: str) -> str:
        """ID-3: `G` + resident ID once authenticated; `J` for document-less students whose
        dedup passed; otherwise a temporary `L` number (same rights, [003 §一.4])."""
        taken = self.node.number_taken
        if auth == "passed":
            formal = str(issue_g(parse_resident_id(form.id_number)))
            if not taken(formal):
                return formal
            # ID-3: a record whose ID number was corrected keeps its `G` number, so this
            # ID's `G` is taken; the newcomer gets a temporary number.
        region_code = self.node.get_school(form.school_code).region_code
        if self.org is None or region_code not in self.org:  # ORG-1: added regions are known
            region(region_code)  # the school's region must be a known one
        if form.id_type == DocumentType.NONE.value:
            for sequence in range(1000):
                number = str(issue_j(region_code, form.birth_date, sequence))
                if not taken(number):
                    return number
        while True:
            number = str(issue_l(region_code, form.birth_date, self._rng))
            if not taken(number):
                return number


def frozen_chain(
    form: RegistrationForm, settings: ProvinceSettings, school_type: str, org: OrgTree
) -> list[dict]:
    """SYS-1: the approval chain in force now for this form, to freeze on its registration."""
    frozen = settings.workflow().freeze(
        business_type_of(form),
        form.school_code,
        SchoolType(school_type),
        ClassCode.parse(form.class_code).stage,
        org,
    )
    return [step.model_dump(mode="json") for step in frozen.steps]


def outcome_of(summary: dict) -> dict:
    """The summary of a registration that went on; a refused one raises its reason."""
    if summary["status"] == RegistrationStatus.REFUSED and summary["dedup_status"] != "conflict":
        raise DomainError(
            f"身份认证未通过（{summary['auth_reason']}），本省规定认证不通过不予注册",
            code="auth_failed",
            field="id_number",
        )
    if summary["status"] == RegistrationStatus.REFUSED:
        holder = summary["holder_province"]
        name = PROVINCES.get(holder, holder)
        raise DedupConflict(
            f"全国查重未通过：该学生已在{name}（{holder}）注册学籍，本次注册已由系统关闭",
            holder_province=holder,
            registration_id=summary["id"],
        )
    return summary
