"""SEC-5 and BUS-1 on a real nats-server with real certificates: every connection is TLS with
a client certificate, and each client's user may use only its own subjects. Province 34's
node tries to act as 44, as the hub, or as a registry: the server refuses each attempt
(a permissions violation) and nothing changes."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import nats
import pytest
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig

from contracts import subjects
from contracts.commands import ClaimIdentity
from contracts.envelope import Actor, Envelope
from contracts.queries import CalendarYearsQuery
from tests.support.mesh import Mesh, approve_fully
from tests.support.nats import STRANGER, NatsServer
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id
from xueji.pki import LocalPki

OTHER = "44"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the bus's permissions do not depend on the store
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


class Province34:
    """A connection with province 34's certificate that records the server's refusals."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.nc: Client

    async def on_error(self, exc: Exception) -> None:
        self.errors.append(str(exc))

    async def refused(self, kind: str, subject: str) -> None:
        """Waits for the server's `Permissions Violation for <kind> to "<subject>"`."""
        expected = f'permissions violation for {kind} to "{subject}"'.lower()
        for _ in range(100):
            if any(expected in e for e in self.errors):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"no violation {expected!r}; server said {self.errors}")


@pytest.fixture
async def province34(nats_server: NatsServer) -> AsyncIterator[Province34]:
    conn = Province34()
    conn.nc = await nats_server.connect(subjects.province_client("34"), error_cb=conn.on_error)
    try:
        yield conn
    finally:
        await conn.nc.close()


async def _registered_in_44(mesh: Mesh) -> None:
    body = registration(JUNIOR_SCHOOL[OTHER], resident_id(sequence=41), name="冯四")
    created = await mesh.post(OTHER, "/api/v1/registrations", as_=REGISTRAR[OTHER], json=body)
    await approve_fully(mesh, OTHER, created.json()["id"])
    await mesh.wait_until(lambda: mesh.runtime("hub").hub.position(OTHER) == 1)


async def _stream_messages(nats_server: NatsServer, stream: str) -> int:
    nc = await nats_server.connect()  # the test inspector
    try:
        return (await nc.jetstream().stream_info(stream)).state.messages
    finally:
        await nc.close()


def _claim(province: str, school: str, unit: str) -> bytes:
    claim = ClaimIdentity(
        envelope=Envelope(actor=Actor(account="t", unit_code=unit, role="registrar")),
        province=province,
        registration_id=uuid4(),
        dedup_key=f"id:{resident_id(sequence=42)}",
        id_type="1",
        id_number=resident_id(sequence=42),
        name="陈五",
        school_code=school,
    )
    return claim.model_dump_json().encode()


async def _unanswered(nc: Client, subject: str, data: bytes) -> None:
    with pytest.raises((NatsTimeout, NoRespondersError)):
        await nc.request(subject, data, timeout=0.5)


# --- certificates --------------------------------------------------------------------------


async def _connect_fails(url: str, **options: object) -> None:
    with pytest.raises(Exception) as failed:  # noqa: B017 - TLS, auth or no-server: all refusals
        nc = await nats.connect(
            url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **options
        )
        await nc.close()
    assert failed.value is not None


async def test_sec5_client_without_certificate_is_refused(nats_server: NatsServer) -> None:
    await _connect_fails(nats_server.url)  # plain TCP: the server requires TLS
    only_ca = ssl.create_default_context(cafile=str(nats_server.pki.ca_file))
    await _connect_fails(nats_server.url, tls=only_ca)  # TLS, but no client certificate
    # The same client with its certificate is let in: what was missing is the certificate.
    nc = await nats_server.connect(subjects.province_client("34"))
    assert nc.is_connected
    await nc.close()


async def test_sec5_certificate_of_another_ca_is_refused(
    nats_server: NatsServer, tmp_path: Path
) -> None:
    # A look-alike PKI: a client named prov34 too, signed by a CA the server does not trust.
    rogue = LocalPki(tmp_path / "rogue").ensure(servers=[], clients=["prov34"]).client("prov34")
    context = ssl.create_default_context(cafile=str(nats_server.pki.ca_file))
    context.load_cert_chain(str(rogue.cert), str(rogue.key))
    await _connect_fails(nats_server.url, tls=context)


