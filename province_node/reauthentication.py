"""重新认证 use cases (ID-3, REG-5, [003 §一.1]): renumbering after an authentication, and
the province's yearly re-authentication run in the background (`domain/reauthentication.py`).

`Renumbering` is the one place a record changes its number: after a key data change whose
authentication passed (`key_data_changes.py`, in the approval's transaction) and for each
record the yearly run authenticates. `ReauthenticationService` starts the run (spring
semester only, one at a time), walks it chunk by chunk — the registry asked outside the
writer, each chunk's effects and the run's position stored in one transaction — and resumes
a run left unfinished when the node starts again.
"""

from __future__ import annotations

import asyncio
import random
from uuid import UUID

from sqlalchemy import select

from contracts.codes import StudentStatus
from contracts.errors import NotFound
from contracts.ids import DocumentType, issue_g, issue_l, parse_resident_id
from contracts.meta import CommandMeta
from contracts.problems import ProblemAction as Action
from contracts.problems import ProblemKind
from projections.service import Views
from province_node.application import ProvinceNode
from province_node.domain.problem import Found, ProblemRecord, move_side, unique
from province_node.domain.reauthentication import (
    Reauthentication,
    ReauthenticationBoard,
    check_spring,
    number_kind_after,
    renumber_reason,
)
from province_node.domain.student import Student, StudentNumberIndex
from province_node.registry_client import RegistryClient, authentication_of
from xueji.bus import Bus
from xueji.clock import Clock
from xueji.logs import get_logger
from xueji.outbox import OutboxRelay
from xueji.store import Writer

log = get_logger("province_node.reauthentication")

#: Records whose number no longer matters here: removed, or living in another province now.
_GONE = (StudentStatus.DELETED.value, StudentStatus.TRANSFERRED_OUT.value)
CLOSED_BY_AUTHENTICATION = "身份认证通过，问题学籍自动关闭"


class Renumbering:
    """ID-3 / PRB-5 on a record whose identity was just authenticated (or changed)."""

    def __init__(self, node: ProvinceNode) -> None:
        self.node = node
        self._rng = random.SystemRandom()

    def after_authentication(self, student: Student, authentication: str | None, at: str,
                             meta: dict, found: Found | None = None) -> list:  # fmt: skip
        """What the outcome does to the record: a passing authentication closes its open
        `invalid_id` problem record and turns an `L`/`J` into its `G`; a `G` whose document
        is now HK/foreign gets a new `L`. The student is changed in place; the other
        aggregates to save with it are returned."""
        changed: list = []
        if authentication == "passed":
            found = found or Found(self.node.find)
            changed += self._end_invalid_id(found, student.student_number, at, meta)
        kind = number_kind_after(student.student_number, student.id_type, authentication)
        if kind is None:
            return changed
        new = self._new_number(student, kind)
        if new is None:
            return changed
        old = student.student_number
        student.renumber(old_number=old, new_number=new, reason=renumber_reason(old, kind),
                         auth_status="passed" if kind == "G" else None, at=at,
                         meta=meta)  # fmt: skip
        index = self.node.find(StudentNumberIndex.create_id(new))
        if index is None:  # the old number's index stays: it still finds the record
            changed.append(StudentNumberIndex(student_number=new, student_id=student.id))
        return changed

    def _end_invalid_id(self, found: Found, number: str, at: str, meta: dict) -> list:
        """PRB-1: the record's invalid-ID problem is over — its group moves on as after its
        change (the group closes, the record's lock with it)."""
        record = found(ProblemRecord.create_id(ProblemKind.INVALID_ID.value, number))
        if record is None or record.status != "open":
            return []
        problem = found(UUID(record.problem_id)) if record.problem_id else None
        if problem is not None and problem.group.holds(number):
            return move_side(found, problem, number, Action.CHANGE, "acted", self.node.province,
                             at, meta, why=CLOSED_BY_AUTHENTICATION)  # fmt: skip
        record.close(reason=CLOSED_BY_AUTHENTICATION, meta=meta)
        return [record]

    def _new_number(self, student: Student, kind: str) -> str | None:
        if kind == "G":
            number = str(issue_g(parse_resident_id(student.id_number or "")))
            index = self.node.find(StudentNumberIndex.create_id(number))
            if index is not None and index.student_id != student.id:
                return None  # ID-3: another record kept this `G` when its ID changed
            return number
        region_code = self.node.get_school(student.school_code).region_code
        while True:
            number = str(issue_l(region_code, student.birth_date, self._rng))
            if not self.node.number_taken(number):
                return number


