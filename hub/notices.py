"""What the hub tells province nodes about cases (stream `HUB_OUT`), from its stored events.

The hub's outbox relay (`xueji.outbox`) follows its notification log through `translate`,
so a notice is published only after the event that causes it was stored (BUS-3), and a
node that is down finds it waiting in its durable consumer when it returns (BUS-4).
"""

from __future__ import annotations

from eventsourcing.application import Application
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from contracts import subjects
from contracts.cases import HubNotice
from contracts.events import DeadLetter
from contracts.meta import CommandMeta
from contracts.problems import ProblemGroup, ProblemNotice
from hub.domain.case import CrossProvinceCase as Case
from hub.domain.identity import RejectedMessage
from hub.domain.problem import CrossProvinceProblem as Problem
from xueji.outbox import Outgoing

#: Which event tells which side what: (notice, side the notice goes to).
_NOTICES: dict[type, tuple[str, str]] = {
    Case.Initiated: ("case_opened", "out"),
    Case.Decided: ("case_closed", "out"),  # only a rejection closes the case
    Case.Revoked: ("case_closed", "out"),
    Case.Cancelled: ("case_closed", "out"),
    Case.Cleaned: ("case_closed", "out"),
    Case.ArchivePullRequested: ("archive_requested", "out"),
    Case.ArchivePullResent: ("archive_requested", "out"),  # issue 17 item 6
    Case.ArchiveReceived: ("archive_delivered", "in"),
    Case.Completed: ("case_completed", "out"),
}
#: PRB-4: every stored event of a cross-province group goes to each province of the group.
_PROBLEM_EVENTS = (Problem.Opened, Problem.Changed)
PUBLISHED_TOPICS = [
    get_topic(cls) for cls in (*_NOTICES, RejectedMessage.Recorded, *_PROBLEM_EVENTS)
]
SYSTEM = CommandMeta.new("system", "000000", "sysadmin")


def translate(app: Application, notification: Notification) -> Outgoing | list[Outgoing] | None:
    event = app.mapper.to_domain_event(notification)
    if isinstance(event, _PROBLEM_EVENTS):
        return _problem_notices(event)
    if isinstance(event, RejectedMessage.Recorded):  # BUS-6: to the dead-letter stream
        letter = DeadLetter(**{k: getattr(event, k) for k in DeadLetter.model_fields
                               if k not in ("kind", "version")})  # fmt: skip
        return Outgoing(subjects.dead_letter(event.province), letter, traceparent=None)
    notice, side = _NOTICES[type(event)]
    if isinstance(event, Case.Decided) and event.approve:
        return None
    case: Case = app.repository.get(event.originator_id)
    province = (case.out_side if side == "out" else case.in_side)["province"]
    meta = CommandMeta.from_dict(event.meta) if getattr(event, "meta", None) else SYSTEM
    message = HubNotice(
        notice=notice,
        envelope=meta.envelope(),
        case_id=case.id,
        flow=case.flow,
        province=province,
        student_number=case.student_number,
        outcome=_outcome(event),
        to_province=case.in_side["province"],
        target_school_code=case.in_side["school_code"],
        target_class_code=case.target_class_code,
        archive=event.archive if isinstance(event, Case.ArchiveReceived) else None,
    )
    subject = subjects.hub_out(province, notice)
    return Outgoing(subject=subject, message=message, traceparent=meta.traceparent)


def _outcome(event: object) -> str | None:
    return {
        Case.Decided: "rejected",
        Case.Revoked: "revoked",
        Case.Cancelled: "cancelled",
        Case.Cleaned: "cleaned",
    }.get(type(event))


def _problem_notices(event: Problem.Opened | Problem.Changed) -> list[Outgoing]:
    """PRB-4: the group as this event left it, one notice per province of the group (each
    sees the other side's state and the minimum of its record)."""
    group = ProblemGroup.model_validate(event.group)
    meta = CommandMeta.from_dict(event.meta) if getattr(event, "meta", None) else SYSTEM
    return [
        Outgoing(
            subject=subjects.hub_out(province, "problem"),
            message=ProblemNotice(
                envelope=meta.envelope(),
                group_id=event.originator_id,
                province=province,
                group=group,
            ),
            traceparent=meta.traceparent,
        )
        for province in group.provinces
    ]
