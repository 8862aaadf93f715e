"""The fault matrix: which process is killed at which point (docs/faults.md)."""

from __future__ import annotations

from tests.faults.flows import HUB, IN, OUT

#: (service, point): killed in the middle of a registration (REG-5, REG-6, BUS-3).
REGISTRATION = [
    (OUT, "node.register.before_claim"),  # entered, the hub not asked yet
    (OUT, "node.register.after_claim"),  # the hub holds the claim, the node stored nothing
    (OUT, "node.register.after_commit"),  # stored, the user never got the answer
    (OUT, "node.decide.after_commit:2"),  # the last approval made the student, unpublished
    (OUT, "outbox.before_publish"),  # `student.registered` about to be published
    (OUT, "outbox.after_publish"),  # published, the relay's position not recorded
    (HUB, "hub.claim.received"),  # the claim arrived, nothing stored
    (HUB, "hub.claim.after_store"),  # the claim stored, the reply never sent
    (HUB, "hub.follower.before_apply"),  # `student.registered` fetched, not applied
    (HUB, "hub.applied.student.registered"),  # enrolled in the index, not acknowledged
]

#: (service, point): killed in the middle of a transfer 44 → 34 (XPT-1, XPT-2, XPT-6).
TRANSFER = [
    (IN, "node.case.initiate.answered"),  # the hub opened the case, the user never heard
    (HUB, "hub.initiate.after_prepare"),  # 44 described the student, no case stored
    (OUT, "node.prepare.before_reply"),  # 44 dies answering the hub's question
    (HUB, "hub.initiate_case.stored"),  # the case stored, the reply never sent
    (HUB, "outbox.before_publish"),  # `case_opened` about to go to 44
    (HUB, "outbox.after_publish"),  # `case_opened` sent, the relay's position not recorded
    (OUT, "node.notice.before_apply"),  # 44 fetched `case_opened`, did nothing
    (OUT, "node.notice.case_opened.stored"),  # the record locked, the notice not acked
    (OUT, "node.notice.after_apply"),  # applied, not acknowledged: delivered again
    (IN, "node.case.decide.answered"),  # the hub decided 34's step, the user never heard
    (HUB, "hub.decide_case.stored"),  # a step decided and stored, no reply
    (OUT, "node.case.decide.answered"),  # the out side's first decision, no reply
    (IN, "node.case.act.answered"),  # the pull requested, the user never heard
    (HUB, "hub.act_on_case.stored"),  # the pull stored, `archive_requested` not sent
    (OUT, "node.notice.archive_requested.stored"),  # 转出 stored, the archive not published
    (OUT, "outbox.after_publish"),  # the archive published, position not recorded
    (HUB, "hub.follower.before_apply"),  # the archive fetched by the hub, not applied
    (HUB, "hub.applied.student.transferred_out"),  # archive received, no notice to 34 yet
    (IN, "node.notice.before_apply"),  # 34 fetched `archive_delivered`, did nothing
    (IN, "node.transfer_in.before_store"),  # 34 dies creating the student
    (IN, "node.transfer_in.stored"),  # the student created, `transferred_in` unpublished
    (IN, "outbox.after_publish"),  # `transferred_in` published, position not recorded
    (HUB, "hub.applied.student.transferred_in"),  # the case completed, 44 not told yet
    (OUT, "node.notice.case_completed.stored"),  # 44 noted the completion, not acked
]
