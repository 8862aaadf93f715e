"""The rows one batch of events reads and writes: read once, changed in memory, written once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

Row = dict[str, Any]
_CHUNK = 500  # bound parameters per IN (...) / DELETE: far below SQLite's limit


class Batch:
    """The rows one batch of events reads and writes; written once, at `flush`."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._rows: dict[Table, dict[Any, Row | None]] = {}
        self._dirty: dict[Table, set] = {}
        self._stored: dict[Table, set] = {}  # keys found in the database: replaced at flush

    def get(self, table: Table, key: Any) -> Row | None:
        rows = self._rows.setdefault(table, {})
        if key not in rows:
            self.prefetch(table, [key])
        return rows[key]

    def prefetch(self, table: Table, keys: Iterable[Any]) -> None:
        rows, pk = self._rows.setdefault(table, {}), _pk(table)
        wanted = [k for k in dict.fromkeys(keys) if k not in rows]
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows.update(dict.fromkeys(chunk))
            found = self.session.execute(select(table).where(pk.in_(chunk))).mappings()
            rows.update({r[pk.name]: dict(r) for r in found})
            self._stored.setdefault(table, set()).update(k for k in chunk if rows[k] is not None)

    def put(self, table: Table, row: Row) -> None:
        """A key this batch never read is taken as new (creation events happen once per
        aggregate, and tracking never applies an event twice): it is inserted, not replaced."""
        key = row[_pk(table).name]
        self._rows.setdefault(table, {})[key] = row
        self._dirty.setdefault(table, set()).add(key)

    def flush(self) -> int:
        """Replaces every changed row (delete + insert: the same on SQLite and PostgreSQL).
        Rows first written by this batch were never stored: nothing to delete (a replay)."""
        written = 0
        for table, keys in self._dirty.items():
            pk, ordered = _pk(table), sorted(keys)
            stored = sorted(keys & self._stored.get(table, set()))
            for start in range(0, len(stored), _CHUNK):
                self.session.execute(delete(table).where(pk.in_(stored[start : start + _CHUNK])))
            rows = [self._rows[table][k] for k in ordered]
            self.session.execute(insert(table), rows)
            written += len(rows)
        self._dirty.clear()
        return written


def _pk(table: Table) -> Any:
    return next(iter(table.primary_key.columns))
