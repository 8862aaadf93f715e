"""BUS-1 and BUS-5 on a real nats-server: typed error replies, rejected stream messages,
one trace across node and hub."""

from __future__ import annotations

import asyncio
import json
from uuid import uuid4

import pytest
import structlog

from contracts import subjects
from contracts.commands import ClaimIdentity
from contracts.envelope import Actor, Envelope
from tests.support.mesh import Mesh, approve_fully
from tests.support.nats import NatsServer
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id
from xueji.bus import Bus


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the bus contract does not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


CLAIM = subjects.hub_rpc("44", subjects.HUB_IDENTITY_CLAIM)


def _claim(**changes: object) -> dict:
    claim = ClaimIdentity(
        envelope=Envelope(actor=Actor(account="t", unit_code="44", role="registrar")),
        province="44",
        registration_id=uuid4(),
        dedup_key=f"id:{resident_id(sequence=7)}",
        id_type="1",
        id_number=resident_id(sequence=7),
        name="孙八",
        school_code="3440106002",
    )
    return json.loads(claim.model_dump_json()) | changes


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        (b"{not json", "malformed", "message"),
        (json.dumps(_claim(colour="blue")).encode(), "unknown_field", "colour"),
        (json.dumps(_claim(version=2)).encode(), "unsupported_version", "version"),
        (json.dumps(_claim(province="4")).encode(), "bad_message", "province"),
    ],
)
async def test_bus1_bad_rpc_message_gets_typed_error_reply(
    mesh: Mesh, nats_server: NatsServer, payload: bytes, code: str, field: str
) -> None:
    nc = await nats_server.connect(subjects.province_client("44"))
    try:
        reply = await nc.request(CLAIM, payload, timeout=5)
        error = json.loads(reply.data)["error"]
        assert (error["code"], error["field"]) == (code, field)
        assert error["message"]
        # The hub keeps serving: a good claim right after is answered.
        good = await nc.request(CLAIM, json.dumps(_claim()).encode(), 5)
        assert json.loads(good.data)["outcome"] == "free"
    finally:
        await nc.close()


async def test_bus1_bad_stream_messages_are_recorded_and_the_stream_moves_on(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    forged = await _forged_from_34(mesh, nats_server)
    nc = await nats_server.connect(subjects.province_client("44"))  # 44 may publish on 44's
    try:
        js = nc.jetstream()
        subject = subjects.province_event("44", "student", "registered")
        await js.publish(subject, b'{"kind": "StudentRegistered", "version": 9}')
        await js.publish(subject, forged)
    finally:
        await nc.close()
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("44") == 2)
    rejected = hub.recorder.select_notifications(
        start=1, limit=10, topics=["hub.domain.identity:RejectedMessage.Recorded"]
    )
    codes = [json.loads(n.state)["code"] for n in rejected]
    assert codes == ["unsupported_version", "forged_province"]

    # A good registration after the bad ones is still applied.
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=31), name="周九")
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    await approve_fully(mesh, "44", created.json()["id"])
    await mesh.wait_until(lambda: hub.position("44") == 3)


async def _forged_from_34(mesh: Mesh, nats_server: NatsServer) -> bytes:
    """A well-formed event that claims to come from province 34, sent on 44's subject."""
    body = registration(JUNIOR_SCHOOL["34"], resident_id(sequence=77), name="吴十")
    created = await mesh.post("34", "/api/v1/registrations", as_=REGISTRAR["34"], json=body)
    await approve_fully(mesh, "34", created.json()["id"])
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("34") == 1)
    nc = await nats_server.connect()  # the test inspector reads the stream
    try:
        stored = await nc.jetstream().get_msg(subjects.province_stream("34"), 1)
    finally:
        await nc.close()
    return stored.data


async def test_bus5_one_request_is_one_trace_across_node_and_hub(mesh: Mesh, spans) -> None:
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=88), name="郑一")
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    finished = {s.name: s for s in spans.get_finished_spans()}
    request = finished["POST /api/v1/registrations"]
    claim = finished[f"rpc {subjects.hub_rpc('*', subjects.HUB_IDENTITY_CLAIM)}"]
    assert claim.context.trace_id == request.context.trace_id  # the dedup on the hub
    assert claim.parent is not None

    # The last approval creates the student; its event reaches the hub in the same trace.
    spans.clear()
    await approve_fully(mesh, "44", created.json()["id"])
    await mesh.wait_until(
        lambda: any(s.name.startswith("hub apply") for s in spans.get_finished_spans())
    )
    finished = spans.get_finished_spans()
    decision = [
        s for s in finished if s.name == "POST /api/v1/registrations/{registration_id}/decisions"
    ][-1]
    applied = next(s for s in finished if s.name == "hub apply xueji.evt.44.student.registered")
    assert applied.context.trace_id == decision.context.trace_id
    assert applied.parent is not None


