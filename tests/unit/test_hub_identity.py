"""The hub's national identity index (REG-5) and in-order application (BUS-2, BUS-4), in memory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from contracts.commands import ClaimIdentities, ClaimIdentity
from contracts.envelope import Actor, Envelope
from contracts.events import EventSource, IdentityReleased, StudentRegistered
from hub.application import NationalHub
from hub.identities import IdentityService
from tests.support.people import resident_id
from xueji.store import Writer

ID = resident_id(sequence=101)
KEY = f"id:{ID}"


@pytest.fixture
def hub() -> NationalHub:
    return NationalHub(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


@pytest.fixture
def identities(hub: NationalHub) -> Iterator[IdentityService]:
    writer = Writer("test")
    yield IdentityService(hub, writer)
    writer.shutdown()


def _envelope() -> Envelope:
    return Envelope(actor=Actor(account="t", unit_code="44", role="registrar"))


def _claim(province: str, registration_id=None) -> ClaimIdentity:
    return ClaimIdentity(
        envelope=_envelope(),
        province=province,
        registration_id=registration_id or uuid4(),
        dedup_key=KEY,
        id_type="1",
        id_number=ID,
        name="张三",
        school_code="3440106002",
    )


def _registered(province: str, registration_id, number: str, notification_id: int = 1) -> bytes:
    event = StudentRegistered(
        envelope=_envelope(),
        source=EventSource(
            province=province,
            application=f"prov{province}",
            notification_id=notification_id,
            aggregate_id=uuid4(),
            aggregate_version=1,
            occurred_at=datetime.now(UTC),
        ),
        registration_id=registration_id,
        student_number=number,
        dedup_key=KEY,
        id_type="1",
        id_number=ID,
        name="张三",
        sex="1",
        birth_date=date(2015, 3, 9),
        school_code="3440106002",
        class_code="2026201",
    )
    return event.model_dump_json().encode()


async def test_reg5_first_claim_holds_the_identity_and_others_conflict(
    hub: NationalHub, identities: IdentityService
) -> None:
    registration = uuid4()
    assert (await identities.claim(_claim("44", registration))).outcome == "free"
    assert (await identities.claim(_claim("44", registration))).outcome == "free"  # BUS-2 repeat
    conflict = await identities.claim(_claim("34"))
    assert (conflict.outcome, conflict.holder_province) == ("conflict", "44")
    other_entry = await identities.claim(_claim("44"))  # same province, other entry
    assert other_entry.outcome == "conflict"


async def test_bus4_province_events_apply_in_order_exactly_once(
    hub: NationalHub, identities: IdentityService
) -> None:
    registration = uuid4()
    await identities.claim(_claim("44", registration))
    number = "L44010620150309AB12"
    event = _registered("44", registration, number)
    assert hub.apply_province_message("44", 1, "s", event) == "applied"
    assert hub.apply_province_message("44", 1, "s", event) == "duplicate"
    assert hub.apply_province_message("44", 3, "s", event) == "gap"
    assert hub.apply_province_message("44", 2, "s", event) == "applied"  # same content again
    found = hub.national_student("张三", id_number=ID)
    assert (found["status"], found["student_number"]) == ("enrolled", number)
    assert hub.national_student("张三", student_number=number)["province"] == "44"
    assert hub.national_student("李四", id_number=ID) is None  # name must match (QRY-4)
    enrolled = hub.recorder.select_notifications(
        start=1, limit=100, topics=["hub.domain.identity:NationalIdentity.Enrolled"]
    )
    assert len(enrolled) == 1


async def test_prb1_record_without_claim_is_kept_as_duplicate_evidence(
    hub: NationalHub, identities: IdentityService
) -> None:
    await identities.claim(_claim("44"))
    other = _registered("34", uuid4(), "L34010420150309CD34")
    assert hub.apply_province_message("34", 1, "s", other) == "applied"
    assert hub.national_student("张三", id_number=ID)["duplicates"][0]["province"] == "34"


def test_bus1_malformed_and_forged_messages_are_rejected_and_tracked(hub: NationalHub) -> None:
    assert hub.apply_province_message("44", 1, "s", b"not json") == "rejected"
    forged = _registered("34", uuid4(), "L34010420150309CD34")
    assert hub.apply_province_message("44", 2, "s", forged) == "rejected"
    rejected = hub.recorder.select_notifications(
        start=1, limit=10, topics=["hub.domain.identity:RejectedMessage.Recorded"]
    )
    assert [json.loads(n.state)["code"] for n in rejected] == ["malformed", "forged_province"]
    assert hub.position("44") == 2


def _batch(*claims: ClaimIdentity) -> ClaimIdentities:
    return ClaimIdentities(envelope=_envelope(), items=list(claims))


def _other(province: str, registration_id=None) -> ClaimIdentity:
    """A claim of another person than `_claim`'s."""
    number = resident_id(sequence=102)
    return _claim(province, registration_id).model_copy(
        update={"dedup_key": f"id:{number}", "id_number": number}
    )


