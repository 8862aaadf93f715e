"""AUD-4 on PostgreSQL: the same chain, hub heads and verification as on SQLite."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, text

from contracts.envelope import Actor, Envelope
from contracts.events import EventSource, StudentRegistered
from contracts.meta import CommandMeta
from hub.application import NationalHub
from province_node.application import ProvinceNode
from province_node.schools import load_schools
from simulations.demo import demo_schools
from tests.support.people import resident_id
from tests.support.postgres import fresh_database
from xueji.store import store_env
from xueji.verify import verify_log

pytestmark = pytest.mark.postgres


def _registered(sequence: int, notification_id: int, chain_hash: str) -> bytes:
    id_number = resident_id(sequence=sequence)
    source = EventSource(
        province="44",
        application="prov44",
        notification_id=notification_id,
        aggregate_id=uuid4(),
        aggregate_version=1,
        occurred_at=datetime.now(UTC),
        chain_hash=chain_hash,
    )
    message = StudentRegistered(
        envelope=Envelope(actor=Actor(account="t", unit_code="44", role="registrar")),
        source=source,
        registration_id=uuid4(),
        student_number=f"G{id_number}",
        dedup_key=f"id:{id_number}",
        id_type="1",
        id_number=id_number,
        name="张三",
        school_code="3440106002",
        class_code="2026201",
    )
    return message.model_dump_json().encode()


def test_aud4_chain_and_hub_heads_on_postgres(postgres_url: str) -> None:
    node_url = fresh_database(postgres_url, "aud4_prov44")
    hub_url = fresh_database(postgres_url, "aud4_hub")
    node = ProvinceNode("44", store_env(node_url))
    hub = NationalHub(store_env(hub_url))
    try:  # one save of many aggregates: the directory and every school with its classes
        load_schools(node, demo_schools("44", date(2026, 11, 22)), CommandMeta.new("t", "44", "r"))
        links = node.recorder.select_notifications(start=1, limit=10_000)
        assert len(links) > 10 and all(n.chain_hash for n in links)
        for sequence, link in enumerate(links[:2], start=1):
            data = _registered(sequence, link.id, link.chain_hash)
            assert hub.apply_province_message("44", sequence, "xueji.evt.44.x", data) == "applied"
        head = hub.recorder.seen_heads()["prov_44"]
        assert (head["notification_id"], head["hash"]) == (links[1].id, links[1].chain_hash)
    finally:
        node.close()
        hub.close()
    assert verify_log(node_url, hub_url=hub_url).intact
    assert verify_log(hub_url).intact

    engine = create_engine(store_env(node_url)["SQLALCHEMY_URL"])
    with engine.begin() as db:
        db.execute(
            text("UPDATE prov44_events SET state = state || '\\x20'::bytea WHERE id = :i"),
            {"i": links[5].id},
        )
    engine.dispose()
    verdict = verify_log(node_url, hub_url=hub_url)
    assert verdict.broken is not None
    assert (verdict.broken.notification_id, verdict.broken.reason) == (links[5].id, "hash_mismatch")
