"""REG-4/REG-5 for import chunks on a real nats-server: the batch claim on the hub and the
batch authentication (one request per chunk each), their typed errors (BUS-1), and the rules
of a single entry kept row by row."""

from __future__ import annotations

import json
from uuid import uuid4, uuid5

import pytest
import structlog

from contracts import subjects
from contracts.commands import AuthenticateIdentity, ClaimIdentities, ClaimIdentity
from contracts.envelope import Actor, Envelope
from province_node.imports import _NS as IMPORT_NS
from simulations.demo import school_code
from simulations.excel import filled
from simulations.population import person
from tests.support.mesh import Mesh
from tests.support.nats import NatsServer
from tests.support.people import JUNIOR_SCHOOL, registration, resident_id
from tests.support.people import REGISTRAR as JUNIOR_REGISTRAR

PRIMARY = school_code("440106", 1)
REGISTRAR = f"{PRIMARY}_registrar"
PATH = "/api/v1/registrations"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the contract does not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _envelope() -> Envelope:
    return Envelope(actor=Actor(account="t", unit_code="44", role="registrar"))


def _claim(sequence: int, registration_id=None) -> ClaimIdentity:
    number = resident_id(sequence=sequence)
    return ClaimIdentity(
        envelope=_envelope(),
        province="44",
        registration_id=registration_id or uuid4(),
        dedup_key=f"id:{number}",
        id_type="1",
        id_number=number,
        name="孙八",
        school_code=PRIMARY,
    )


CLAIM_BATCH = subjects.hub_rpc("44", subjects.HUB_IDENTITY_CLAIM_BATCH)


def _batch(*claims: ClaimIdentity) -> dict:
    return json.loads(ClaimIdentities(envelope=_envelope(), items=list(claims)).model_dump_json())


async def _ask(nats_server: NatsServer, subject: str, payload: dict | bytes) -> dict:
    """Asks as province 44's node (its certificate, its subjects)."""
    nc = await nats_server.connect(subjects.province_client("44"))
    try:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return json.loads((await nc.request(subject, data, timeout=5)).data)
    finally:
        await nc.close()


async def test_reg5_batch_claim_first_row_wins_over_the_bus(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    batch = _batch(_claim(61), _claim(61), _claim(62))
    reply = await _ask(nats_server, CLAIM_BATCH, batch)
    assert [r["outcome"] for r in reply["replies"]] == ["free", "conflict", "free"]
    again = await _ask(nats_server, CLAIM_BATCH, batch)
    assert again == reply  # BUS-2: the same chunk answers the same


def _bad_item(payload: dict) -> dict:
    payload["items"][1]["colour"] = "blue"
    return payload


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        (b"{not json", "malformed", "message"),
        (_batch(_claim(63)) | {"items": []}, "bad_message", "items"),
        (_batch(_claim(63)) | {"version": 2}, "unsupported_version", "version"),
        (_bad_item(_batch(_claim(63), _claim(64))), "unknown_field", "items.1.colour"),
    ],
)
async def test_bus1_malformed_batch_claim_gets_typed_error_reply_and_claims_nothing(
    mesh: Mesh, nats_server: NatsServer, payload: dict | bytes, code: str, field: str
) -> None:
    error = (await _ask(nats_server, CLAIM_BATCH, payload))["error"]
    assert (error["code"], error["field"]) == (code, field)
    # Nothing of a refused batch was claimed: another registration gets both identities.
    reply = await _ask(nats_server, CLAIM_BATCH, _batch(_claim(63), _claim(64)))
    assert [r["outcome"] for r in reply["replies"]] == ["free", "free"]


async def test_reg5_batch_authentication_answers_item_by_item(
    mesh: Mesh, nats_server: NatsServer
) -> None:
    known = person("44", 3)
    items = [
        AuthenticateIdentity(envelope=_envelope(), id_number=known.id_number, name=known.name),
        AuthenticateIdentity(envelope=_envelope(), id_number=known.id_number, name="冒名顶替"),
        AuthenticateIdentity(envelope=_envelope(), id_number=resident_id(sequence=65), name="某"),
    ]
    batch = {
        "kind": "AuthenticateIdentities",
        "envelope": json.loads(_envelope().model_dump_json()),
        "items": [json.loads(i.model_dump_json()) for i in items],
    }
    reply = await _ask(nats_server, subjects.POP_AUTHENTICATE_BATCH, batch)
    assert [r["outcome"] for r in reply["replies"]] == ["match", "mismatch", "not_found"]
    bad = await _ask(nats_server, subjects.POP_AUTHENTICATE_BATCH, batch | {"items": "x"})
    assert bad["error"]["field"] == "items"


