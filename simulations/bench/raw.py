"""Raw limits on this machine, measured in the same run as the figure they bound (NFR-2)."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import nats

_INSERT = (
    "INSERT INTO events (originator_id, originator_version, topic, state) VALUES (?, 1, 'bench', ?)"
)
_PAYLOAD_BYTES = 600  # about the size of a stored Student.Registered


def _events_table(path: Path) -> sqlite3.Connection:
    """A fresh table shaped like the event store's, with its pragmas (WAL, default sync)."""
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, originator_id BLOB, "
        "originator_version INTEGER, topic TEXT, state BLOB)"
    )
    return connection


def sqlite_single_row_commits(path: Path, rows: int) -> float:
    """Rows/s of one INSERT + COMMIT each."""
    connection, payload = _events_table(path), os.urandom(_PAYLOAD_BYTES)
    started = time.perf_counter()
    for index in range(rows):
        connection.execute("BEGIN")
        connection.execute(_INSERT, (index.to_bytes(16, "big"), payload))
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return rows / elapsed


def sqlite_bulk_inserts(path: Path, rows: int) -> float:
    """Rows/s of one executemany INSERT in one transaction."""
    connection, payload = _events_table(path), os.urandom(_PAYLOAD_BYTES)
    values = [(index.to_bytes(16, "big"), payload) for index in range(rows)]
    started = time.perf_counter()
    connection.execute("BEGIN")
    connection.executemany(_INSERT, values)
    connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return rows / elapsed


async def jetstream_publishes(url: str, stream: str, messages: int) -> float:
    """Messages/s of sequential JetStream publishes, each awaiting its ack (what the relay does)."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"bench.{stream}"])
        payload = os.urandom(900)
        started = time.perf_counter()
        for index in range(messages):
            await js.publish(f"bench.{stream}", payload, headers={"Nats-Msg-Id": f"raw:{index}"})
        return messages / (time.perf_counter() - started)
    finally:
        await nc.close()


async def request_reply(url: str, requests: int) -> tuple[float, float]:
    """Sequential core NATS request/reply on the same server: (round trips/s, p50 in ms)."""
    samples = await request_reply_samples(url, requests)
    return len(samples) / sum(samples), samples[len(samples) // 2] * 1000


async def request_reply_samples(url: str, requests: int) -> list[float]:
    """Round-trip times (s, sorted) of sequential core NATS request/reply, 300-byte bodies."""
    nc = await nats.connect(url)
    try:

        async def echo(msg) -> None:
            await msg.respond(msg.data)

        await nc.subscribe("bench.echo", cb=echo)
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            await nc.request("bench.echo", b"x" * 300, timeout=2)
            samples.append(time.perf_counter() - started)
        return sorted(samples)
    finally:
        await nc.close()
