"""Reading a store's event log directly, generically (AUD-4, AUD-5): no running service.

Stored states are decoded as plain JSON with the transcoder's `{"_type_", "_data_"}`
wrappers unwrapped, so events of aggregates this module has never heard of (the hub's
cases, tomorrow's events) still read; only the timestamp is parsed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.persistence import Cipher
from eventsourcing.utils import Environment
from sqlalchemy import create_engine, inspect

from xueji.chained_store import ChainedProcessRecorder, Factory
from xueji.store import store_env

#: Fields every stored event has; the rest is the event's own data.
_FRAME = {"originator_id", "originator_version", "timestamp", "meta", "originator_topic"}


@dataclass(frozen=True)
class LoggedEvent:
    notification_id: int
    aggregate_id: str
    version: int
    topic: str
    at: datetime | None
    data: dict[str, Any]
    meta: dict[str, Any]

    @property
    def type(self) -> str:
        """`Student.Registered` for topic `province_node.domain.student:Student.Registered`."""
        return self.topic.rpartition(":")[2]


class StoreNotFound(Exception):
    """The URL does not hold the asked application's event log."""


def app_names(url: str) -> list[str]:
    """The applications whose chained logs the database holds (`<app>_chain` tables)."""
    path = url.removeprefix("sqlite:///")
    if path != url and not Path(path).is_file():  # connecting would create an empty file
        raise StoreNotFound(f"no SQLite file at {path}")
    engine = create_engine(_sqlalchemy_url(url))
    try:
        names = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    return sorted(n.removesuffix("_chain") for n in names if n.endswith("_chain"))


def open_recorder(url: str, app: str | None = None) -> tuple[str, ChainedProcessRecorder]:
    """The recorder of `app` in the store at `url` (the only one there when not named)."""
    names = app_names(url)
    if app is None and len(names) == 1:
        app = names[0]
    if app is None or app not in names:
        found = ", ".join(names) or "none"
        raise StoreNotFound(f"no event log {app or '(--app needed)'} at this URL; found: {found}")
    env = Environment(app, {**store_env(url), "CREATE_TABLE": "n"})
    factory = Factory(env)
    recorder = factory.process_recorder()
    assert isinstance(recorder, ChainedProcessRecorder)
    recorder.cipher = factory.cipher()  # SEC-7: the ring of XUEJI_CIPHER_KEY[_FILE], if any
    return app, recorder


def read_log(
    recorder: ChainedProcessRecorder, batch: int = 2000, cipher: Cipher | None = None
) -> Iterator[LoggedEvent]:
    """Every stored event in log order, decoded (decrypted with `cipher`, by default the one
    `open_recorder` found: SEC-7)."""
    cipher = cipher or getattr(recorder, "cipher", None)
    after = 0
    while page := recorder.select_notifications(after, batch, inclusive_of_start=False):
        for notification in page:
            yield decode(
                notification.id,
                str(notification.originator_id),
                notification.originator_version,
                notification.topic,
                cipher.decrypt(notification.state) if cipher else notification.state,
            )
        after = page[-1].id


def decode(
    notification_id: int, aggregate_id: str, version: int, topic: str, state: bytes
) -> LoggedEvent:
    try:
        body = _unwrap(json.loads(state))
    except ValueError:  # compressed states, or encrypted ones without their key: shown as such
        body = {"state": state.hex()}
    if not isinstance(body, dict):
        body = {"state": body}
    at = body.get("timestamp")
    return LoggedEvent(
        notification_id=notification_id,
        aggregate_id=aggregate_id,
        version=version,
        topic=topic,
        at=datetime.fromisoformat(at) if isinstance(at, str) else None,
        data={k: v for k, v in body.items() if k not in _FRAME},
        meta=body.get("meta") if isinstance(body.get("meta"), dict) else {},
    )


def _unwrap(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"}:
            return _unwrap(value["_data_"])
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _sqlalchemy_url(url: str) -> str:
    return store_env(url)["SQLALCHEMY_URL"]
