"""Tamper evidence (AUD-4): every stored event is chained by hash in its own transaction.

The recorders of eventsourcing-sqlalchemy are subclassed (xueji/chained_store.py) and
selected through `PERSISTENCE_MODULE` (xueji/store.py), so every `save(*aggregates)` and every hub
`process_event` goes through them. After the library has inserted and flushed a save's
events (ids known, table locked on PostgreSQL, write lock held on SQLite), one row per
event goes into `<app>_chain` (notification id, hash), with
hash = sha256(prev hash, topic, originator id, originator version, state) in notification
order. A companion table keeps the library's own schema untouched and costs one indexed
read (the head) plus one multi-row insert per transaction.

`<app>_heads` keeps, per followed stream, the latest chain head a source published (the
hub's view of each province), written with the tracking record in the same transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.persistence import Notification, Tracking
from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

#: The `prev_hash` of a log's first event.
GENESIS = bytes(32)

_ID = BigInteger().with_variant(Integer(), "sqlite")


def link_hash(
    prev: bytes, topic: str, originator_id: UUID | str, version: int, state: bytes
) -> bytes:
    """The hash of one link; lengths are framed so no two field splits hash alike."""
    digest = hashlib.sha256(prev)
    for part in (topic.encode(), str(originator_id).encode()):
        digest.update(len(part).to_bytes(4, "big") + part)
    digest.update(version.to_bytes(8, "big", signed=True))
    digest.update(state)
    return digest.digest()


@dataclass(frozen=True)
class ChainedNotification(Notification):
    """A notification with the chain hash at its position (hex), as the outbox publishes it."""

    chain_hash: str | None = None


@dataclass(frozen=True)
class SeenTracking(Tracking):
    """A tracking record that also carries the source's chain head at the applied message."""

    source_notification_id: int = 0
    chain_hash: str | None = None


def seen(tracking: Tracking, source_notification_id: int, chain_hash: str | None) -> Tracking:
    """The tracking record to store, with the source's head when the message carried one."""
    if chain_hash is None:
        return tracking
    return SeenTracking(
        tracking.application_name, tracking.notification_id, source_notification_id, chain_hash
    )


def chain_tables(prefix: str, schema: str | None) -> tuple[Table, Table]:
    metadata = MetaData(schema=schema)
    chain = Table(
        f"{prefix}_chain",
        metadata,
        Column("notification_id", _ID, primary_key=True, autoincrement=False),
        Column("hash", LargeBinary(32), nullable=False),
    )
    heads = Table(
        f"{prefix}_heads",
        metadata,
        Column("stream", String(64), primary_key=True),
        Column("sequence", _ID, nullable=False),
        Column("notification_id", _ID, nullable=False),
        Column("hash", String(64), nullable=False),
    )
    return chain, heads
