"""The hub's eventsourcing Application: the provinces' event streams, persistence, getters.

It is an `EventSourcedProjection`: each province event is applied with its tracking
record (`prov_<code>`, the stream sequence) in the same transaction as the hub's own new
events, so a redelivery is recognised and nothing is applied twice (DESIGN §5). The use
cases (identity claims, cases, the calendar) are the async services of `identities.py`,
`cases.py` and `calendar.py`; they run their writes on the hub's writer and save here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import singledispatchmethod
from typing import Literal
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProcessingEvent
from eventsourcing.persistence import JSONTranscoder, Tracking
from eventsourcing.projection import EventSourcedProjection
from eventsourcing.utils import get_topic

from contracts.calendar import Entered
from contracts.errors import ContractError, DomainError, NotFound
from contracts.events import (
    IdentityReleased,
    NoticeSetAside,
    ProblemSideReported,
    StudentDeleted,
    StudentKeyDataChanged,
    StudentRegistered,
    StudentRenumbered,
    StudentTransferredIn,
    StudentTransferredOut,
    decode_event,
)
from contracts.ids import DocumentType
from contracts.meta import CommandMeta
from contracts.person import Person
from contracts.problems import ProblemAction, ProblemGroup, ProblemKind, ProblemSide, SideState
from hub.case_board import CaseBoard, case_view
from hub.domain.calendar import NationalCalendar
from hub.domain.case import CrossProvinceCase
from hub.domain.identity import (
    DeadLetters,
    NationalIdentity,
    RejectedMessage,
    StudentNumberEntry,
)
from hub.domain.problem import CrossProvinceProblem, ProblemPair
from xueji.chain import seen
from xueji.faults import fault_point
from xueji.store import DateAsISO
from xueji.timetravel import state_as_of

Outcome = Literal["applied", "duplicate", "gap", "rejected", "stale"]


#: Every event type of a case: what the board catches up on (`catch_up_board`).
CASE_TOPICS = [
    get_topic(v)
    for v in vars(CrossProvinceCase).values()
    if isinstance(v, type) and issubclass(v, CrossProvinceCase.Event)
]
#: Cases put in one transaction when the board is rebuilt or caught up.
_BOARD_BATCH = 200


@dataclass(frozen=True)
class Rejection:
    """A province message that could not be accepted, to be recorded in its place."""

    province: str
    sequence: int
    subject: str
    error: ContractError | DomainError  # its code, field and message are recorded
    payload: bytes


class NationalHub(EventSourcedProjection[UUID]):
    name = "hub"
    #: SYS-2: the years the ministry entered, in memory: every working-day computation of the
    #: hub receives it (`calendar.py` keeps it current).
    calendar_years: Entered
    #: The cases' pending/tracking/monitoring read model: tables in the hub's own database
    #: (`case_board.py`), put after each save and caught up from its position at start.
    board: CaseBoard

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        self._touched: list[CrossProvinceCase] = []
        self._epochs: dict[str, int] = {}  # BUS-6: per province, see `epoch`
        self.load_calendar()  # SYS-2: before any deadline is computed
        self.board = CaseBoard(
            getattr(self.recorder, "datastore", None),  # none in unit tests' in-memory store
            self.recorder.max_notification_id,
            getattr(self.recorder, "schema_name", None),
        )
        self.catch_up_board()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # --- province streams ------------------------------------------------------------------

    def apply_province_message(
        self, province: str, sequence: int, subject: str, data: bytes, epoch: int = 0
    ) -> Outcome:
        """Applies message `sequence` of stream `PROV_<province>` exactly once, in order.

        `epoch` is the one the province published it in (`contracts.streams`): after a repair
        (BUS-6) the hub follows the repaired stream from its start in the new epoch, skipping
        (`stale`) what was published before it, which the province publishes again."""
        leader = self.leader(province)
        tracked = self.recorder.max_tracking_id(leader)
        if tracked is not None and sequence <= tracked:
            return "duplicate"
        if tracked is not None and sequence != tracked + 1:
            return "gap"
        tracking = Tracking(application_name=leader, notification_id=sequence)
        if epoch < self.epoch(province):
            self.recorder.insert_tracking(tracking)
            return "stale"
        try:
            message = decode_event(data)
            if message.source.province != province:
                raise ContractError(
                    "source.province",
                    "forged_province",
                    f"消息声称来自 {message.source.province}，实际来自 {province}",
                )
        except ContractError as error:
            self.process_event(Rejection(province, sequence, subject, error, data), tracking)
            return "rejected"
        self._touched = []
        # AUD-4: the province's chain head is recorded with the tracking record.
        source = message.source
        try:
            self.process_event(message, seen(tracking, source.notification_id, source.chain_hash))
        except DomainError as error:  # BUS-6: its own rules refuse it; retrying cannot help
            self._touched = []
            self.process_event(Rejection(province, sequence, subject, error, data), tracking)
            return "rejected"
        fault_point("hub.applied." + subject.split(".", 3)[-1])  # e.g. student.transferred_out
        for case in self._touched:  # committed: the read model may show it now
            self.board.put(case)
        return "applied"

    def give_up(self, province: str, sequence: int, subject: str, data: bytes,
                reason: str) -> Outcome:  # fmt: skip
        """BUS-6: message `sequence` failed every try: recorded as a dead letter in its place,
        so the messages behind it are applied (unless it was applied meanwhile)."""
        tracked = self.recorder.max_tracking_id(self.leader(province))
        if tracked is not None and sequence <= tracked:
            return "duplicate"
        error = DomainError(f"重试多次仍无法处理：{reason}", code="gave_up", field="message")
        tracking = Tracking(application_name=self.leader(province), notification_id=sequence)
        self.process_event(Rejection(province, sequence, subject, error, data), tracking)
        return "rejected"

    def dead_letters(self) -> dict:
        """BUS-6 for `/healthz` and the console: counts per province and the latest ones."""
        found = self.find(DeadLetters.create_id())
        return found.view() if isinstance(found, DeadLetters) else DeadLetters.empty()

    def find(self, aggregate_id: UUID) -> object | None:
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def position(self, province: str) -> int:
        """How far the hub applied the province's stream (in its present epoch)."""
        return self.recorder.max_tracking_id(self.leader(province)) or 0

    def epoch(self, province: str) -> int:
        """BUS-6: how many times the province's stream was repaired (0: never); read once,
        kept by `begin_epoch` (on the writer thread, as every write)."""
        if province not in self._epochs:
            found = self.recorder.max_tracking_id(f"epoch_prov_{province}") or 0
            self._epochs[province] = found
        return self._epochs[province]

    def leader(self, province: str) -> str:
        """Where the hub tracks its position in the province's stream: one per epoch (the
        repaired stream numbers its messages from 1 again)."""
        epoch = self.epoch(province)
        return f"prov_{province}" if epoch == 0 else f"prov_{province}_e{epoch}"

    def begin_epoch(self, province: str, epoch: int) -> None:
        """BUS-6 repair: the province republishes its log as `epoch`; follow it from its start."""
        if epoch > self.epoch(province):
            self.recorder.insert_tracking(Tracking(f"epoch_prov_{province}", epoch))
            self._epochs[province] = epoch

    # --- the national identity index (REG-5, QRY-4) ------------------------------------------

    def identity(self, key: str) -> NationalIdentity | None:
        try:
            return self.repository.get(NationalIdentity.create_id(key))
        except AggregateNotFoundError:
            return None

    def by_number(self, student_number: str) -> NationalIdentity | None:
        entry = self.number_entry(student_number)
        return None if entry is None else self.repository.get(entry.identity_id)

    def number_entry(self, student_number: str) -> StudentNumberEntry | None:
        try:
            return self.repository.get(StudentNumberEntry.create_id(student_number))
        except AggregateNotFoundError:
            return None

    def national_student(
        self, name: str, id_number: str | None = None, student_number: str | None = None
    ) -> dict | None:
        """QRY-4: name plus ID number or national student number; None when no match."""
        identity = None
        if id_number:
            identity = self.identity(Person(DocumentType.RESIDENT_ID, name, id_number).dedup_key())
        elif student_number:
            identity = self.by_number(student_number)
        if identity is None or identity.name != name:
            return None
        return identity.view()

    # --- cross-province cases and their read model ---------------------------------------------

    def case(self, case_id: UUID) -> CrossProvinceCase:
        try:
            return self.repository.get(case_id)
        except AggregateNotFoundError:
            raise NotFound("没有找到该申请", field="case_id") from None

    def case_by_command(self, command_id: str) -> dict | None:
        """A repeated initiation answers the case it created (BUS-2)."""
        return self.board.get(CrossProvinceCase.create_id(command_id))

    def case_as_of(self, case_id: UUID, at: datetime) -> dict:
        """AUD-2: the case as it was at `at` (naive = Beijing time, as for students)."""
        past = state_as_of(self, case_id, at, moment=_business_time)
        if past is None:
            raise NotFound("该时间点申请尚未发起", field="as_of")
        return case_view(past)

    def save_case(self, case: CrossProvinceCase, *others: object) -> dict:
        """Saves the case (and what changed with it), then shows it on the board."""
        self.save(case, *others)
        self.board.put(case)
        return case_view(case)

    def rebuild_board(self) -> int:
        """AUD-3: the board emptied and every case put again from the log; how many."""
        self.board.clear()
        initiated = [get_topic(CrossProvinceCase.Initiated)]  # one per case: none twice
        return self._put_cases(after=0, topics=initiated, seen=None)

    def catch_up_board(self) -> int:
        """At start: the cases changed after the board's position put again (after a crash
        between a save and its put); a board that has seen nothing is rebuilt. How many."""
        after = self.board.position()
        if after == 0:
            return self.rebuild_board()
        return self._put_cases(after=after, topics=CASE_TOPICS, seen=set())

    def _put_cases(self, after: int, topics: list[str], seen: set[UUID] | None) -> int:
        """Puts every case with events of `topics` after notification `after`, a page of
        the log at a time (each once, if `seen` is given); the position moves to the log's
        end once all are on, so a crash halfway leaves it where it was."""
        count, start = 0, after + 1
        while page := self.recorder.select_notifications(start=start, limit=1000, topics=topics):
            ids = [i for i in dict.fromkeys(n.originator_id for n in page) if i not in (seen or ())]
            if seen is not None:
                seen.update(ids)
            for i in range(0, len(ids), _BOARD_BATCH):
                cases = [self.case(c) for c in ids[i : i + _BOARD_BATCH]]
                self.board.put_all(cases, advance=False)
            count, start = count + len(ids), page[-1].id + 1
        self.board.put_all([], advance=True)
        return count

    # --- the national calendar (SYS-2) ----------------------------------------------------------

    def national_calendar(self) -> NationalCalendar:
        try:
            return self.repository.get(NationalCalendar.create_id())
        except AggregateNotFoundError:
            return NationalCalendar()

    def load_calendar(self) -> None:
        self.calendar_years = self.national_calendar().entered()

    @singledispatchmethod
    def policy(self, domain_event: object, processing_event: ProcessingEvent) -> None:
        """Integration events the hub does not need are tracked and otherwise ignored."""

    @policy.register(StudentRegistered)
    def _(self, event: StudentRegistered, processing_event: ProcessingEvent) -> None:
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        identity = self.identity(event.dedup_key)
        if identity is None:  # registered while instant dedup was off: index it now
            identity = NationalIdentity(
                dedup_key=event.dedup_key,
                province=event.source.province,
                registration_id=str(event.registration_id),
                **Person.of(event).as_dict(),
                school_code=event.school_code,
                meta=meta,
            )
        if identity.student_number == event.student_number:
            return  # the same event published again after the stream's duplicate window
        at = event.source.occurred_at.isoformat()
        if identity.is_held_by(str(event.registration_id)):
            identity.enroll(
                province=event.source.province,
                student_number=event.student_number,
                school_code=event.school_code,
                class_code=event.class_code,
                name=event.name,
                meta=meta,
                at=at,
            )
            entry = StudentNumberEntry(student_number=event.student_number, identity_id=identity.id)
            processing_event.collect_events(identity, entry)
        elif self._settled(identity, event.student_number):
            return  # republished long after its group ended with a deletion: nothing new
        elif identity.duplicate(event.student_number) is None:
            identity.observe_duplicate(
                province=event.source.province,
                student_number=event.student_number,
                registration_id=str(event.registration_id),
                meta=meta,
                school_code=event.school_code,
                class_code=event.class_code,
            )
            processing_event.collect_events(identity)
            newcomer = _side(event, at)
            self._open_cross_problem(identity, newcomer, processing_event, meta)
        else:  # republished: the group (if any) is open already; nothing new
            self._open_cross_problem(identity, _side(event, at), processing_event, meta)

    @policy.register(StudentDeleted)
    def _(self, event: StudentDeleted, processing_event: ProcessingEvent) -> None:
        identity = self.identity(event.dedup_key)
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        if identity is None:
            return
        if identity.student_number != event.student_number:
            if identity.duplicate(event.student_number) is not None:  # PRB-3: a loser went
                identity.drop_duplicate(student_number=event.student_number, why="deleted",
                                        meta=meta)  # fmt: skip
                processing_event.collect_events(identity)
            return  # not the record that holds the identity: nothing to free
        survivor = self._survivor(identity, event.student_number)
        if survivor is not None:  # PRB-3: one identity in the end, held by the living record
            identity.hand_over(student_number=survivor, deleted=event.student_number, meta=meta)
            entry = self.number_entry(survivor)
            if entry is None:
                entry = StudentNumberEntry(student_number=survivor, identity_id=identity.id)
            elif entry.identity_id != identity.id:
                entry.repoint(identity_id=identity.id)
            processing_event.collect_events(identity, entry)
            return
        identity.release(
            province=event.source.province,
            student_number=event.student_number,
            meta=meta,
        )
        processing_event.collect_events(identity)

    @policy.register(StudentKeyDataChanged)
    def _(self, event: StudentKeyDataChanged, processing_event: ProcessingEvent) -> None:
        """KDC-3: the identity follows the record. Same key: its fields are corrected. New
        key: the new identity (claimed when the change was applied) takes the student and
        the number, and the old one is released — both in this one transaction."""
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        person = {"name": event.name, "sex": event.sex, "birth_date": event.birth_date}
        person |= {"id_type": event.id_type, "id_number": event.id_number}
        old = self.identity(event.old_dedup_key)
        holds = old is not None and old.student_number == event.student_number
        if (event.dedup_key != event.old_dedup_key and old is not None and not holds
                and old.duplicate(event.student_number) is not None):  # fmt: skip
            old.drop_duplicate(student_number=event.student_number, why="changed", meta=meta)
            processing_event.collect_events(old)  # PRB-3: changed away, no longer evidence
        if event.dedup_key == event.old_dedup_key:
            if holds:
                old.correct(**person, meta=meta)
                processing_event.collect_events(old)
            return
        new = self._moved_identity(event, person, meta)
        if new is None:
            return  # applied already (redelivered)
        if new.student_number != event.student_number:  # held by another record
            processing_event.collect_events(new)  # PRB-1 evidence; the old key stays held
            newcomer = _side(event, event.source.occurred_at.isoformat())
            self._open_cross_problem(new, newcomer, processing_event, meta)
            return
        changed: list = [new, self._repointed_number(event.student_number, new.id)]
        if holds:
            old.release(province=event.source.province, student_number=event.student_number,
                        meta=meta)  # fmt: skip
            changed.append(old)
        processing_event.collect_events(*changed)

    def _moved_identity(
        self, event: StudentKeyDataChanged, person: dict, meta: dict
    ) -> NationalIdentity | None:
        """The identity under the new key, enrolled for the student if its claim is the
        record's; None if that happened already."""
        province, registration_id = event.source.province, str(event.registration_id)
        new = self.identity(event.dedup_key)
        if new is not None and new.student_number == event.student_number:
            return None
        if new is None:  # claimed while the hub was unreachable, or instant dedup was off
            new = NationalIdentity(
                dedup_key=event.dedup_key,
                province=province,
                registration_id=registration_id,
                school_code=event.school_code,
                meta=meta,
                **person,
            )
        elif new.status == "released":
            new.reclaim(
                province=province,
                registration_id=registration_id,
                school_code=event.school_code,
                name=event.name,
                meta=meta,
            )
            new.correct(**person, meta=meta)
        elif new.is_held_by(registration_id):
            new.correct(**person, meta=meta)
        if not new.is_held_by(registration_id):
            if new.duplicate(event.student_number) is None:
                new.observe_duplicate(
                    province=province,
                    student_number=event.student_number,
                    registration_id=registration_id,
                    meta=meta,
                    school_code=event.school_code,
                    class_code=event.class_code,
                )
            return new
        new.enroll(
            province=province,
            student_number=event.student_number,
            school_code=event.school_code,
            class_code=event.class_code,
            name=event.name,
            meta=meta,
            at=event.source.occurred_at.isoformat(),
        )
        return new

    def _repointed_number(self, student_number: str, identity_id: UUID) -> StudentNumberEntry:
        entry = self.number_entry(student_number)
        if entry is None:
            return StudentNumberEntry(student_number=student_number, identity_id=identity_id)
        entry.repoint(identity_id=identity_id)
        return entry

    # --- cross-province problem groups (PRB-1…PRB-4) ----------------------------------------

    def problem(self, group_id: UUID) -> CrossProvinceProblem:
        found = self.find(group_id)
        if not isinstance(found, CrossProvinceProblem):
            raise NotFound("没有找到该问题学籍", field="group_id")
        return found

    def problem_ids(self) -> list[UUID]:
        return [
            n.originator_id
            for n in self.recorder.select_notifications(
                start=1, limit=10**9, topics=[get_topic(CrossProvinceProblem.Opened)]
            )
        ]

    def _open_cross_problem(
        self,
        identity: NationalIdentity,
        newcomer: ProblemSide,
        processing_event: ProcessingEvent,
        meta: dict,
    ) -> None:
        """PRB-1: a record whose identity a record of ANOTHER province holds opens a group of
        the two on the hub (a duplicate within one province is its node's business). Never
        two open groups for one pair: a redelivery finds the open one."""
        holder_number = identity.student_number
        if identity.status != "enrolled" or holder_number is None:
            return  # no record holds it yet: nothing to put side by side
        if identity.province == newcomer.province or holder_number == newcomer.student_number:
            return
        numbers = [holder_number, newcomer.student_number]
        pair = self.find(ProblemPair.create_id(numbers))
        if isinstance(pair, ProblemPair):
            for group_id in pair.groups:
                if not self.problem(UUID(group_id)).problem.is_closed:
                    return
        else:
            pair = ProblemPair(student_numbers=numbers)
        kind = ProblemKind.DUPLICATE_ID if newcomer.id_type == "1" else ProblemKind.DUPLICATE_PERSON
        holder = ProblemSide(
            province=identity.province,
            student_number=holder_number,
            school_code=identity.school_code,
            class_code=identity.class_code,
            **Person.of(identity).as_dict(),
            since=getattr(identity, "since", "") or "",
        )
        group = ProblemGroup.open(kind, [holder, newcomer], at=newcomer.since)
        problem = CrossProvinceProblem(group=group.as_dict(), meta=meta)
        pair.add(group_id=str(problem.id))
        processing_event.collect_events(problem, pair)

    def _settled(self, identity: NationalIdentity, student_number: str) -> bool:
        """A group of this record and the holder ended with one of them deleted (a deleted
        number never comes back): a republished registration must not reopen it."""
        if identity.student_number is None:
            return False
        pair = self.find(ProblemPair.create_id([identity.student_number, student_number]))
        for group_id in pair.groups if isinstance(pair, ProblemPair) else ():
            group = self.problem(UUID(group_id)).problem
            if any(s.state is SideState.DELETED for s in group.sides):
                return True
        return False

    def _survivor(self, identity: NationalIdentity, deleted: str) -> str | None:
        """PRB-3: the record that keeps the identity when its holder is deleted — a living
        duplicate, the arbitration's winner first; None when none lives (released)."""
        living = [n for d in identity.duplicates if (n := d["student_number"]) != deleted]
        if not living:
            return None
        for number in living:
            pair = self.find(ProblemPair.create_id([deleted, number]))
            for group_id in pair.groups if isinstance(pair, ProblemPair) else ():
                if self.problem(UUID(group_id)).problem.winner == number:
                    return number
        return living[0]

    @policy.register(ProblemSideReported)
    def _(self, event: ProblemSideReported, processing_event: ProcessingEvent) -> None:
        """PRB-4: a province's side acted. Refused (dead-lettered, BUS-6) unless the record is
        a side of the group AND of the sending province."""
        found = self.find(event.group_id)
        if not isinstance(found, CrossProvinceProblem):
            raise DomainError("没有找到该跨省问题学籍", code="unknown_problem", field="group_id")
        group = found.problem
        province = event.source.province
        side = next((s for s in group.sides if s.student_number == event.student_number), None)
        if side is None:
            raise DomainError(f"学籍 {event.student_number} 不在该问题学籍组中",
                              code="unknown_record", field="student_number")  # fmt: skip
        if side.province != province:
            raise DomainError(f"学籍 {event.student_number} 不是 {province} 省的学籍，不能代为处理",
                              code="not_your_side", field="student_number")  # fmt: skip
        at = event.source.occurred_at.isoformat()
        if event.stage == "started":
            if side.state is SideState.ACTING and side.action is event.action:
                return  # republished
            after = group.started(event.student_number, event.action, at)
        elif event.stage == "withdrawn":
            after = group.withdrawn(event.student_number, at, why="withdrawn")
        else:
            after = group.acted(event.student_number, ProblemAction(event.action), at)
        if after == group:
            return  # applied already
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        found.change(group=after.as_dict(), transition=event.stage, meta=meta)
        processing_event.collect_events(found)

    @policy.register(StudentRenumbered)
    def _(self, event: StudentRenumbered, processing_event: ProcessingEvent) -> None:
        """ID-3: the identity the record holds takes its new number; a number entry for the
        new number is added, the old one keeps pointing at it (QRY-4 answers by either)."""
        identity = self.identity(event.dedup_key) or self.by_number(event.old_number)
        if identity is None or identity.student_number != event.old_number:
            return  # applied already, or the identity is not this record's
        identity.renumber(
            province=event.source.province,
            old_number=event.old_number,
            new_number=event.new_number,
            reason=event.reason,
            meta=CommandMeta.from_envelope(event.envelope).as_dict(),
        )
        entry = self._repointed_number(event.new_number, identity.id)
        processing_event.collect_events(identity, entry)

    @policy.register(IdentityReleased)
    def _(self, event: IdentityReleased, processing_event: ProcessingEvent) -> None:
        """REG-5/REG-9: exactly once, and only the claim this registration still holds."""
        identity = self.identity(event.dedup_key)
        registration_id = str(event.registration_id)
        if identity is None or not identity.claimed_by(event.source.province, registration_id):
            return  # never claimed, released already, moved on, or a student holds it
        identity.release_claim(
            province=event.source.province,
            registration_id=registration_id,
            reason=event.reason,
            meta=CommandMeta.from_envelope(event.envelope).as_dict(),
        )
        processing_event.collect_events(identity)

    @policy.register(StudentTransferredOut)
    def _(self, event: StudentTransferredOut, processing_event: ProcessingEvent) -> None:
        """XPT-6: the archive arrived from the out side; the hub hands it to the in side."""
        case = self.case(event.case_id)
        if case.archive is not None or case.out_side["province"] != event.source.province:
            return  # a repeat, or not the province that holds the record
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        case.receive_archive(archive=event.archive, at=event.source.occurred_at, meta=meta)
        processing_event.collect_events(case)
        self._touched.append(case)

    @policy.register(StudentTransferredIn)
    def _(self, event: StudentTransferredIn, processing_event: ProcessingEvent) -> None:
        """XPT-6: the student exists in the new province: the case is done, the index moves."""
        case = self.case(event.case_id)
        if case.status != "approved" or case.in_side["province"] != event.source.province:
            return
        meta = CommandMeta.from_envelope(event.envelope).as_dict()
        case.complete(at=event.source.occurred_at, meta=meta)
        identity = self.by_number(event.student_number)
        if identity is not None:
            identity.transfer_to(
                province=event.source.province,
                school_code=event.school_code,
                class_code=event.class_code,
                case_id=str(case.id),
                meta=meta,
            )
            processing_event.collect_events(identity)
        processing_event.collect_events(case)
        self._touched.append(case)

    @policy.register(NoticeSetAside)
    def _(self, event: NoticeSetAside, processing_event: ProcessingEvent) -> None:
        """BUS-4: a province set one of the hub's notices aside; listed with the dead letters
        (`set_aside:<code>`, the notice's subject) for the ministry to follow up."""
        index = self.find(DeadLetters.create_id())
        index = index if isinstance(index, DeadLetters) else DeadLetters()
        what = f"{event.notice or '通知'}" + (f"（申请 {event.case_id}）" if event.case_id else "")
        index.add(province=event.source.province, sequence=event.source.notification_id,
                  subject=event.subject, code=f"set_aside:{event.code}",
                  message=f"省级节点未能处理{what}，已另存待查：{event.message}")  # fmt: skip
        processing_event.collect_events(index)

    @policy.register(Rejection)
    def _(self, rejection: Rejection, processing_event: ProcessingEvent) -> None:
        error = rejection.error
        recorded = RejectedMessage(
            province=rejection.province,
            sequence=rejection.sequence,
            subject=rejection.subject,
            code=error.code,
            field=error.field or "message",
            message=error.message,
            payload=rejection.payload[:4096].decode(errors="replace"),
        )
        index = self.find(DeadLetters.create_id())
        index = index if isinstance(index, DeadLetters) else DeadLetters()
        index.add(province=rejection.province, sequence=rejection.sequence,
                  subject=rejection.subject, code=error.code, message=error.message)  # fmt: skip
        processing_event.collect_events(recorded, index)


def _side(event: StudentRegistered | StudentKeyDataChanged, since: str) -> ProblemSide:
    """The newcomer's side of a group, from its province's event (PRB-4: no family)."""
    return ProblemSide(
        province=event.source.province,
        student_number=event.student_number,
        school_code=event.school_code,
        class_code=event.class_code,
        **Person.of(event).as_dict(),
        since=since,
    )


def _business_time(domain_event: object) -> datetime:
    """Case events carry the hub clock's time (`at`): the time the case itself shows."""
    return getattr(domain_event, "at", None) or domain_event.timestamp