class ReauthenticationService:
    """The yearly run: start, progress, resume (one at a time per province)."""

    def __init__(self, node: ProvinceNode, writer: Writer, views: Views,
                 registry: RegistryClient, bus: Bus, relay: OutboxRelay, clock: Clock,
                 background: list, chunk: int = 100, pause: float = 0.0) -> None:  # fmt: skip
        self.node, self.writer, self.views = node, writer, views
        self.registry, self.bus, self.relay, self.clock = registry, bus, relay, clock
        self.background = background  # stopped with the node
        #: records per chunk, and the pause between chunks (spares the registry's load)
        self.chunk, self.pause = chunk, pause
        self.renumbering = Renumbering(node)
        self._active: dict[str, asyncio.Task] = {}

    # --- commands and queries ------------------------------------------------------------------

    async def start(self, meta: CommandMeta) -> dict:
        """Starts a run over the province's `L` records with a resident ID; while one runs,
        answers it (a second start starts nothing). A repeated command answers its run."""
        known = await self.writer(self._find, Reauthentication.create_id(meta.command_id))
        if known is not None:
            return known.view()
        term = check_spring(self.clock.today())
        await self.views.caught_up(5.0)  # read-your-writes: the records stored until now
        table = self.views.view("students").table("students")
        ids = await self.views.read(_candidates, table)
        view = await self.writer(self._start, ids, term, meta)
        self._launch(view["id"])
        return view

    async def run(self, run_id: UUID) -> dict:
        found = await self.writer(self._find, run_id)
        if found is None:
            raise NotFound(f"重新认证 {run_id} 不存在", field="id")
        return found.view()

    async def runs(self) -> list[dict]:
        """Every run of the province, the newest first."""

        def read() -> list[dict]:
            board = self._board()
            if board is None:
                return []
            return [self.node.repository.get(UUID(i)).view() for i in reversed(board.runs)]

        return await self.writer(read)

    async def resume(self) -> None:
        """At the node's start: a run left unfinished (the node stopped) goes on."""
        board = await self.writer(self._board)
        if board is not None and board.running is not None:
            log.info("reauthentication_resumed", run=board.running)
            self._launch(board.running)

    # --- the background walk ---------------------------------------------------------------------

    def _launch(self, run_id: str) -> None:
        task = self._active.get(run_id)
        if task is not None and not task.done():
            return
        task = asyncio.create_task(self._walk(UUID(run_id)), name=f"reauthentication-{run_id}")
        self._active[run_id] = task
        self.background.append(task)

    async def _walk(self, run_id: UUID) -> None:
        while True:
            chunk = await self.writer(self._next_chunk, run_id)
            if chunk is None:
                return
            position, items = chunk
            asked = [i for i in items if i.get("id_number")]
            answers = []
            if asked:
                while not self.bus.connected:  # a node starting again: wait for NATS
                    await asyncio.sleep(0.1)
                meta = CommandMeta.new("system", self.node.province, "sysadmin")
                queries = [(i["id_number"], i["name"], meta) for i in asked]
                answers = await self.registry.authenticate_many(queries, meta)
            outcomes = {i["id"]: authentication_of(a)[0] if a is not None else None
                        for i, a in zip(asked, answers, strict=True)}  # fmt: skip
            view = await self.writer(self._apply, run_id, position, items, outcomes)
            self.relay.wake()
            if view["status"] == Reauthentication.FINISHED:
                log.info("reauthentication_finished", **view)
                return
            if self.pause:
                await asyncio.sleep(self.pause)

    # --- on the writer ---------------------------------------------------------------------------

    def _find(self, run_id: UUID) -> Reauthentication | None:
        found = self.node.find(run_id)
        return found if isinstance(found, Reauthentication) else None

    def _board(self) -> ReauthenticationBoard | None:
        found = self.node.find(ReauthenticationBoard.create_id(self.node.province))
        return found if isinstance(found, ReauthenticationBoard) else None

    def _start(self, ids: list[str], term: str, meta: CommandMeta) -> dict:
        board = self._board() or ReauthenticationBoard(province=self.node.province)
        if board.running is not None:
            return self.node.repository.get(UUID(board.running)).view()
        run = Reauthentication(
            command_id=meta.command_id,
            province=self.node.province,
            term=term,
            student_ids=ids,
            at=self.clock.now().isoformat(),
            meta=meta.as_dict(),
        )
        board.start(run_id=str(run.id))
        self.node.save(run, board)
        return run.view()

    def _next_chunk(self, run_id: UUID) -> tuple[int, list[dict]] | None:
        """The next chunk of the run, each record with what to ask the registry (nothing for
        a record that is no longer a candidate); None once the run is finished."""
        run = self._find(run_id)
        if run is None or run.status == Reauthentication.FINISHED:
            return None
        items = []
        for student_id in run.next_chunk(self.chunk):
            student = self.node.find(UUID(student_id))
            item = {"id": student_id}
            if _is_candidate(student):
                item |= {"id_number": student.id_number, "name": student.name}
            items.append(item)
        return run.position, items

    def _apply(self, run_id: UUID, position: int, items: list[dict],
               outcomes: dict[str, str | None]) -> dict:  # fmt: skip
        """One chunk's answers: the records authenticated now renumbered `G` (their problem
        records closed), the run's counts and position — one transaction."""
        run = self._find(run_id)
        if run.status == Reauthentication.FINISHED or run.position != position:
            return run.view()  # applied already
        at = self.clock.now().isoformat()
        counts = {"upgraded": 0, "failed": 0, "unreachable": 0, "skipped": 0}
        changed: list = []
        found = Found(self.node.find)
        for item in items:
            student = self.node.find(UUID(item["id"]))
            asked = item.get("id_number")
            still = _is_candidate(student) and (student.id_number, student.name) == (
                asked,
                item.get("name"),
            )
            if not asked or not still:
                counts["skipped"] += 1
                continue
            outcome = outcomes.get(item["id"])
            if outcome is None:
                counts["unreachable"] += 1
            elif outcome != "passed":
                counts["failed"] += 1
            else:
                effects = self.renumbering.after_authentication(student, "passed", at, run.meta,
                                                                found)  # fmt: skip
                renumbered = student.student_number[0] == "G"
                counts["upgraded" if renumbered else "skipped"] += 1
                changed += [student, *effects]
        run.progress(position=position + len(items), **counts)
        if run.position >= run.total:
            run.finish(at=at)
            board = self._board()
            board.end(run_id=str(run.id))
            changed.append(board)
        self.node.save(run, *unique(changed))
        return run.view()


def _is_candidate(student: object) -> bool:
    """An `L` record with a resident ID, still this province's."""
    return (
        isinstance(student, Student)
        and student.student_number[0] == "L"
        and student.id_type == DocumentType.RESIDENT_ID.value
        and bool(student.id_number)
        and student.status not in _GONE
    )


def _candidates(connection, table) -> list[str]:
    """The `L` records with a resident ID in the students view, by number."""
    statement = (
        select(table.c.student_id)
        .where(table.c.number_kind == "L", table.c.id_type == DocumentType.RESIDENT_ID.value)
        .where(table.c.status.not_in(_GONE))
        .order_by(table.c.student_number, table.c.student_id)
    )
    return [row[0] for row in connection.execute(statement)]
