"""Read audit (issue 18 item 4; the 2.0 system's "full traceability of operations"): who viewed
which student's record, searched which query, looked a child up nationally — recorded as
events in the service's own hash-chained log, so `xueji audit student <number>` answers who
read a record as it answers who changed it, and the auditor's investigations (AUD-5) cover
both. One read is one aggregate with one event: nothing is loaded to record it. Mixed into
`AccessService`."""

from __future__ import annotations

from uuid import uuid4

from eventsourcing.domain import Aggregate, event

from contracts.meta import CommandMeta
from xueji.access.sessions import Session

#: What a read was, in the words of the menus.
RECORD = "查看学籍"
HISTORY = "查看学籍变动历史"
SEARCH = "学籍查询"
NATIONAL = "全国学籍查询"


class RecordRead(Aggregate):
    @event("Recorded")
    def __init__(self, what: str, student_number: str | None, filters: dict, at: str,
                 meta: dict) -> None:  # fmt: skip
        self.what, self.student_number, self.filters = what, student_number, dict(filters)


class ReadAudit:
    """Uses the `AccessService` it is mixed into: its writer, clock and store."""

    async def record_read(self, who: Session | CommandMeta, what: str,
                          student_number: str | None = None,
                          filters: dict | None = None) -> None:  # fmt: skip
        """Stored before the answer is handed out (a failure to record refuses the read);
        `who`: the session, or the command meta of a request made for it."""
        account = who.username if isinstance(who, Session) else who.account
        meta = {"account": account, "unit_code": who.unit_code, "role": who.role,
                "command_id": str(uuid4())}  # fmt: skip
        asked = {k: v for k, v in (filters or {}).items() if v not in (None, "", [], ())}
        at = self.clock.now().isoformat()
        read = RecordRead(what=what, student_number=student_number, filters=asked, at=at,
                          meta=meta)  # fmt: skip
        await self.writer(self.app.save, read)
