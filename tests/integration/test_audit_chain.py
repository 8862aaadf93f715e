"""AUD-4 on a node's own SQLite store, without the mesh: rows behind the app's back, old stores."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.schools import load_schools
from simulations.demo import demo_schools
from xueji.store import sqlite_url, store_env
from xueji.verify import HubHead, verify_log

META = CommandMeta.new("t", "44", "registrar")


def _schools(count: int) -> list[dict]:
    return demo_schools("44", date(2026, 11, 22))[:count]


def test_aud4_row_inserted_behind_the_apps_back_is_named(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "prov44.sqlite")
    node = ProvinceNode("44", store_env(url))
    load_schools(node, _schools(2), META)  # one save: the directory and two schools
    with sqlite3.connect(tmp_path / "prov44.sqlite") as db:
        row = db.execute("SELECT originator_id, topic, state FROM prov44_events WHERE id = 2")
        originator, topic, state = row.fetchone()
        db.execute(
            "INSERT INTO prov44_events (originator_id, originator_version, topic, state)"
            " VALUES (?, 99, ?, ?)",
            (originator, topic, state),
        )
        forged = db.execute("SELECT max(id) FROM prov44_events").fetchone()[0]
    load_schools(node, _schools(3), META)  # the app goes on writing after the forged row
    node.close()

    verdict = verify_log(url)
    assert verdict.broken is not None
    assert (verdict.broken.notification_id, verdict.broken.reason) == (forged, "missing_link")
    assert (verdict.broken.version, verdict.checked) == (99, forged - 1)


def test_aud4_a_store_from_before_the_chain_is_sealed_at_first_start(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "prov44.sqlite")
    old = ProvinceNode("44", {**store_env(url), "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy"})
    load_schools(old, _schools(2), META)
    old.close()

    node = ProvinceNode("44", store_env(url))
    load_schools(node, _schools(3), META)
    node.close()
    verdict = verify_log(url)
    with sqlite3.connect(tmp_path / "prov44.sqlite") as db:
        events = db.execute("SELECT count(*) FROM prov44_events").fetchone()[0]
    assert verdict.intact and verdict.checked == events > 0


def test_aud4_a_truncated_log_is_caught_against_the_hub_head(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "prov44.sqlite")
    node = ProvinceNode("44", store_env(url))
    load_schools(node, _schools(2), META)
    last = node.recorder.select_notifications(start=1, limit=1000)[-1]
    node.close()
    with sqlite3.connect(tmp_path / "prov44.sqlite") as db:  # the tail and its links, gone
        db.execute("DELETE FROM prov44_events WHERE id > ?", (last.id - 3,))
        db.execute("DELETE FROM prov44_chain WHERE notification_id > ?", (last.id - 3,))

    assert verify_log(url).intact  # what is left is consistent
    seen = HubHead("prov_44", last.id, last.chain_hash, 1)
    verdict = verify_log(url, head=seen)
    assert verdict.broken is not None
    assert (verdict.broken.notification_id, verdict.broken.reason) == (last.id, "missing_event")
