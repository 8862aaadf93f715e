"""Nothing lost, nothing twice over a real nats-server: BUS-2 (idempotent), BUS-3 (store first,
publish from the store), BUS-4 (durable consumers catch up), NFR-4 (faults)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from contracts import subjects
from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.registration import NationalChecks
from province_node.domain.registration_rules import RegistrationForm, validate_registration
from province_node.registrations import RegistrationService
from province_node.reviews import ReviewService
from tests.support.mesh import Mesh, approve_fully
from tests.support.nats import NatsServer
from tests.support.people import JUNIOR_SCHOOL, MINISTRY, REGISTRAR, registration, resident_id
from xueji.store import store_env

ENROLLED_TOPIC = "hub.domain.identity:NationalIdentity.Enrolled"


def _commit_without_publishing(store_url: str, count: int, key: str | None) -> list[str]:
    """What a node does before it dies: events committed, the outbox never ran (with the
    store's key: PostgreSQL stores are encrypted, SEC-7)."""
    node = ProvinceNode("44", store_env(store_url, key))
    # the services' writer-side steps, called on this thread: no writer, hub or registry here
    entry = RegistrationService(node, *[None] * 8)
    review = ReviewService(node, None, None, None, None)
    ids = []
    for sequence in range(count):
        id_number = resident_id(born=date(2014, 5, 1), sequence=600 + sequence)
        form = RegistrationForm(
            entry="non_primary",
            id_type="1",
            id_number=id_number,
            name="赵六",
            school_code=JUNIOR_SCHOOL["44"],
            class_code="2026201",
        )
        valid = validate_registration(form, today=date(2026, 11, 22))
        school = JUNIOR_SCHOOL["44"]
        chain = [{"level": "school", "unit_code": school, "unit_name": "学校"}]
        created = entry.record_checked(
            valid, NationalChecks(), chain, CommandMeta.new("t", school, "registrar")
        )
        review._decide_one(
            UUID(created["id"]),
            True,
            None,
            "2026-11-22T10:00:00+08:00",
            CommandMeta.new("a", school, "approver"),
        )
        review._report([UUID(created["id"])], CommandMeta.new("t", school, "registrar"))
        ids.append(id_number)
    return ids


def _enrolled_count(mesh: Mesh) -> int:
    hub = mesh.runtime("hub").hub
    return len(hub.recorder.select_notifications(start=1, limit=10_000, topics=[ENROLLED_TOPIC]))


async def test_bus3_hub_killed_between_commit_and_publish_catches_up_exactly_once(
    mesh: Mesh, store_urls: dict[str, str]
) -> None:
    await mesh.stop("hub")
    await mesh.stop("44")
    ids = _commit_without_publishing(store_urls["44"], 3, mesh.cipher_key)

    await mesh.start("44")  # the relay publishes what was committed, though the hub is down
    await mesh.wait_until(lambda: mesh.runtime("44").relay.published == 3)

    await mesh.start("hub")  # the durable consumer delivers what the hub missed
    await mesh.wait_until(lambda: mesh.runtime("hub").hub.position("44") == 3)
    for id_number in ids:
        found = await mesh.get(
            "hub",
            "/api/v1/national/students",
            as_=MINISTRY,
            params={"name": "赵六", "id_number": id_number},
        )
        assert found.status_code == 200 and found.json()["province"] == "44"
    assert _enrolled_count(mesh) == 3

    await mesh.stop("hub")
    await mesh.start("hub")  # a restart re-reads nothing twice
    await mesh.wait_until(lambda: mesh.runtime("hub").bus.connected)
    assert mesh.runtime("hub").hub.position("44") == 3
    assert _enrolled_count(mesh) == 3


async def test_nfr4_message_delivered_twice_is_applied_once(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=901), name="钱七")
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    await approve_fully(mesh, "44", created.json()["id"])
    await mesh.wait_until(lambda: mesh.runtime("hub").hub.position("44") == 1)

    nc = await nats_server.connect()  # the test inspector
    try:
        js = nc.jetstream()
        stored = await js.get_msg(subjects.province_stream("44"), 1)
        # The relay restarting after a crash republishes with the same id: JetStream drops it.
        again = await js.publish(stored.subject, stored.data, headers=stored.headers)
        assert again.duplicate
        # Published again after the duplicate window: a new stream message, same content.
        late = await js.publish(stored.subject, stored.data)
        assert late.seq == 2
    finally:
        await nc.close()
    await mesh.wait_until(lambda: mesh.runtime("hub").hub.position("44") == 2)
    assert _enrolled_count(mesh) == 1


async def test_nfr4_nats_restart_refuses_cleanly_then_resumes(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    node = mesh.runtime("44").node
    await mesh.login("44", REGISTRAR["44"])  # a login is stored too: do it before counting
    before = node.recorder.max_notification_id()
    nats_server.stop()
    await mesh.wait_until(lambda: not mesh.runtime("44").bus.connected)

    refused = await mesh.post(
        "44",
        "/api/v1/registrations",
        as_=REGISTRAR["44"],
        json=registration(JUNIOR_SCHOOL["44"], resident_id(sequence=55)),
    )
    assert refused.status_code == 503 and refused.json()["code"] == "hub_unavailable"
    assert node.recorder.max_notification_id() == before  # nothing stored
    health = await mesh.get("44", "/healthz")
    assert health.status_code == 503 and health.json()["nats"] == "down"

    nats_server.start()
    await mesh.wait_until(lambda: all(mesh.runtime(s).bus.connected for s in ["hub", "44"]))
    await mesh.wait_until(_answers(mesh), timeout=20)
    registration_id = (await mesh.get("44", "/api/v1/registrations", as_=REGISTRAR["44"])).json()[
        "items"
    ][0]["id"]
    await approve_fully(mesh, "44", registration_id)
    await mesh.wait_until(lambda: mesh.runtime("hub").hub.position("44") == 1)


def _answers(mesh: Mesh):
    async def check() -> bool:
        body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=55))
        response = await mesh.post(
            "44",
            "/api/v1/registrations",
            as_=REGISTRAR["44"],
            json=body,
            headers={"Idempotency-Key": "0b6f3c2e-7d0a-4a57-9d1e-3c1f00000055"},
        )
        return response.status_code == 201

    return check
