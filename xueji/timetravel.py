"""Time travel (AUD-2): an aggregate as it was at a moment, replayed from its own events.

Generic over applications, so the hub reuses it for its cases (`CrossProvinceTransfer`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application

from xueji.clock import SHANGHAI


def state_as_of(app: Application[UUID], aggregate_id: UUID, at: datetime) -> Any | None:
    """The aggregate after its last event at or before `at`; None if it did not exist yet.

    A naive `at` is Beijing time (the users' time). The version at `at` is found from the
    events' timestamps (an aggregate's events are stored in time order), then the
    repository replays up to that version (snapshots included, the cache bypassed).
    """
    at = at if at.tzinfo else at.replace(tzinfo=SHANGHAI)
    version = None
    for event in app.events.get(aggregate_id):
        if event.timestamp > at:
            break
        version = event.originator_version
    if version is None:
        return None
    try:
        return app.repository.get(aggregate_id, version=version)
    except AggregateNotFoundError:  # removed between the two reads: it is not there
        return None
