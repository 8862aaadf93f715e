"""Issue 17 item 6 (NFR-4, BUS-4): the node applies the hub's notices in order.

A real node on a SQLite file and the real notice follower; only the NATS messages are
stand-ins (they record how they were answered)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID, uuid4

import pytest

from contracts.cases import HubNotice
from contracts.envelope import Actor, Envelope
from province_node.application import ProvinceNode
from province_node.cases import CaseService
from province_node.domain.dead_notices import DeadNotices
from province_node.domain.student import Student, StudentNumberIndex
from province_node.notices import MAX_DELIVERIES, NoticeFollower
from xueji.outbox import OutboxRelay
from xueji.store import Writer, sqlite_url, store_env

ENVELOPE = Envelope(actor=Actor(account="system", unit_code="000000", role="sysadmin"))
META = {"account": "a", "unit_code": "3440106002", "command_id": "c"}
NUMBER = "L440106201503091234"
_SEQUENCES = itertools.count(1)


@dataclass
class FakeMsg:
    """What the follower does with a message: acked, nak'd (with a delay), or terminated."""

    data: bytes
    subject: str = "xueji.hub.out.44.case"
    headers: dict = field(default_factory=dict)
    answers: list[str] = field(default_factory=list)
    deliveries: int = 1
    sequence: int = field(default_factory=lambda: next(_SEQUENCES))  # on the stream

    @property
    def metadata(self) -> SimpleNamespace:
        stream = SimpleNamespace(stream=self.sequence)
        return SimpleNamespace(num_delivered=self.deliveries, sequence=stream)

    async def ack(self) -> None:
        self.answers.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.answers.append("nak")

    async def term(self) -> None:
        self.answers.append("term")


@pytest.fixture
def node(tmp_path: Path):
    node = ProvinceNode("44", store_env(sqlite_url(tmp_path / "prov44.sqlite")))
    student = Student(
        registration_id=uuid4(),
        student_number=NUMBER,
        dedup_key="k",
        id_type="1",
        id_number=None,
        name="张三",
        sex="1",
        birth_date=date(2015, 3, 9),
        ethnicity="01",
        school_code="3440106002",
        class_code="2026201",
        guardians=[],
        auth_status="passed",
        meta=META,
    )
    node.save(student, StudentNumberIndex(student_number=NUMBER, student_id=student.id))
    return node


@pytest.fixture
def follower(node: ProvinceNode):
    writer = Writer("prov44")
    cases = CaseService(node, writer, bus=None, org=None, clock=None, blobs=None, timeout=1.0)
    relay = OutboxRelay(node, writer, bus=None, translate=lambda app, n: None, topics=[])
    yield NoticeFollower(cases, relay)
    writer.shutdown()


def _notice(kind: str, case_id: UUID, **extra) -> FakeMsg:
    notice = HubNotice(
        notice=kind,
        envelope=ENVELOPE,
        case_id=case_id,
        flow="transfer",
        province="44" if kind != "archive_delivered" else "34",
        student_number=NUMBER,
        outcome="rejected" if kind == "case_closed" else None,
        to_province="34",
        target_school_code="3340104002",
        target_class_code="2026201",
        **extra,
    )
    return FakeMsg(notice.model_dump_json().encode())


def _held_by(node: ProvinceNode) -> str | None:
    return node.get_student(NUMBER).case_id


def _store_fails_for(follower: NoticeFollower, case_id: UUID) -> None:
    """The store fails while that case's notice is applied (a disk error, not a refusal)."""
    apply = follower.cases.apply_notice

    async def failing(notice):
        if notice.case_id == case_id:
            raise OSError("disk I/O error")
        return await apply(notice)

    follower.cases.apply_notice = failing


