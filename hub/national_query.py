"""QRY-4 全国学籍查询, one use case for every path: the hub's API and console, and every
node's API and console (which ask through the node's own hub RPC subject).

- **One limiter** keyed on who is authenticated: `hub:<account>` for the hub's own users,
  `<province>:<account>` for a node's (the province is the one the NATS server let publish
  on that subject; the node vouches for its account). Only well-formed queries count.
- **The answer is what SPEC lists**: the index gives name, document, number and province of
  record; the province of record adds stage, grade, 学籍 status, an open problem record and
  the last change (`RecordSummaryQuery`). A province that does not answer in time leaves those
  unknown (`record_available: false`) rather than failing the query. A claimed identity whose
  registration is not approved, or one released, is "not found": the query shows students.
"""

from __future__ import annotations

from contracts import subjects
from contracts.errors import ContractError, NotFound
from contracts.meta import CommandMeta
from contracts.national import NationalStudent, RecordSummary, RecordSummaryQuery
from hub.identities import IdentityService
from hub.rate_limit import RateLimiter
from xueji.bus import Bus, BusUnavailable, RemoteError
from xueji.clock import Clock
from xueji.logs import get_logger

log = get_logger("hub.national_query")
SUMMARY_TIMEOUT_SECONDS = 2.0


class NationalQueryService:
    def __init__(self, identities: IdentityService, bus: Bus, clock: Clock,
                 limiter: RateLimiter | None = None) -> None:  # fmt: skip
        self.identities, self.bus, self.clock = identities, bus, clock
        self.limiter = limiter or RateLimiter()

    async def query(self, asker: str, name: str, id_number: str | None,
                    student_number: str | None, meta: CommandMeta) -> NationalStudent:  # fmt: skip
        """Name plus ID number or national student number (QRY-4); `asker` keys the limit."""
        name = name.strip()
        if not name:
            raise ContractError("name", "required", "请输入姓名")
        if not (id_number or student_number):
            raise ContractError("id_number", "required", "请输入身份证件号或全国学籍号")
        self.limiter.check(asker, self.clock.now())
        found = await self.identities.national_student(name, id_number, student_number)
        if found is None or found["status"] != "enrolled":
            raise NotFound("未查到符合条件的学生")
        summary = await self._summary(found["province"], found["student_number"], meta)
        answer = NationalStudent(
            name=found["name"],
            sex=found["sex"],
            id_type=found["id_type"],
            id_number=found["id_number"],
            student_number=found["student_number"],
            province=found["province"],
            last_change_at=found["last_change"],
            record_available=summary is not None,
        )
        if summary is None:
            return answer
        return answer.model_copy(
            update={
                "stage": summary.stage,
                "grade": summary.grade,
                "status": summary.status,
                "has_open_problem": summary.has_open_problem,
                "last_change_at": summary.last_change_at or answer.last_change_at,
            }
        )

    async def _summary(self, province: str, number: str, meta: CommandMeta) -> RecordSummary | None:
        question = RecordSummaryQuery(envelope=meta.envelope(), student_number=number)
        subject = subjects.prov_record_summary(province)
        try:
            answer = await self.bus.ask(subject, question, RecordSummary, SUMMARY_TIMEOUT_SECONDS)
        except (BusUnavailable, RemoteError, ContractError) as exc:
            log.warning("record_summary_missing", province=province, error=str(exc))
            return None
        if answer.province != province or answer.student_number != number:
            return None  # an answer about something else counts as none
        return answer
