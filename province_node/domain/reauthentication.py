"""重新认证 (ID-3, REG-5, [003 §一.1]): which number a record holds after an authentication,
and the province's yearly re-authentication run.

ID-3: an `L` number becomes the `G` of its resident ID once authentication succeeds; a `J`
becomes `G` once a resident ID is added (key data change) and passes; a `G` keeps its number
when its ID number changes, but a formal `G` whose document becomes HK/Macao/Taiwan/foreign
gets a new temporary `L` number (PRB-5). Nothing else renumbers a record.

Each spring semester the province's sysadmin starts a run over every `L` record with a
resident ID: the run lists them when it starts, then walks the list in chunks — each chunk's
renumberings and the run's new position are stored in one transaction, so a node stopped
mid-run resumes after the last stored chunk and renumbers nobody twice. One run at a time per
province (`ReauthenticationBoard`).
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.errors import DomainError
from contracts.ids import DocumentType, IdGroup
from province_node.domain.profile import term_of

_NS = uuid5(NAMESPACE_URL, "xueji:province:reauthentication")

#: Why a record was renumbered, in words (the record's history and the student's view).
REASONS = {
    "authenticated": "身份认证通过，临时学籍号变更为正式学籍号",
    "resident_id_added": "补充居民身份证号并通过认证，J字头学籍号变更为G字头学籍号",
    "document_abroad": "身份证件类型变更为港澳台或外籍证件，分配新的临时学籍号",
}


def number_kind_after(number: str, id_type: str, authentication: str | None) -> str | None:
    """ID-3 / PRB-5: the kind of number (`G`, `L`) the record must now hold, or None when
    its number stays. `authentication`: the outcome just obtained for its present values."""
    kind = number[0]
    group = DocumentType(id_type).group
    if kind in "LJ" and group is IdGroup.RESIDENT and authentication == "passed":
        return "G"
    if kind == "G" and group is IdGroup.HMT_FOREIGN:
        return "L"
    return None


def renumber_reason(old_number: str, new_kind: str) -> str:
    if new_kind == "L":
        return REASONS["document_abroad"]
    return REASONS["resident_id_added" if old_number[0] == "J" else "authenticated"]


def check_spring(today: date) -> str:
    """[003 §一.1]: the run is for the spring semester (after it opens); the term, or the
    refusal."""
    term = term_of(today)
    if not term.endswith("-2"):
        raise DomainError(
            f"重新认证只能在春季学期开学后进行（今天 {today.isoformat()} 属于秋季学期）",
            code="not_spring_semester",
        )
    return term


class ReauthenticationBoard(Aggregate):
    """The province's runs, and the one running (at most one at a time)."""

    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, f"board:{province}")

    @event("Opened")
    def __init__(self, province: str) -> None:
        self.province = province
        self.running: str | None = None
        self.runs: list[str] = []

    @event("RunStarted")
    def start(self, run_id: str) -> None:
        self.running = run_id
        self.runs = [*self.runs, run_id]

    @event("RunEnded")
    def end(self, run_id: str) -> None:
        if self.running == run_id:
            self.running = None


class Reauthentication(Aggregate):
    """One re-authentication run of a province: its list, where it is, what it did."""

    RUNNING, FINISHED = "running", "finished"
    STATUS_LABELS = {"running": "进行中", "finished": "已完成"}  # noqa: RUF012

    @staticmethod
    def create_id(command_id: str) -> UUID:
        return uuid5(_NS, f"run:{command_id}")

    @event("Started")
    def __init__(self, command_id: str, province: str, term: str, student_ids: list[str],
                 at: str, meta: dict) -> None:  # fmt: skip
        self.province, self.term = province, term
        self.student_ids = list(student_ids)  # the `L` records with a resident ID at the start
        self.position = 0  # how many of them were walked
        self.upgraded = self.failed = self.unreachable = self.skipped = 0
        self.status = self.RUNNING
        self.started_at, self.finished_at = at, None
        self.started_by = meta.get("account")
        self.meta = dict(meta)

    @property
    def total(self) -> int:
        return len(self.student_ids)

    def next_chunk(self, size: int) -> list[str]:
        return self.student_ids[self.position : self.position + size]

    @event("Progressed")
    def progress(self, position: int, upgraded: int, failed: int, unreachable: int,
                 skipped: int) -> None:  # fmt: skip
        """One chunk walked: `upgraded` renumbered `G`, `failed` still not authenticated,
        `unreachable` the registry could not answer for, `skipped` no longer candidates
        (renumbered meanwhile, left, document changed)."""
        self.position = position
        self.upgraded += upgraded
        self.failed += failed
        self.unreachable += unreachable
        self.skipped += skipped

    @event("Finished")
    def finish(self, at: str) -> None:
        self.status, self.finished_at = self.FINISHED, at

    def view(self) -> dict:
        total = self.total
        return {
            "id": str(self.id),
            "province": self.province,
            "term": self.term,
            "status": self.status,
            "status_label": self.STATUS_LABELS[self.status],
            "total": total,
            "done": self.position,
            "upgraded": self.upgraded,
            "failed": self.failed,
            "unreachable": self.unreachable,
            "skipped": self.skipped,
            "progress": 1.0 if not total else round(self.position / total, 4),
            "started_at": self.started_at,
            "started_by": self.started_by,
            "finished_at": self.finished_at,
        }