async def test_nfr4_batch_stops_at_the_first_failed_notice(follower, node):
    """The second notice fails (the store failed while applying it); the third, a later
    notice about the same case, is not applied before it."""
    case, other = uuid4(), uuid4()
    opened = _notice("case_opened", case)
    broken = _notice("case_opened", other)
    closed = _notice("case_closed", case)
    _store_fails_for(follower, other)
    await follower._handle_all([opened, broken, closed])

    assert opened.answers == ["ack"]
    assert broken.answers == ["nak"] and closed.answers == ["nak"]  # both come back, in order
    assert _held_by(node) == str(case)  # the close was not applied past the failure
    assert follower.applied == 1

    await follower._handle_all([closed])  # redelivered: applied now
    assert _held_by(node) is None and closed.answers[-1] == "ack"


async def test_nfr4_refused_notice_is_dropped_and_the_batch_goes_on(follower, node):
    """A notice the contract refuses is terminated (it can never apply) and blocks nothing;
    it is kept, with the reason, among the node's set-aside notices."""
    case = uuid4()
    garbage, opened = FakeMsg(b"not json"), _notice("case_opened", case)
    await follower._handle_all([garbage, opened])
    assert garbage.answers == ["term"] and opened.answers == ["ack"]
    assert _held_by(node) == str(case)
    [entry] = node.dead_notices()["latest"]
    assert (entry["code"], entry["deliveries"]) == ("malformed", 1)
    await follower._handle_all([garbage])  # back before the server saw the term: once
    assert node.dead_notices()["total"] == 1 and garbage.answers == ["term", "term"]


async def test_bus4_a_notice_failing_every_try_is_set_aside_and_the_rest_goes_on(follower, node):
    """A poison notice (the store fails on it every time) comes back until its last try;
    then it is kept whole in the node's log and dropped, and the notices behind it apply."""
    case, poison = uuid4(), uuid4()
    _store_fails_for(follower, poison)
    stuck, later = _notice("case_opened", poison), _notice("case_opened", case)
    for deliveries in range(1, MAX_DELIVERIES):
        stuck.deliveries = deliveries
        await follower._handle_all([stuck, later])
        assert stuck.answers[-1] == "nak" and _held_by(node) is None
    stuck.deliveries = MAX_DELIVERIES
    await follower._handle_all([stuck, later])
    assert stuck.answers[-1] == "term" and later.answers[-1] == "ack"
    assert _held_by(node) == str(case)
    dead = node.dead_notices()
    assert dead["total"] == 1
    assert (dead["latest"][0]["code"], dead["latest"][0]["deliveries"]) == ("gave_up", 5)
    kept = [e for e in node.events.get(DeadNotices.create_id()) if hasattr(e, "payload")]
    assert HubNotice.model_validate_json(kept[-1].payload).case_id == poison  # nothing lost


async def test_nfr4_case_opened_for_a_closed_case_is_ignored(follower, node):
    """Redelivered late (after its close), `case_opened` locks nothing: the student stays
    free for other business."""
    case = uuid4()
    await follower._handle_all([_notice("case_opened", case), _notice("case_closed", case)])
    assert _held_by(node) is None
    version = node.get_student(NUMBER).version

    late = _notice("case_opened", case)
    await follower._handle_all([late])
    assert late.answers == ["ack"] and _held_by(node) is None
    assert node.get_student(NUMBER).version == version  # nothing stored
    assert node.get_student(NUMBER).closed_cases == [str(case)]


async def test_nfr4_close_arriving_before_its_open_is_remembered(follower, node):
    """Reordered: the close first (nothing to release, remembered), then the open: ignored."""
    case = uuid4()
    await follower._handle_all([_notice("case_closed", case), _notice("case_opened", case)])
    assert _held_by(node) is None
    assert node.get_student(NUMBER).case_closed(str(case))

    again = _notice("case_closed", case)  # a duplicate close changes nothing
    version = node.get_student(NUMBER).version
    await follower._handle_all([again])
    assert node.get_student(NUMBER).version == version and again.answers == ["ack"]

    other = uuid4()  # another case still opens as before
    await follower._handle_all([_notice("case_opened", other)])
    assert _held_by(node) == str(other)
