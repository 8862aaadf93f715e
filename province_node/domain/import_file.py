"""The per-file record of an Excel registration import (REG-4): what came in, how far it got."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

# REG-4's results of a file, as the Excel reader reports them and the record keeps them.
SUCCEEDED = "处理成功"
FAILED = "处理失败"
NOT_TEMPLATE = "不符合模板"
PENDING = "待处理"  # the fourth result: still being processed


class ImportFile(Aggregate):
    @event("Received")
    def __init__(
        self,
        file_id: UUID,
        filename: str,
        school_code: str,
        entry: str,
        id_group: str,
        rows: int,
        problems: list[dict],
        received_at: str,
        meta: dict,
    ) -> None:
        self.filename, self.school_code, self.entry = filename, school_code, entry
        self.id_group, self.rows, self.received_at = id_group, rows, received_at
        self.problems = list(problems)  # parse problems first, then refusals of the checks
        self.done = 0
        self.result = PENDING

    @staticmethod
    def create_id(file_id: UUID) -> UUID:
        return file_id

    @event("Progressed")
    def progress(self, done: int, problems: list[dict]) -> None:
        """`done` rows have been through the national checks; `problems` are new refusals."""
        self.done = done
        self.problems.extend(problems)

    @event("Finished")
    def finish(self, result: str) -> None:
        self.result = result

    def view(self) -> dict:
        failed_rows = {p["row"] for p in self.problems if p.get("blocking", True) and p["row"]}
        return {
            "file_id": str(self.id),
            "filename": self.filename,
            "result": self.result,
            "rows": self.rows,
            "done": self.done,
            "passed": self.rows - len(failed_rows) if self.result != PENDING else None,
            "failed": len(failed_rows),
            "problems": self.problems,
            "received_at": self.received_at,
            "school_code": self.school_code,
        }
