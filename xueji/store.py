"""Event-store plumbing: eventsourcing environments from a database URL, the one writer."""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from eventsourcing.persistence import Transcoding

T = TypeVar("T")


def sqlite_url(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def store_env(db_url: str) -> dict[str, str]:
    """The eventsourcing environment for a SQLite file or PostgreSQL, chosen by URL only."""
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url.removeprefix("postgresql://")
    return {
        # eventsourcing-sqlalchemy whose recorders hash-chain every stored event (AUD-4).
        "PERSISTENCE_MODULE": "xueji.chained_store:Factory",
        "SQLALCHEMY_URL": db_url,
        # One writer process per database (DESIGN §3) keeps an in-process cache coherent,
        # so aggregates need not be replayed, nor fast-forwarded, on every command.
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "n",
    }


class DateAsISO(Transcoding):
    """Birth dates and other calendar dates are stored as `YYYY-MM-DD`."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


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
