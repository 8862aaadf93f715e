"""Event-store plumbing: eventsourcing environments from a database URL, the one writer."""

from __future__ import annotations

import asyncio
import contextvars
import copy
import functools
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Transcoding

from xueji.cipher import TOPIC as CIPHER_TOPIC
from xueji.cipher import ring_from_env

T = TypeVar("T")

# The repository deep-copies every aggregate it hands out of its cache. UUIDs are immutable,
# yet `deepcopy` rebuilds each one through `__reduce_ex__`: for aggregates holding lists of ids
# (the former open-work shards) that was most of the copy. Copy them as they are.
copy._deepcopy_dispatch.setdefault(UUID, copy._deepcopy_atomic)  # type: ignore[attr-defined]


def sqlite_url(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def is_postgresql(db_url: str) -> bool:
    return db_url.split("://", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


def store_env(db_url: str, cipher_keys: str | None = None) -> dict[str, str]:
    """The eventsourcing environment for a SQLite file or PostgreSQL, chosen by URL only;
    with a key ring (`xueji.cipher`; by default `XUEJI_CIPHER_KEY[_FILE]` or a `cipher.key`
    beside a SQLite store) every stored event is encrypted (SEC-7)."""
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url.removeprefix("postgresql://")
    env = {
        # eventsourcing-sqlalchemy whose recorders hash-chain every stored event (AUD-4) and
        # insert a transaction's events with one executemany on SQLite (xueji/persistence.py).
        "PERSISTENCE_MODULE": "xueji.chained_store:Factory",
        "SQLALCHEMY_URL": db_url,
        # One writer process per database (DESIGN §3) keeps an in-process cache coherent,
        # so aggregates need not be replayed, nor fast-forwarded, on every command.
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",
    }
    ring = cipher_keys if cipher_keys is not None else ring_from_env(db_url)
    if ring:
        env |= {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": ring}
    return env


class DateAsISO(Transcoding):
    """Birth dates and other calendar dates are stored as `YYYY-MM-DD`."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def existing_originators(recorder: object, ids: Collection[UUID]) -> set[UUID] | None:
    """Which of `ids` have stored events, in one query: a batch that mostly creates new
    aggregates need not ask for each. None when the recorder cannot say in one query (the
    in-memory store of unit tests): ask one by one."""
    record = getattr(recorder, "events_record_cls", None)
    if record is None or not ids:
        return None
    with recorder.transaction(commit=False) as session:
        found = session.query(record.originator_id).filter(
            record.originator_id.in_(list(ids)), record.originator_version == 1
        )
        return {i if isinstance(i, UUID) else UUID(str(i)) for (i,) in found}


class Writer:
    """Runs every store call on one thread: one writer per database (DESIGN §3).

    Calls keep the caller's contextvars (trace span, log context) on the writer thread.
    """

    def __init__(self, name: str) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"writer-{name}")

    async def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)
