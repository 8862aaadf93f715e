"""Stores written before `OpenRegistrations` (the sharded open lists) was removed still hold
its events; nothing reads them any more, and nothing may trip over them (AUD-3, AUD-4, AUD-5)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic

from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.schools import load_schools
from province_node.views.node import node_views
from simulations.demo import demo_schools
from xueji.eventlog import open_recorder, read_log
from xueji.store import sqlite_url, store_env
from xueji.verify import verify_log

META = CommandMeta.new("t", "44", "registrar")
OLD = "province_node.domain.registration:OpenRegistrations"


class _OpenList(Aggregate):
    """The removed aggregate's shape, to write its events as the old node did."""

    @event("Opened")
    def __init__(self, school_code: str, shard: int) -> None:
        self.registration_ids: list[UUID] = []

    @event("RegistrationAdded")
    def add(self, registration_id: UUID) -> None:
        self.registration_ids.append(registration_id)

    @event("RegistrationClosed")
    def close(self, registration_id: UUID) -> None:
        self.registration_ids.remove(registration_id)


def _old_open_list_events(node: ProvinceNode) -> list:
    """A shard's events as stored before the removal: under the old class's topics."""
    shard = _OpenList(school_code="3440106002", shard=3)
    entry = uuid5(NAMESPACE_URL, "an old registration")
    shard.add(registration_id=entry)
    shard.close(registration_id=entry)
    ours = get_topic(_OpenList).encode()
    stored = []
    for e in shard.collect_events():
        s = node.mapper.to_stored_event(e)
        topic = OLD + s.topic.rpartition(":")[2].removeprefix("_OpenList")
        stored.append(
            dataclasses.replace(s, topic=topic, state=s.state.replace(ours, OLD.encode()))
        )
    return stored


def test_aud3_aud4_a_store_holding_the_removed_open_lists_verifies_reads_and_rebuilds(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "prov44.sqlite")
    schools = demo_schools("44", date(2026, 11, 22))
    node = ProvinceNode("44", store_env(url))
    load_schools(node, schools[:2], META)
    old = _old_open_list_events(node)
    node.recorder.insert_events(old)  # through the chained recorder, as the old node wrote
    node.close()

    node = ProvinceNode("44", store_env(url))  # a node starts on such a store and goes on
    load_schools(node, schools[:3], META)
    views = node_views(node, sqlite_url(tmp_path / "prov44_views.sqlite"))
    try:
        for name in views.projectors:  # AUD-3: every view rebuilds past the unknown topics
            views.rebuild(name)
        assert {lag["lag"] for lag in views.lags().values()} == {0}
        assert node.schools()  # the node's own reads go on
    finally:
        views.close()
        node.close()

    verdict = verify_log(url)  # AUD-4: the chain holds, the old events included
    _, recorder = open_recorder(url)
    logged = list(read_log(recorder))  # AUD-5: the generic log reader decodes them
    assert verdict.intact and verdict.checked == len(logged)
    old_ones = [e for e in logged if e.topic.startswith(OLD)]
    assert [e.type for e in old_ones] == [
        "OpenRegistrations.Opened",
        "OpenRegistrations.RegistrationAdded",
        "OpenRegistrations.RegistrationClosed",
    ]
    assert old_ones[0].data["school_code"] == "3440106002"