async def test_sec5_certificate_mapped_to_no_user_is_refused(nats_server: NatsServer) -> None:
    files = nats_server.tls(STRANGER)  # our CA signed it, but no NATS user has its name
    context = ssl.create_default_context(cafile=str(files.ca))
    context.load_cert_chain(str(files.cert), str(files.key))
    await _connect_fails(nats_server.url, tls=context)


# --- province 34 acting as 44, as the hub or as a registry -----------------------------------


async def test_bus1_province_cannot_publish_another_provinces_events(
    mesh: Mesh, nats_server: NatsServer, province34: Province34
) -> None:
    await _registered_in_44(mesh)
    stored = await _stream_messages(nats_server, subjects.province_stream(OTHER))
    subject = subjects.province_event(OTHER, "student", "registered")
    await _unanswered(province34.nc, subject, b"{}")  # a JetStream publish is a request
    await province34.nc.publish(subject, b"{}")
    await province34.refused("publish", subject)
    await province34.nc.flush()
    await asyncio.sleep(0.3)
    assert await _stream_messages(nats_server, subjects.province_stream(OTHER)) == stored
    assert mesh.runtime("hub").hub.position(OTHER) == 1


async def test_sec5_province_cannot_ask_the_hub_as_another_province(
    mesh: Mesh, province34: Province34
) -> None:
    subject = subjects.hub_rpc(OTHER, subjects.HUB_IDENTITY_CLAIM)
    await _unanswered(province34.nc, subject, _claim(OTHER, JUNIOR_SCHOOL[OTHER], OTHER))
    await province34.refused("publish", subject)
    # Nothing was claimed: 44 itself finds the identity free.
    claim = await mesh.runtime(OTHER).bus.nc.request(
        subject, _claim(OTHER, JUNIOR_SCHOOL[OTHER], OTHER), timeout=5
    )
    assert json.loads(claim.data)["outcome"] == "free"


async def test_sec1_sec5_province_cannot_ask_another_for_its_counts_or_records(
    mesh: Mesh, province34: Province34
) -> None:
    """The bus side of the jurisdiction matrix (issue 18 item 10): only the hub asks a
    province node for its counts (QRY-6) or a record's summary (QRY-4); 34 asking 44 is
    refused by the server, and 44's node never sees the request."""
    for subject in [
        subjects.province_count_students(OTHER),
        subjects.prov_record_summary(OTHER),
        subjects.prov_case_prepare(OTHER),
    ]:
        await _unanswered(province34.nc, subject, b"{}")
        await province34.refused("publish", subject)


async def test_sec5_hub_refuses_a_body_speaking_for_another_province(
    mesh: Mesh, province34: Province34
) -> None:
    """On its own subject, 34 names 44 (or a unit of 44) in the body: the hub takes the
    acting province from the subject and refuses, before anything is claimed."""
    subject = subjects.hub_rpc("34", subjects.HUB_IDENTITY_CLAIM)
    forgeries = [
        (_claim(OTHER, JUNIOR_SCHOOL[OTHER], OTHER), "province"),
        (_claim("34", JUNIOR_SCHOOL[OTHER], "34"), "school_code"),
        (_claim("34", JUNIOR_SCHOOL["34"], JUNIOR_SCHOOL[OTHER]), "envelope.actor.unit_code"),
    ]
    for body, field in forgeries:
        error = json.loads((await province34.nc.request(subject, body, timeout=5)).data)["error"]
        assert (error["code"], error["field"], error["status"]) == ("forged_province", field, 403)
        assert "发送方证书" in error["message"]
    honest = _claim("34", JUNIOR_SCHOOL["34"], "34")
    assert (
        json.loads((await province34.nc.request(subject, honest, timeout=5)).data)["outcome"]
        == "free"
    )


