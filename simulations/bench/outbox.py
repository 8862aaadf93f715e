"""`xueji bench outbox`: registrations committed per second and outbox relay throughput.

Stores N registrations in a province node (each one transaction: registration, student,
number index), then lets the real outbox relay publish the N `StudentRegistered` events to
a real nats-server with JetStream. Reports both next to the raw limits measured here.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from datetime import date
from pathlib import Path
from uuid import UUID

from contracts.ids import mod11_2_check_char
from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.registration import NationalChecks
from province_node.domain.registration_rules import (
    RegistrationForm,
    ValidRegistration,
    validate_registration,
)
from province_node.publishing import PUBLISHED_TOPICS, translate
from province_node.registrations import RegistrationService
from province_node.reviews import ReviewService
from province_node.schools import load_schools
from simulations.bench import raw
from simulations.demo import demo_schools, school_code
from xueji.bus import Bus, ensure_stream
from xueji.outbox import OutboxRelay
from xueji.processes import free_port, start_nats, stop
from xueji.store import Writer, sqlite_url, store_env

TODAY = date(2026, 11, 22)


def main(events: int, work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    port = free_port()
    nats = start_nats(port, work / "nats")
    try:
        figures = asyncio.run(_measure(events, work, f"nats://127.0.0.1:{port}"))
    finally:
        stop(nats)
    _report(events, figures)


async def _measure(events: int, work: Path, url: str) -> dict[str, float]:
    figures = {"raw_sqlite_commits": raw.sqlite_single_row_commits(work / "raw.sqlite", events)}
    figures["raw_jetstream_publishes"] = await raw.jetstream_publishes(url, "RAW", events)
    _, figures["raw_rtt_ms"] = await raw.request_reply(url, 2000)

    node = ProvinceNode("44", store_env(sqlite_url(work / "prov44.sqlite")))
    meta = CommandMeta.new("bench", "44", "registrar")
    load_schools(node, demo_schools("44", TODAY), meta)
    forms = [_valid(i) for i in range(events)]
    started = time.perf_counter()
    for valid in forms:
        _register_and_approve(node, valid)
    figures["registrations_committed"] = events / (time.perf_counter() - started)

    writer = Writer("bench")
    bus = Bus(url, "bench", on_connect=[_declare])
    bus.start()
    await bus.ready.wait()
    relay = OutboxRelay(node, writer, bus, translate, PUBLISHED_TOPICS)
    started = time.perf_counter()
    while await relay.publish_pending():
        pass
    figures["outbox_published"] = relay.published / (time.perf_counter() - started)
    await bus.close()
    writer.shutdown()
    return figures


def _register_and_approve(node: ProvinceNode, valid: ValidRegistration) -> None:
    """One registration through a one-step chain: submitted, approved, reported (REG-6)."""
    school = valid.form.school_code
    chain = [{"level": "school", "unit_code": school, "unit_name": "学校"}]
    # the services' writer-side steps, called on this thread: no writer, hub or registry here
    entry, review = (
        RegistrationService(node, *[None] * 8),
        ReviewService(node, None, None, None, None),
    )
    created = entry.record_checked(
        valid, NationalChecks(), chain, CommandMeta.new("bench", school, "registrar")
    )
    registration_id = UUID(created["id"])
    review._decide_one(
        registration_id,
        True,
        None,
        "2026-11-22T10:00:00+08:00",
        CommandMeta.new("bench", school, "approver"),
    )
    review._report([registration_id], CommandMeta.new("bench", school, "registrar"))


async def _declare(nc) -> None:
    await ensure_stream(nc, "PROV_44", ["xueji.evt.44.>"])


def _valid(index: int) -> ValidRegistration:
    """The index-th of a stream of distinct, valid resident-ID registrations."""
    born = date.fromordinal(date(2012, 9, 1).toordinal() + index % 3000)
    body17 = f"440106{born:%Y%m%d}{index // 3000 % 1000:03d}"
    form = RegistrationForm(
        entry="non_primary",
        id_type="1",
        id_number=body17 + mod11_2_check_char(body17),
        name="测试学生",
        school_code=school_code("440106", 2),
        class_code="2026201",
    )
    return validate_registration(form, today=TODAY)


def _report(events: int, f: dict[str, float]) -> None:
    commit_ratio = f["registrations_committed"] / f["raw_sqlite_commits"]
    publish_ratio = f["outbox_published"] / f["raw_jetstream_publishes"]
    print(f"xueji bench outbox — {events} events")
    print(f"  raw SQLite single-row commits     {f['raw_sqlite_commits']:>10,.0f} /s")
    print(
        f"  registrations (submit+decide+report) {f['registrations_committed']:>8,.0f} /s"
        f"   ratio {commit_ratio:.2f}"
    )
    print(f"  raw JetStream publish (acked)     {f['raw_jetstream_publishes']:>10,.0f} /s")
    print(
        f"  outbox relay published            {f['outbox_published']:>10,.0f} /s"
        f"   ratio {publish_ratio:.2f}"
    )
    print(f"  raw NATS request/reply p50        {f['raw_rtt_ms']:>10.3f} ms")
