"""BUS-6 (issue 17 item 5): a province stream whose sequence goes backwards — deleted and
recreated, as when the province's server lost its store — is noticed by the hub, which stops
following it and raises an alarm instead of acking its new messages as duplicates.

Its own mesh: the hub checks the streams every 0.5 s here (`stream_check_seconds`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from nats.js.errors import NotFoundError

from contracts import subjects
from tests.support.console import console_session
from tests.support.mesh import Mesh, approve_fully
from tests.support.nats import PROVINCES, NatsServer
from tests.support.people import JUNIOR_SCHOOL, MINISTRY, REGISTRAR, registration, resident_id
from xueji.bus import ensure_stream

pytestmark = pytest.mark.asyncio(loop_scope="module")
REPUBLISH = "/api/v1/repairs/republish"
SYSADMIN = "moe_sysadmin"
ENROLLED = "hub.domain.identity:NationalIdentity.Enrolled"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mesh(module_nats: NatsServer, tmp_path_factory) -> AsyncIterator[Mesh]:
    os.environ["XUEJI_STREAM_CHECK_SECONDS"] = "0.5"
    stores = tmp_path_factory.mktemp("stores")
    urls = {s: f"sqlite:///{stores / f'{s}.sqlite'}" for s in ["hub", *PROVINCES]}
    mesh = Mesh(module_nats.url, urls, PROVINCES)
    try:
        await mesh.start_all()
        yield mesh
    finally:
        os.environ.pop("XUEJI_STREAM_CHECK_SECONDS", None)
        await mesh.stop_all()


async def _register(mesh: Mesh, province: str, sequence: int, name: str) -> None:
    body = registration(JUNIOR_SCHOOL[province], resident_id(sequence=sequence), name=name)
    created = await mesh.post(province, "/api/v1/registrations", as_=REGISTRAR[province],
                              json=body)  # fmt: skip
    assert created.status_code == 201, created.text
    await approve_fully(mesh, province, created.json()["id"])


async def _alarms(mesh: Mesh) -> list[dict]:
    return (await mesh.get("hub", "/healthz")).json()["stream_alarms"]


async def test_bus6_stream_gone_backwards_raises_an_alarm_and_is_never_acked_as_duplicate(
    mesh: Mesh, module_nats: NatsServer
) -> None:
    hub = mesh.runtime("hub").hub
    await _register(mesh, "44", 401, "冯一")
    await mesh.wait_until(lambda: hub.position("44") == 1)
    assert await _alarms(mesh) == []

    stream = subjects.province_stream("44")
    nc = await module_nats.connect()  # the test inspector: the stream lost and recreated
    try:
        await nc.jetstream().delete_stream(stream)
        await ensure_stream(nc, stream, [subjects.province_events("44")])

        async def alarmed() -> bool:
            return [a["province"] for a in await _alarms(mesh)] == ["44"]

        await mesh.wait_until(alarmed, timeout=30)
        (alarm,) = await _alarms(mesh)
        assert alarm["applied_position"] == 1 and alarm["stream_last_seq"] == 0
        assert alarm["reason"] in ("sequence_backwards", "stream_recreated")

        # 44's next event lands on the new stream as its sequence 1, which the hub applied
        # before (the old stream's): it must not be acked as a duplicate.
        await _register(mesh, "44", 402, "冯二")
        info = nc.jetstream()

        async def published() -> bool:
            return (await info.stream_info(stream)).state.last_seq == 1

        await mesh.wait_until(published)
        await _register(mesh, "34", 403, "冯三")  # the other provinces go on
        await mesh.wait_until(lambda: hub.position("34") == 1)
        assert hub.position("44") == 1  # nothing of the new stream taken
        try:
            consumer = await info.consumer_info(stream, subjects.HUB_DURABLE)
            assert consumer.ack_floor.stream_seq == 0 and consumer.num_ack_pending == 0
        except NotFoundError:
            pass  # not even a durable: the hub stopped before following it
        second = hub.national_student("冯二", id_number=resident_id(sequence=402))
        assert second["status"] != "enrolled"  # claimed by RPC; its registration not applied
    finally:
        await nc.close()

    health = (await mesh.get("hub", "/healthz")).json()
    assert [a["province"] for a in health["stream_alarms"]] == ["44"]
    assert health["restarts"]["total"] >= 0  # counted, whether or not the follower crashed
    async with console_session(mesh, MINISTRY, "hub") as console:
        page = await console.get("/monitoring")
    assert page.status_code == 200 and "事件流告警" in page.text
    assert "事件流" in alarm["label"] and alarm["label"] in page.text

    # The repair: 44 publishes its log again from its first notification, as a new epoch;
    # the hub follows the stream again, skips what it held from before, and applies the
    # republished ones once (冯一 was applied before: it stays enrolled once).
    refused = await mesh.post("hub", REPUBLISH, as_=MINISTRY,
                              json={"province": "44", "from_notification_id": 1})  # fmt: skip
    assert refused.status_code == 403  # the ministry sysadmin's only
    repaired = await mesh.post("hub", REPUBLISH, as_=SYSADMIN,
                               json={"province": "44", "from_notification_id": 1})  # fmt: skip
    assert repaired.status_code == 200, repaired.text
    assert repaired.json()["epoch"] == 1 and repaired.json()["alarm"]["province"] == "44"

    def enrolled() -> bool:
        found = hub.national_student("冯二", id_number=resident_id(sequence=402))
        return found is not None and found["status"] == "enrolled"

    await mesh.wait_until(enrolled, timeout=30)
    assert await _alarms(mesh) == []
    first = hub.national_student("冯一", id_number=resident_id(sequence=401))
    assert first["status"] == "enrolled" and first["province"] == "44"
    assert _enrolled_of(hub, "44") == 2  # 冯一 once, 冯二 once
    again = await mesh.post("hub", REPUBLISH, as_=SYSADMIN,
                            json={"province": "44", "from_notification_id": 1})  # fmt: skip
    assert again.status_code == 409 and again.json()["code"] == "no_alarm"

    await _register(mesh, "44", 405, "冯五")  # and 44 goes on as before

    def fifth() -> bool:
        found = hub.national_student("冯五", id_number=resident_id(sequence=405))
        return found is not None and found["status"] == "enrolled"

    await mesh.wait_until(fifth, timeout=30)
    assert _enrolled_of(hub, "44") == 3


def _enrolled_of(hub, province: str) -> int:
    """How many times the hub enrolled a student of `province` (NationalIdentity.Enrolled)."""
    enrolled = hub.recorder.select_notifications(start=1, limit=10_000, topics=[ENROLLED])
    return sum(hub.mapper.to_domain_event(n).province == province for n in enrolled)


async def test_issue17_healthz_shows_outbox_backlog_and_consumer_lag(mesh: Mesh) -> None:
    hub = mesh.runtime("hub").hub
    await _register(mesh, "37", 404, "冯四")
    await mesh.wait_until(lambda: hub.position("37") >= 1)

    async def settled() -> bool:
        node = (await mesh.get("37", "/healthz")).json()
        lag = (await mesh.get("hub", "/healthz")).json()["consumer_lag"]["37"]
        return node["outbox_backlog"] == 0 and lag == {"pending": 0, "unacked": 0}

    await mesh.wait_until(settled)
    node = (await mesh.get("37", "/healthz")).json()
    assert node["consumer_lag"] == {"pending": 0, "unacked": 0}  # its durable on HUB_OUT
    assert node["restarts"] == {"total": 0, "by_task": {}, "last_errors": {}}
    health = (await mesh.get("hub", "/healthz")).json()
    assert health["outbox_backlog"] == 0
    assert set(health["consumer_lag"]) == set(PROVINCES)