async def test_sec5_province_cannot_join_queue_groups_of_others(
    mesh: Mesh, province34: Province34
) -> None:
    groups = [
        (subjects.prov_case_prepare(OTHER), subjects.PROV_QUEUE),  # 44's node
        (subjects.province_count_students(OTHER), subjects.province_queue(OTHER)),
        (subjects.hub_rpc("34", subjects.HUB_CASE_DECIDE), subjects.HUB_QUEUE),  # the hub
        (subjects.POP_AUTHENTICATE, subjects.POP_QUEUE),  # the population registry
        (subjects.PRESCHOOL_MATCH, subjects.PRESCHOOL_QUEUE),
    ]
    answered: list[str] = []

    async def impostor(msg) -> None:
        answered.append(msg.subject)
        await msg.respond(b'{"error": {"code": "impostor", "message": "x"}}')

    for subject, queue in groups:
        await province34.nc.subscribe(subject, queue=queue, cb=impostor)
        await province34.refused("subscription", subject)
    # The real members still answer, and only they: the hub asks 44 for its counts.
    for _ in range(5):
        counts = await mesh.get(
            "hub",
            "/api/v1/national/statistics/students",
            as_="moe_registrar",
            params={"by": "region"},
        )
        assert counts.status_code == 200, counts.text
    assert answered == []


async def test_sec5_province_cannot_listen_to_others(mesh: Mesh, province34: Province34) -> None:
    for subject in [
        subjects.hub_out_for(OTHER),  # 44's notices
        f"{subjects.inbox_prefix(subjects.HUB_CLIENT)}.>",  # the replies to the hub
        f"{subjects.inbox_prefix(subjects.province_client(OTHER))}.>",  # … and to 44
        "_INBOX.>",
        f"{subjects.EVENT_PREFIX}.>",
        f"{subjects.RPC_HUB_PREFIX}.>",
    ]:
        await province34.nc.subscribe(subject)
        await province34.refused("subscription", subject)


async def test_sec5_province_cannot_publish_hub_notices(
    mesh: Mesh, nats_server: NatsServer, province34: Province34
) -> None:
    """A forged `archive_delivered` would create a student in 44: the server drops it."""
    stored = await _stream_messages(nats_server, subjects.HUB_OUT_STREAM)
    subject = subjects.hub_out(OTHER, "archive_delivered")
    await _unanswered(province34.nc, subject, b"{}")
    await province34.nc.publish(subjects.hub_out("34", "archive_delivered"), b"{}")
    await province34.refused("publish", subject)
    await province34.refused("publish", subjects.hub_out("34", "archive_delivered"))
    assert await _stream_messages(nats_server, subjects.HUB_OUT_STREAM) == stored


async def test_sec5_province_cannot_read_another_provinces_notices_through_jetstream(
    mesh: Mesh, province34: Province34
) -> None:
    js = province34.nc.jetstream(timeout=0.5)
    other = subjects.hub_out_durable(OTHER)
    with pytest.raises(NatsTimeout):  # 44's durable
        await js.consumer_info(subjects.HUB_OUT_STREAM, other)
    await province34.refused("publish", f"$JS.API.CONSUMER.INFO.{subjects.HUB_OUT_STREAM}.{other}")
    with pytest.raises(NatsTimeout):  # reading a stream's messages directly
        await js.get_msg(subjects.HUB_OUT_STREAM, 1)
    await province34.refused("publish", f"$JS.API.STREAM.MSG.GET.{subjects.HUB_OUT_STREAM}")


