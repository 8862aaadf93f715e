"""`xueji verify-log` (AUD-4): walk a store's hash chain and name the first broken link.

A log edited in place breaks its own chain. A log rewritten consistently (every hash
recomputed) is only caught from outside: the hub records, per province, the latest
(notification id, hash) the province published, so the node's hash at that position must
still be the one the hub saw.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from xueji.chain import GENESIS, link_hash
from xueji.chained_store import ChainedProcessRecorder
from xueji.eventlog import open_recorder


@dataclass(frozen=True)
class BrokenLink:
    notification_id: int
    aggregate_id: str | None
    version: int | None
    topic: str | None
    #: hash_mismatch | missing_link | differs_from_hub | missing_event
    reason: str
    expected: str | None = None
    found: str | None = None


@dataclass(frozen=True)
class HubHead:
    """What the hub recorded of a province's chain: `hash` at `notification_id`."""

    stream: str
    notification_id: int
    hash: str
    sequence: int


@dataclass(frozen=True)
class Verdict:
    app: str
    checked: int
    head_id: int | None
    head_hash: str | None
    hub_head: HubHead | None
    broken: BrokenLink | None
    #: For the hub: the province chain heads it has recorded (AUD-4), by stream.
    heads_seen: dict[str, dict] | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict:
        return {**asdict(self), "intact": self.intact}


def hub_head(hub_url: str, app: str) -> HubHead | None:
    """The hub's last recorded head of province app `provNN` (its stream `prov_NN`)."""
    _, recorder = open_recorder(hub_url, "hub")
    stream = f"prov_{app.removeprefix('prov')}"
    row = recorder.seen_heads().get(stream)
    return HubHead(**row) if row else None


def verify_log(
    url: str, app: str | None = None, hub_url: str | None = None, head: HubHead | None = None
) -> Verdict:
    """Walks `app`'s chain in the store at `url`, checked against the hub's recorded head
    (read from the hub's store at `hub_url`, or given)."""
    app, recorder = open_recorder(url, app)
    head = hub_head(hub_url, app) if hub_url else head
    verdict = walk(app, recorder, head)
    return replace(verdict, heads_seen=recorder.seen_heads() or None)


def walk(
    app: str, recorder: ChainedProcessRecorder, head: HubHead | None, batch: int = 2000
) -> Verdict:
    """Recomputes every link in log order; stops at the first that does not hold."""
    prev, checked, last, hub_checked = GENESIS, 0, None, head is None
    while page := recorder.select_links(last or 0, batch):
        for n, stored in page:
            expected = link_hash(prev, n.topic, n.originator_id, n.originator_version, n.state)
            problem = _check(n.id, expected, stored, head)
            if problem is not None:
                where = {"aggregate_id": str(n.originator_id), "version": n.originator_version}
                broken = BrokenLink(n.id, **where, topic=n.topic, **problem)
                return Verdict(app, checked, last, prev.hex(), head, broken)
            hub_checked = hub_checked or (head is not None and n.id == head.notification_id)
            prev, last, checked = expected, n.id, checked + 1
    if not hub_checked:  # the event the hub saw is gone from the log
        assert head is not None
        missing = BrokenLink(head.notification_id, None, None, None, "missing_event", head.hash)
        return Verdict(app, checked, last, prev.hex(), head, missing)
    return Verdict(app, checked, last, prev.hex() if last else None, head, None)


def _check(
    notification_id: int, expected: bytes, stored: bytes | None, head: HubHead | None
) -> dict | None:
    if stored is None:
        return {"reason": "missing_link", "expected": expected.hex()}
    if stored != expected:
        return {"reason": "hash_mismatch", "expected": expected.hex(), "found": stored.hex()}
    if head is not None and notification_id == head.notification_id and head.hash != stored.hex():
        return {"reason": "differs_from_hub", "expected": head.hash, "found": stored.hex()}
    return None


REASONS = {
    "hash_mismatch": "stored event differs from what its hash covers (edited in place)",
    "missing_link": "event has no chain link (inserted outside the application)",
    "differs_from_hub": "history rewritten: the hub saw another hash at this position",
    "missing_event": "the event the hub saw at this position is gone",
}


def describe(verdict: Verdict) -> str:
    """The one-paragraph text answer of `xueji verify-log`."""
    hub = ""
    if verdict.hub_head is not None:
        h = verdict.hub_head
        hub = f"; hub saw #{h.notification_id} {h.hash[:12]}… (stream seq {h.sequence})"
    for stream, seen in sorted((verdict.heads_seen or {}).items()):
        hub += f"\n  {stream}: saw #{seen['notification_id']} {seen['hash'][:12]}…"
    if verdict.broken is None:
        head = f"#{verdict.head_id} {verdict.head_hash[:12]}…" if verdict.head_id else "empty"
        return f"{verdict.app}: chain intact — {verdict.checked} events, head {head}{hub}"
    b = verdict.broken
    subject = f"aggregate {b.aggregate_id} v{b.version} {b.topic}" if b.topic else "(no event)"
    return (
        f"{verdict.app}: BROKEN at notification {b.notification_id} ({subject}): "
        f"{REASONS[b.reason]}; {verdict.checked} links intact before it{hub}"
    )