async def test_bus5_logs_carry_trace_command_account_and_unit(mesh: Mesh) -> None:
    merge = [structlog.contextvars.merge_contextvars]
    key = "6f1d2c3b-0000-4000-8000-000000000089"
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=89), name="王二")
    with structlog.testing.capture_logs(processors=merge) as captured:
        response = await mesh.post(
            "44",
            "/api/v1/registrations",
            as_=REGISTRAR["44"],
            json=body,
            headers={"Idempotency-Key": "6f1d2c3b-0000-4000-8000-000000000089"},
        )
        assert response.status_code == 201
    node_line = next(e for e in captured if e["event"] == "registration_recorded")
    assert node_line["command_id"] == key
    assert node_line["account"] == REGISTRAR["44"] and node_line["unit"] == JUNIOR_SCHOOL["44"]
    assert len(node_line["trace_id"]) == 32


async def test_bus6_a_message_its_rules_refuse_is_dead_lettered_and_never_blocks(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    """A well-formed 44 event the hub can never apply (an archive for a case it does not hold)
    goes to the dead-letter stream with its reason, /healthz counts it, and the registration
    published after it is applied."""
    from contracts.events import EventSource, StudentTransferredOut

    poison = StudentTransferredOut(
        envelope=Envelope(actor=Actor(account="t", unit_code="440000", role="registrar")),
        source=EventSource(
            province="44",
            application="province-44",
            notification_id=1,
            aggregate_id=uuid4(),
            aggregate_version=1,
            occurred_at="2026-11-22T10:00:00+08:00",
        ),  # fmt: skip
        case_id=uuid4(),
        student_number="G440106201503097024",
        archive={},
    )
    nc = await nats_server.connect(subjects.province_client("44"))
    try:
        js = nc.jetstream()
        subject = subjects.province_event("44", "student", "transferred_out")
        await js.publish(subject, poison.model_dump_json().encode())
    finally:
        await nc.close()
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("44") == 1)
    health = (await mesh.get("hub", "/healthz")).json()
    assert health["dead_letters"] == {"total": 1, "by_province": {"44": 1}}, health
    inspector = await nats_server.connect()
    try:
        for _ in range(100):  # the hub's outbox publishes it from the store
            try:
                letter = await inspector.jetstream().get_msg(subjects.DEAD_LETTER_STREAM, 1)
                break
            except Exception:  # noqa: BLE001 - not there yet
                await asyncio.sleep(0.05)
        else:
            raise AssertionError("no dead letter on DEAD_LETTERS")
    finally:
        await inspector.close()
    dead = json.loads(letter.data)
    assert (dead["province"], dead["sequence"], dead["code"]) == ("44", 1, "not_found")
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=32), name="郑十一")
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    await approve_fully(mesh, "44", created.json()["id"])
    await mesh.wait_until(lambda: hub.position("44") == 2)  # the stream moved on


async def test_bus_ready_after_a_hook_that_failed_once(nats_server: NatsServer) -> None:
    """A JetStream call in a connect hook that times out (a loaded box) is tried again:
    the bus still becomes ready and serves, instead of never connecting."""
    calls: list[int] = []

    async def flaky(nc) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("JetStream API timed out")

    client = subjects.province_client("44")
    bus = Bus(nats_server.url, client, [flaky], nats_server.tls(client))
    bus.start()
    try:
        await asyncio.wait_for(bus.ready.wait(), timeout=15)
        assert bus.connected and len(calls) == 2
    finally:
        await bus.close()


async def test_bus4_a_notice_the_node_refuses_is_set_aside_and_told_to_the_hub(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    """A hub notice province 44 can never apply (a case opened on a record it does not hold)
    is set aside whole in 44's log, counted in its /healthz, and told back to the hub, which
    lists it with its dead letters; the notices behind it still apply."""
    from contracts.cases import HubNotice

    case_id = uuid4()
    poison = HubNotice(
        notice="case_opened",
        envelope=Envelope(actor=Actor(account="t", unit_code="000000", role="sysadmin")),
        case_id=case_id,
        flow="transfer",
        province="44",
        student_number="G440106201503097099",
        to_province="34",
        target_school_code="3340104002",
        target_class_code="2026201",
    )
    hub_side = await nats_server.connect(subjects.HUB_CLIENT)  # as the hub's outbox would
    try:
        await hub_side.jetstream().publish(
            subjects.hub_out("44", "case_opened"), poison.model_dump_json().encode()
        )
    finally:
        await hub_side.close()

    async def node_set_it_aside() -> bool:
        return (await mesh.get("44", "/healthz")).json()["dead_notices"]["total"] == 1

    await mesh.wait_until(node_set_it_aside)
    [kept] = (await mesh.get("44", "/healthz")).json()["dead_notices"]["latest"]
    assert kept["subject"] == subjects.hub_out("44", "case_opened") and kept["deliveries"] == 1
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.dead_letters()["by_province"].get("44") == 1)
    [letter] = hub.dead_letters()["latest"]
    assert letter["code"].startswith("set_aside:") and str(case_id) in letter["message"]
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=33), name="钱十二")
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    await approve_fully(mesh, "44", created.json()["id"])
    await mesh.wait_until(lambda: hub.position("44") == 2)  # the report, then the registration