async def test_sec5_province_cannot_delete_or_change_streams(
    mesh: Mesh, nats_server: NatsServer, province34: Province34
) -> None:
    await _registered_in_44(mesh)
    for api in [
        f"STREAM.DELETE.{subjects.province_stream(OTHER)}",
        f"STREAM.DELETE.{subjects.province_stream('34')}",  # not even its own
        f"STREAM.PURGE.{subjects.province_stream(OTHER)}",
        f"STREAM.DELETE.{subjects.HUB_OUT_STREAM}",
        f"STREAM.UPDATE.{subjects.province_stream(OTHER)}",
        f"STREAM.CREATE.{subjects.province_stream('34')}",
        f"CONSUMER.DELETE.{subjects.province_stream(OTHER)}.{subjects.HUB_DURABLE}",
    ]:
        subject = f"$JS.API.{api}"
        await _unanswered(province34.nc, subject, b"{}")
        await province34.refused("publish", subject)
    assert await _stream_messages(nats_server, subjects.province_stream(OTHER)) == 1
    # The hub still follows 44: the next registration arrives.
    body = registration(JUNIOR_SCHOOL[OTHER], resident_id(sequence=43), name="褚六")
    created = await mesh.post(OTHER, "/api/v1/registrations", as_=REGISTRAR[OTHER], json=body)
    await approve_fully(mesh, OTHER, created.json()["id"])
    await mesh.wait_until(lambda: mesh.runtime("hub").hub.position(OTHER) == 2)


async def test_sec5_province_cannot_create_or_change_consumers(
    mesh: Mesh, province34: Province34
) -> None:
    """Only the hub makes consumers: a province could otherwise filter another's notices, or
    make its own durable push messages to any subject (e.g. `xueji.rpc.hub.44.…`)."""
    js = province34.nc.jetstream(timeout=0.5)
    own = subjects.hub_out_durable("34")
    push = ConsumerConfig(
        name=own,
        durable_name=own,
        filter_subject=subjects.hub_out_for("34"),
        deliver_subject=subjects.hub_rpc(OTHER, subjects.HUB_CASE_DECIDE),
    )
    with pytest.raises(NatsTimeout):
        await js.add_consumer(subjects.HUB_OUT_STREAM, push)
    stream = subjects.HUB_OUT_STREAM
    await province34.refused(
        "publish", f"$JS.API.CONSUMER.CREATE.{stream}.{own}.{subjects.hub_out_for('34')}"
    )
    for api in [
        f"CONSUMER.CREATE.{stream}.{own}.{subjects.hub_out_for(OTHER)}",  # 44's notices
        f"CONSUMER.DURABLE.CREATE.{stream}.{own}",  # the legacy form
        f"CONSUMER.CREATE.{stream}",  # an ephemeral one
        f"CONSUMER.DELETE.{stream}.{own}",
    ]:
        await _unanswered(province34.nc, f"$JS.API.{api}", b"{}")
        await province34.refused("publish", f"$JS.API.{api}")
    # Its own durable is still the hub's, and still a pull consumer.
    info = await mesh.runtime("hub").bus.nc.jetstream().consumer_info(stream, own)
    assert info.config.deliver_subject is None
    assert info.config.filter_subject == subjects.hub_out_for("34")


async def test_sec5_answers_cannot_be_steered_into_another_provinces_subjects(
    mesh: Mesh, nats_server: NatsServer, province34: Province34
) -> None:
    """34 asks the hub with a reply subject of 44's notices or events: the hub answers, the
    server refuses the answer (replies go only to inboxes), nothing lands in 44's streams."""
    await _registered_in_44(mesh)
    notices = await _stream_messages(nats_server, subjects.HUB_OUT_STREAM)
    subject = subjects.hub_rpc("34", subjects.HUB_CALENDAR_YEARS)
    query = CalendarYearsQuery(
        envelope=Envelope(actor=Actor(account="t", unit_code="34", role="sysadmin"))
    )
    body = query.model_dump_json().encode()
    for steered in (
        subjects.hub_out(OTHER, "archive_delivered"),
        subjects.province_event(OTHER, "student", "registered"),
        subjects.hub_rpc(OTHER, subjects.HUB_CASE_DECIDE),
    ):
        await province34.nc.publish(subject, body, reply=steered)
    # The hub answers its requests in order: once this one is answered, so were those.
    answered = await province34.nc.request(subject, body, timeout=5)
    assert json.loads(answered.data)["kind"] == "CalendarYears"
    await asyncio.sleep(0.3)
    assert await _stream_messages(nats_server, subjects.HUB_OUT_STREAM) == notices
    assert await _stream_messages(nats_server, subjects.province_stream(OTHER)) == 1
    assert mesh.runtime("hub").hub.position(OTHER) == 1
