"""GRD-3 升级 as a system job of the node: run, resume, report progress (`domain/promotion.py`).

The node keeps one `SchoolYearLedger`: the school year its records are in. When the
province's promotion day has passed (`KeyDates.school_year`), the next year's `Promotion`
starts — in the same transaction as the ledger's turn — and walks the records in batches.
The node's sweep runs it by itself; `POST /api/v1/promotions` runs or resumes it by hand.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, project_aggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from sqlalchemy import select

from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.promotion import (
    Promotion,
    SchoolYearLedger,
    may_move,
    moves_up,
    new_grade_one_classes,
)
from province_node.domain.school import School
from province_node.domain.student import Student
from xueji.clock import Clock
from xueji.faults import fault_point
from xueji.store import Writer

#: Records are created by these events (a registration, an arrival from another province).
_RECORD_TOPICS = (get_topic(Student.Registered), get_topic(Student.TransferredIn))


class PromotionService:
    def __init__(self, node: ProvinceNode, writer: Writer, clock: Clock, batch: int = 500) -> None:
        self.node, self.writer, self.clock, self.batch = node, writer, clock, batch

    def in_force(self) -> int:
        """The school year in force today, by this province's promotion day."""
        return self.node.settings().key_dates().school_year(self.clock.today())

    async def open_ledger(self) -> int:
        """At the node's first start its records are in the year in force (nothing moves)."""
        year = self.in_force()
        return await self.writer(self._ledger_or_open, year)

    def _ledger_or_open(self, year: int) -> int:
        ledger = self._ledger()
        if ledger is None:
            ledger = SchoolYearLedger(province=self.node.province, school_year=year)
            self.node.save(ledger)
        return ledger.school_year

    async def run(self, meta: CommandMeta) -> dict:
        """Runs (or resumes) every promotion due, batch by batch; answers the last one's
        progress. A repeat when nothing is due changes nothing (idempotent)."""
        await self.open_ledger()
        year = self.in_force()
        state = await self.writer(self._start_due, year, meta)
        while state is not None and state["status"] == Promotion.RUNNING:
            state = await self.writer(self._step, state["school_year"], meta)
            if state["status"] == Promotion.FINISHED:
                state = await self.writer(self._start_due, year, meta) or state
        return state or await self.progress()

    async def progress(self) -> dict:
        def read() -> dict:
            ledger = self._ledger()
            current = ledger.school_year if ledger else self.in_force()
            found = self._promotion(current)
            if found is not None:
                return found.view()
            return {"school_year": current, "status": "not_run", "promoted": 0, "records": 0,
                    "stayed": 0, "classes_opened": 0, "progress": 0.0}  # fmt: skip

        return await self.writer(read)

    # --- on the writer -----------------------------------------------------------------------

    def _start_due(self, year: int, meta: CommandMeta) -> dict | None:
        """The running promotion, or the next year's started when it is due; None if none."""
        ledger = self._ledger()
        running = self._promotion(ledger.school_year)
        if running is not None and running.status == Promotion.RUNNING:
            return running.view()
        if ledger.school_year >= year:
            return None
        target = ledger.school_year + 1
        top = self.node.recorder.max_notification_id() or 0
        promotion = Promotion(
            province=self.node.province,
            school_year=target,
            top=top,
            at=self.clock.now().isoformat(),
            meta=meta.as_dict(),
        )
        ledger.turn(school_year=target, meta=meta.as_dict())
        schools = self._open_classes(target, meta)
        promotion.classes_were_opened(count=sum(n for _, n in schools))
        self.node.save(promotion, ledger, *[school for school, _ in schools])
        return promotion.view()

    def _open_classes(self, school_year: int, meta: CommandMeta) -> list[tuple[School, int]]:
        opened = []
        for code in self.node.school_codes():
            school = self.node.get_school(code)
            if school.state == "revoked":  # ORG-2: a revoked school opens nothing [004 Q14]
                continue
            classes = new_grade_one_classes(school.classes, school_year)
            for klass in classes:
                school.open_class(meta=meta.as_dict(), **klass)
            if classes:
                opened.append((school, len(classes)))
        return opened

    def _step(self, school_year: int, meta: CommandMeta) -> dict:
        """One batch: its students moved up and the job's new position, in one transaction."""
        promotion = self._promotion(school_year)
        if promotion is None or promotion.status == Promotion.FINISHED:
            return promotion.view() if promotion else {"status": Promotion.FINISHED}
        found = self.node.recorder.select_notifications(
            start=promotion.position + 1, limit=self.batch, stop=promotion.top,
            topics=_RECORD_TOPICS,
        )  # fmt: skip
        if not found:
            promotion.finish(at=self.clock.now().isoformat())
            self.node.save(promotion)
            return promotion.view()
        systems: dict[str, str] = {}
        moved = []
        for student in self._students([n.originator_id for n in found]):
            if not may_move(student.status, student.promoted_to, school_year):
                continue
            if student.school_code not in systems:
                systems[student.school_code] = self.node.get_school(
                    student.school_code
                ).school_system
            grades = moves_up(student.class_code, systems[student.school_code], school_year)
            if grades is None:
                continue
            student.promote(school_year=school_year, grade_before=grades[0],
                            grade_after=grades[1], meta=meta.as_dict())  # fmt: skip
            moved.append(student)
        promotion.progress(position=found[-1].id, records=len(found), promoted=len(moved))
        fault_point("node.promotion.before_batch_commit")
        self.node.save(promotion, *moved)
        fault_point("node.promotion.after_batch_commit")
        return promotion.view()

    def _students(self, ids: list[UUID]) -> list[Student]:
        """A batch of records rebuilt from one read of their events (one query, not one per
        record: the job's cost was the per-record read, docs/benchmarks.md)."""
        table = self.node.recorder.events_record_cls.__table__
        columns = (table.c.originator_id, table.c.originator_version, table.c.topic)
        statement = (
            select(*columns, table.c.state)
            .where(table.c.originator_id.in_(ids))
            .order_by(table.c.originator_id, table.c.originator_version)
        )
        with self.node.recorder.datastore.engine.connect() as connection:
            rows = connection.execute(statement).all()
        events: dict[UUID, list] = {}
        for row in rows:
            stored = StoredEvent(row[0], row[1], row[2], row[3])
            events.setdefault(UUID(str(row[0])), []).append(
                self.node.mapper.to_domain_event(stored)
            )
        return [project_aggregate(None, events[i]) for i in ids if i in events]

    def _ledger(self) -> SchoolYearLedger | None:
        try:
            return self.node.repository.get(SchoolYearLedger.create_id(self.node.province))
        except AggregateNotFoundError:
            return None

    def _promotion(self, school_year: int) -> Promotion | None:
        try:
            return self.node.repository.get(Promotion.create_id(self.node.province, school_year))
        except AggregateNotFoundError:
            return None
