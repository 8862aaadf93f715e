"""误操作删除 (REG-9): an approved student registered by mistake, deleted on the county's word.

The school registrar applies from 在校生查询 (申请删除); the chain SYS-1 freezes for it — by
default the school's supervising bureau alone [004 Q60] — confirms or refuses. Confirmed, the
student record is deleted and the hub frees its identity; refused, the business ends and the
school may apply again. A student with a formal (`G`/`J`) number is never deleted [004 Q60].
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import event

from province_node.domain.approval import Approval

_NS = uuid5(NAMESPACE_URL, "xueji:province:deletion")


class StudentDeletion(Approval):
    """One application for deletion; idempotent by the command that made it."""

    NOT_IN_REVIEW = "该删除申请已处理，不能重复审核"
    NOT_YOUR_STEP = "没有待本单位确认的删除申请"
    OPINION_REQUIRED = "不同意删除时须填写意见"

    ID_NAMESPACE = _NS

    @event("Applied")
    def __init__(
        self,
        command_id: str,
        student_number: str,
        school_code: str,
        reason: str,
        chain: list[dict],
        at: str,
        meta: dict,
    ) -> None:
        self.student_number, self.school_code, self.reason = student_number, school_code, reason
        self.decisions: list[dict] = []
        self._enter_chain(chain, at)