def _claimed_events(hub: NationalHub) -> int:
    return len(
        hub.recorder.select_notifications(
            start=1, limit=100, topics=["hub.domain.identity:NationalIdentity.Claimed"]
        )
    )


async def test_reg5_batch_claim_first_row_wins(
    hub: NationalHub, identities: IdentityService
) -> None:
    """Two rows of one person in one import chunk: the first holds the identity."""
    first, second = uuid4(), uuid4()
    replies = (
        await identities.claim_batch(
            _batch(_claim("44", first), _claim("44", second), _other("44"))
        )
    ).replies
    assert [r.outcome for r in replies] == ["free", "conflict", "free"]
    assert replies[1].holder_province == "44"
    assert (await identities.claim(_claim("44", first))).outcome == "free"  # the first holds it
    assert (await identities.claim(_claim("44", second))).outcome == "conflict"
    assert _claimed_events(hub) == 2


async def test_reg5_repeated_batch_claim_answers_the_same(
    hub: NationalHub, identities: IdentityService
) -> None:
    """BUS-2: the same chunk asked again answers the same and stores nothing new."""
    batch = _batch(_claim("44"), _claim("44"), _other("44"))
    first = await identities.claim_batch(batch)
    assert (await identities.claim_batch(batch)) == first
    assert _claimed_events(hub) == 2


async def test_reg5_batch_claim_meets_earlier_claims_like_single_ones(
    hub: NationalHub, identities: IdentityService
) -> None:
    held = uuid4()
    await identities.claim(_claim("34", held))
    replies = (await identities.claim_batch(_batch(_claim("44"), _claim("34", held)))).replies
    assert [(r.outcome, r.holder_province) for r in replies] == [("conflict", "34"), ("free", None)]


def _released(province: str, registration_id, notification_id: int = 1) -> bytes:
    event = IdentityReleased(
        envelope=_envelope(),
        source=EventSource(
            province=province,
            application=f"prov{province}",
            notification_id=notification_id,
            aggregate_id=registration_id,
            aggregate_version=5,
            occurred_at=datetime.now(UTC),
        ),
        registration_id=registration_id,
        dedup_key=KEY,
        reason="deleted",
    )
    return event.model_dump_json().encode()


def _releases(hub: NationalHub) -> int:
    topic = "hub.domain.identity:NationalIdentity.ClaimReleased"
    return len(hub.recorder.select_notifications(start=1, limit=100, topics=[topic]))


async def test_reg5_a_release_delivered_twice_releases_once(
    hub: NationalHub, identities: IdentityService
) -> None:
    """REG-5/REG-9: the release of a registration's claim, published again after the
    stream's duplicate window, changes nothing; nor does it free a later holder's claim."""
    first = uuid4()
    await identities.claim(_claim("44", first))
    assert hub.apply_province_message("44", 1, "s", _released("44", first)) == "applied"
    assert hub.national_student("张三", id_number=ID)["status"] == "released"
    assert hub.apply_province_message("44", 2, "s", _released("44", first)) == "applied"
    assert _releases(hub) == 1

    later = uuid4()
    assert (await identities.claim(_claim("34", later))).outcome == "free"  # anyone may claim it
    assert hub.apply_province_message("44", 3, "s", _released("44", first)) == "applied"
    assert hub.national_student("张三", id_number=ID)["status"] == "claimed"
    assert (await identities.claim(_claim("44"))).outcome == "conflict"  # 34 holds it
    assert _releases(hub) == 1


async def test_reg5_a_province_takes_over_only_its_own_unfinished_claim(
    hub: NationalHub, identities: IdentityService
) -> None:
    """A retry after a lost reply names the claim it replaces: allowed for the holder's
    province while no student holds the identity, refused to anyone else."""
    lost = uuid4()
    await identities.claim(_claim("44", lost))
    conflict = await identities.claim(_claim("44"))
    assert conflict.holder_registration_id == lost  # the node asks itself about it
    stolen = await identities.claim(_claim("34").model_copy(update={"replaces": lost}))
    assert stolen.outcome == "conflict"
    retry = uuid4()
    taken = await identities.claim(_claim("44", retry).model_copy(update={"replaces": lost}))
    assert taken.outcome == "free"
    assert (await identities.claim(_claim("44", lost))).outcome == "conflict"  # moved on
    number = "L44010620150309AB12"
    hub.apply_province_message("44", 1, "s", _registered("44", retry, number))
    enrolled = _claim("44").model_copy(update={"replaces": retry})
    assert (await identities.claim(enrolled)).outcome == "conflict"  # a student holds it now
