"""PRB-4: the node's follower of `HUB_OUT` tells a problem group's notice from a case's by the
message's `kind` (a case's `HubNotice` carries none)."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from contracts.cases import HubNotice
from contracts.envelope import Actor, Envelope
from contracts.errors import ContractError
from contracts.problems import ProblemGroup, ProblemKind, ProblemNotice, ProblemSide
from province_node.notices import _decode_notice

ENVELOPE = Envelope(actor=Actor(account="system", unit_code="000000", role="sysadmin"))


def _side(province: str, number: str, since: str) -> ProblemSide:
    return ProblemSide(province=province, student_number=number, school_code="x", name="李四",
                       sex="1", birth_date=date(2015, 1, 1), id_type="1", since=since)  # fmt: skip


def test_prb4_problem_notice_is_told_from_a_case_notice_by_its_kind():
    group = ProblemGroup.open(
        ProblemKind.DUPLICATE_ID,
        [_side("34", "G340104201501010011", "1"), _side("44", "L440106201501010011", "2")],
        at="2",
    )
    notice = ProblemNotice(envelope=ENVELOPE, group_id=uuid4(), province="44", group=group)
    decoded = _decode_notice(notice.model_dump_json().encode())
    assert isinstance(decoded, ProblemNotice) and decoded.group == group

    case = HubNotice(
        notice="case_opened",
        envelope=ENVELOPE,
        case_id=uuid4(),
        flow="transfer",
        province="34",
        student_number="G340104201501010011",
        to_province="44",
        target_school_code="x",
        target_class_code="2026201",
    )
    assert isinstance(_decode_notice(case.model_dump_json().encode()), HubNotice)
    with pytest.raises(ContractError):
        _decode_notice(b"not json")
