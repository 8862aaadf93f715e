"""BUS-6 repair: message ids per epoch, and the node's relay going back to a notification id
as a new epoch (a real node on SQLite; no NATS needed)."""

from __future__ import annotations

from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.persistence import Tracking

from contracts.errors import DomainError
from contracts.streams import epoch_of, message_id
from province_node.application import ProvinceNode
from province_node.domain.student import StudentNumberIndex
from xueji.outbox import RELAY_NAME, OutboxRelay
from xueji.store import Writer, sqlite_url, store_env


def test_bus6_message_ids_name_their_epoch():
    assert message_id("prov44", 7, 0) == "prov44:7"  # never repaired: as before
    assert message_id("prov44", 7, 2) == "prov44:e2:7"
    assert epoch_of("prov44:7") == 0 and epoch_of(None) == 0 and epoch_of("prov44:7.1") == 0
    assert epoch_of("prov44:e2:7") == 2 and epoch_of("hub:e3:9.1") == 3


def test_bus6_relay_restarts_from_a_notification_id_as_a_new_epoch(tmp_path: Path):
    node = ProvinceNode("44", store_env(sqlite_url(tmp_path / "prov44.sqlite")))
    for number in ("L1", "L2", "L3"):
        node.save(StudentNumberIndex(student_number=number, student_id=uuid4()))
    relay = OutboxRelay(node, Writer("t"), bus=None, translate=lambda a, n: None, topics=[])
    node.recorder.insert_tracking(Tracking(RELAY_NAME, 3))  # everything published once
    assert (relay.epoch(), relay.position()) == (0, 3)

    assert relay.restart_from(2, epoch=1) == node.recorder.max_notification_id()
    assert (relay.epoch(), relay.position()) == (1, 1)  # publishes 2 and 3 again
    assert relay.restart_from(2, epoch=1) >= 3  # asked again: nothing changes
    assert (relay.epoch(), relay.position()) == (1, 1)
    with pytest.raises(DomainError) as stale:
        relay.restart_from(1, epoch=0)
    assert stale.value.code == "stale_epoch"
    relay.restart_from(1, epoch=2)  # from the first: no position yet in epoch 2
    assert (relay.epoch(), relay.position()) == (2, 0)
