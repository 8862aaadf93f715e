"""The student as a state machine (DESIGN §4a): one status enum, one transition table.

Every business that changes a record's status names its row here: the statuses it may start
from and the status its effect leaves (None: the status stays, the record moves — a class,
a grade, a province). A business not in the table does not change the status. The rows cite
their source.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.codes import StudentStatus as S
from contracts.errors import DomainError
from province_node.domain.workflow_defaults import BusinessType as B

LIVING = frozenset(S) - {S.DELETED, S.DECEASED}


@dataclass(frozen=True)
class Transition:
    sources: frozenset[S]
    target: S | None
    rule: str  # the SPEC rule and seed it comes from


#: The cross-province flows are keyed by their out side: the record leaves its province.
TRANSITIONS: dict[B, Transition] = {
    # XPT-2: 在校, 其他离校, 出国/出境, 退学, 开除, 小学毕业 may transfer [002 §18]; 休学 must
    # resume first [003 §三.2].
    B.CROSS_PROVINCE_TRANSFER_OUT: Transition(
        frozenset({S.ENROLLED, S.OTHER_LEFT, S.EXITED, S.WITHDRAWN, S.EXPELLED, S.GRADUATED}),
        S.TRANSFERRED_OUT,
        "XPT-2 [002 §18]",
    ),
    # PGE-1: junior-high graduates (毕业) [002 §19].
    B.POST_GRADUATION_GRADUATING: Transition(
        frozenset({S.GRADUATED}), S.TRANSFERRED_OUT, "PGE-1 [002 §19]"
    ),
    # CHG-1 status changes [002 §7]. Suspended students resume before anything but leaving.
    B.SUSPENSION: Transition(frozenset({S.ENROLLED}), S.SUSPENDED, "CHG-1 [002 §7]"),
    B.RESUMPTION: Transition(frozenset({S.SUSPENDED}), S.ENROLLED, "CHG-1 [002 §7]"),
    B.TO_VOCATIONAL: Transition(frozenset({S.ENROLLED}), S.TO_VOCATIONAL, "CHG-1 [002 §7]"),
    B.EXIT: Transition(frozenset({S.ENROLLED, S.SUSPENDED}), S.EXITED, "CHG-1 [002 §7]"),
    # 入境复学: back from abroad into any grade [004 Q82].
    B.RETURN: Transition(frozenset({S.EXITED}), S.ENROLLED, "CHG-1 [004 Q82]"),
    B.WITHDRAWAL: Transition(frozenset({S.ENROLLED, S.SUSPENDED}), S.WITHDRAWN, "CHG-1"),
    B.EXPULSION: Transition(frozenset({S.ENROLLED, S.SUSPENDED}), S.EXPELLED, "CHG-1"),
    B.DEATH: Transition(
        frozenset({S.ENROLLED, S.SUSPENDED, S.EXITED, S.MISSING}), S.DECEASED, "CHG-1"
    ),
    B.MISSING: Transition(frozenset({S.ENROLLED, S.SUSPENDED}), S.MISSING, "CHG-1"),
    # 留级/跳级 move the class a grade down or up; the status stays.
    B.REPEAT: Transition(frozenset({S.ENROLLED}), None, "CHG-1"),
    B.SKIP: Transition(frozenset({S.ENROLLED}), None, "CHG-1"),
    # CHG-4: 出境/退学/开除/其他离校 students may transfer and keep their status until they
    # report at the new school [003 §三.2]; 休学 resume first; the record moves school.
    B.TRANSFER_IN: Transition(
        frozenset({S.ENROLLED, S.EXITED, S.WITHDRAWN, S.EXPELLED, S.OTHER_LEFT}),
        None,
        "CHG-4 [003 §三.2]",
    ),
    # GRD-1: graduating grades and past years' students whose status is not a graduate one,
    # except 休学、出国、开除、退学、失踪、死亡 [002 §13].
    **{
        business: Transition(frozenset({S.ENROLLED, S.OTHER_LEFT}), target, "GRD-1 [002 §13]")
        for business, target in (
            (B.GRADUATION_PRIMARY, S.GRADUATED),
            (B.GRADUATION_JUNIOR, S.GRADUATED),
            (B.GRADUATION_SENIOR, S.GRADUATED),
            (B.COMPLETION_PRIMARY, S.COMPLETED),
            (B.COMPLETION_JUNIOR, S.COMPLETED),
            (B.COMPLETION_SENIOR, S.COMPLETED),
            (B.INCOMPLETE, S.INCOMPLETE),
        )
    },
    # DRP-1/DRP-4: a school records its 在校 students as suspected or dropped out; the case
    # and the return leave the status 在校 (the return places the student in a class) [002 §12].
    B.DROPOUT_RETURN: Transition(frozenset({S.ENROLLED}), None, "DRP-1, DRP-4 [002 §12]"),
    # ADM-3: only graduates are admitted, this year's or past years' [004 Q91]; at the archive
    # pull they are in school again, at the admitting school [003 §四.3].
    B.ADMISSION_JUNIOR: Transition(frozenset({S.GRADUATED}), S.ENROLLED, "ADM-3 [003 §四.3]"),
    B.ADMISSION_SENIOR: Transition(frozenset({S.GRADUATED}), S.ENROLLED, "ADM-3 [003 §四.3]"),
    # REG-9: only an enrolled student registered by mistake is deleted [004 Q60].
    B.DELETION: Transition(frozenset({S.ENROLLED}), S.DELETED, "REG-9 [004 Q60]"),
}

#: The hub's flow names → the business whose row applies on the record's side.
FLOW_BUSINESS = {
    "transfer": B.CROSS_PROVINCE_TRANSFER_OUT,
    "enrollment": B.POST_GRADUATION_GRADUATING,
}


def check_may_start(business: B, status: str) -> None:
    """The business may start from this status (its row's sources), or is refused saying so."""
    row = TRANSITIONS.get(business)
    if row is not None and S(status) not in row.sources:
        raise DomainError(
            f"学籍状态为“{status}”的学生不能办理{business.label}", code="not_eligible"
        )


def status_after(business: B, status: str) -> str:
    """The status the business's effect leaves (unchanged for a business without a row)."""
    row = TRANSITIONS.get(business)
    if row is None or row.target is None:
        return status
    return row.target.value