async def _import(mesh: Mesh, rows: list[dict], headers: dict | None = None) -> dict:
    template = await mesh.get(
        "44", f"{PATH}/templates/resident", as_=REGISTRAR, params={"entry": "primary"}
    )
    response = await mesh.post(
        "44",
        f"{PATH}/import",
        as_=REGISTRAR,
        files={"file": ("新生.xlsx", filled(template.content, rows))},
        data={"entry": "primary", "id_group": "resident"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _row(someone, name: str | None = None) -> dict:
    return {
        "姓名": name or someone.name,
        "身份证件类型": "1-居民身份证",
        "身份证件号": someone.id_number,
        "民族": "01-汉族",
        "班号": "2026101",
    }


async def test_reg5_import_two_rows_of_one_person_first_row_wins(mesh: Mesh) -> None:
    """In one file the reader refuses the later row; in a later file the hub's dedup does,
    while the rows around it go on. Only the first is in review."""
    twin, other, third = person("44", 11), person("44", 12), person("44", 13)
    record = await _import(mesh, [_row(twin), _row(other), _row(twin)])
    assert (record["result"], record["passed"], record["failed"]) == ("处理失败", 2, 1)
    assert [p["row"] for p in record["problems"] if p["blocking"]] == [4]

    record = await _import(mesh, [_row(third), _row(twin)])
    assert (record["passed"], record["failed"]) == (1, 1)
    problem = next(p for p in record["problems"] if p["blocking"])
    assert problem["row"] == 3 and "全国查重未通过" in problem["messages"][0]
    pending = (await mesh.get("44", f"{PATH}/pending", as_=f"{PRIMARY}_approver")).json()
    names = sorted(i["name"] for i in pending["items"])
    assert names == sorted([twin.name, other.name, third.name])


async def test_reg5_import_rows_keep_the_authentication_rules(mesh: Mesh) -> None:
    """Per row as for a single entry: a known resident gets a G number, a name mismatch an
    L number and a problem record; with the province switch on, the mismatch is refused."""
    known, mismatched = person("44", 21), person("44", 22)
    record = await _import(mesh, [_row(known), _row(mismatched, name="冒名顶替")])
    assert (record["passed"], record["failed"]) == (2, 0)
    registrations = await mesh.runtime("44").registrations.open_registrations([PRIMARY], None)
    numbers = {r["name"]: (r["student_number"], r["problem_record_id"]) for r in registrations}
    assert numbers[known.name] == ("G" + known.id_number, None)
    assert numbers["冒名顶替"][0].startswith("L") and numbers["冒名顶替"][1] is not None

    await mesh.patch(
        "44", "/api/v1/admin/switches", as_="440000_sysadmin", json={"auth_failure_blocks": True}
    )
    refused = await _import(mesh, [_row(person("44", 23), name="又一个冒名")])
    assert (refused["passed"], refused["failed"]) == (0, 1)
    assert "身份认证未通过" in refused["problems"][0]["messages"][0]


async def test_reg4_a_chunk_with_rows_recorded_before_is_recorded_row_by_row(mesh: Mesh) -> None:
    """BUS-2: a row whose registration exists already (same command id) makes the chunk's
    one transaction collide; the chunk is then recorded row by row and nothing doubles."""
    key = "0d6c3b1e-0000-4000-8000-000000000123"
    row_2 = str(uuid5(uuid5(IMPORT_NS, key), "2"))
    early = person("44", 32)  # the same child, entered once before under row 2's command id
    body = registration(JUNIOR_SCHOOL["44"], early.id_number, name=early.name)
    first = await mesh.post(
        "44", PATH, as_=JUNIOR_REGISTRAR["44"], json=body, headers={"Idempotency-Key": row_2}
    )
    assert first.status_code == 201, first.text
    rows = [_row(early), _row(person("44", 33))]
    with structlog.testing.capture_logs() as captured:
        record = await _import(mesh, rows, headers={"Idempotency-Key": key})
    assert any(e["event"] == "import_chunk_row_by_row" for e in captured)
    assert (record["result"], record["passed"], record["done"]) == ("处理成功", 2, 2)
    node = mesh.runtime("44").node
    submitted = node.recorder.select_notifications(
        start=1, limit=1000, topics=["province_node.domain.registration:Registration.Submitted"]
    )
    assert len(submitted) == 2  # the early single entry and row 3; row 2 was not stored again


async def _switch(mesh: Mesh, **switches: bool) -> None:
    changed = await mesh.patch("44", "/api/v1/admin/switches", as_="440000_sysadmin", json=switches)
    assert changed.status_code == 200, changed.text


async def test_reg10_closed_period_refuses_every_imported_row(mesh: Mesh) -> None:
    await _switch(mesh, registration_open=False)
    record = await _import(mesh, [_row(person("44", 41)), _row(person("44", 42))])
    assert (record["passed"], record["failed"]) == (0, 2)
    assert all("未开放" in p["messages"][0] for p in record["problems"])
    assert await mesh.runtime("44").registrations.open_registrations([PRIMARY], None) == []


async def test_reg5_import_with_instant_dedup_off_defers_every_row(mesh: Mesh) -> None:
    await _switch(mesh, instant_dedup=False)
    record = await _import(mesh, [_row(person("44", 43))])
    assert (record["passed"], record["failed"]) == (1, 0)
    runtime = mesh.runtime("44")
    [stored] = await runtime.registrations.open_registrations([PRIMARY], None)
    assert (stored["status"], stored["dedup_status"], stored["auth_status"]) == (
        "submitted",
        "pending",
        "passed",
    )


async def test_reg5_import_while_the_hub_is_away_stores_nothing_and_says_so(mesh: Mesh) -> None:
    await mesh.stop("hub")
    record = await _import(mesh, [_row(person("44", 44)), _row(person("44", 45))])
    assert (record["passed"], record["failed"]) == (0, 2)
    assert all("暂时无法连接全国查重服务" in p["messages"][0] for p in record["problems"])
    runtime = mesh.runtime("44")
    assert await runtime.registrations.open_registrations([PRIMARY], None) == []
