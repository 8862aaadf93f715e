"""A registration and a cross-province transfer driven over the public HTTP API of a
`ProcessMesh`, the way users would: each step retried (same `Idempotency-Key`) until it
lands, each decision chosen from the state read back — so a service killed anywhere in a
step is revived and the business goes on. Then the end states the fault matrix asserts."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import datetime
from uuid import NAMESPACE_URL, uuid5

from contracts import subjects
from simulations.population import Person, person
from tests.support.people import JUNIOR_SCHOOL, MINISTRY, REGISTRAR, registration
from tests.support.processes import ProcessMesh, ok

OUT, IN, HUB = "44", "34", "hub"
OUT_SCHOOL, IN_SCHOOL = JUNIOR_SCHOOL[OUT], JUNIOR_SCHOOL[IN]
TRANSFERS = "/api/v1/transfers"
_NS = uuid5(NAMESPACE_URL, "xueji:tests:faults")


def key(*parts: object) -> dict[str, str]:
    """A stable `Idempotency-Key` for one user action: its retries are the same command."""
    return {"Idempotency-Key": str(uuid5(_NS, ":".join(map(str, parts))))}


class People:
    """A new child known to the population registry for each scenario."""

    def __init__(self, start: int = 1) -> None:
        self.index = start

    def next(self, province: str = OUT) -> Person:
        self.index += 1
        return person(province, self.index)


# --- a registration (REG-5, REG-6) ------------------------------------------------------------


def enter(mesh: ProcessMesh, child: Person, action: str | None = None) -> dict:
    """The school registrar enters the child (retried as one command until stored)."""
    body = registration(OUT_SCHOOL, child.id_number, name=child.name)
    headers = key("register", child.id_number, action or "")
    return mesh.eventually(
        lambda: ok(
            mesh.call(
                OUT, "POST", "/api/v1/registrations", REGISTRAR[OUT], json=body, headers=headers
            ),
            200,
            201,
        ).json()
    )


def approve(mesh: ProcessMesh, registration_id: str) -> str:
    """REG-6 with the demo accounts, each step chosen by the registration's state; the
    student's number once registered."""
    path = f"/api/v1/registrations/{registration_id}"

    def step() -> str | None:
        current = ok(mesh.call(OUT, "GET", path, f"{OUT}0000_registrar")).json()
        if current["status"] == "registered":
            return current["student_number"]
        if current["status"] == "school_approved":
            body = {"ids": [registration_id]}
            user = f"{current['school_code']}_registrar"
            headers = key("report", registration_id)
            ok(mesh.call(OUT, "POST", "/api/v1/registrations/report", user, json=body,
                         headers=headers))  # fmt: skip
            return None
        unit = current["step"]["unit_code"]
        role = "approver" if current["step"]["level"] == "school" else "registrar"
        body = {"approve": True, "opinion": "同意"}
        headers = key("decide", registration_id, unit)
        ok(mesh.call(OUT, "POST", f"{path}/decisions", f"{unit}_{role}", json=body,
                     headers=headers))  # fmt: skip
        return None

    return mesh.eventually(step)


def indexed(mesh: ProcessMesh, child: Person, province: str, number: str) -> dict:
    """The hub's national index names the student where it lives (QRY-4, as the ministry:
    the query finds enrolled students only)."""

    def check() -> dict | None:
        params = {"name": child.name, "id_number": child.id_number}
        found = mesh.call("hub", "GET", "/api/v1/national/students", MINISTRY, params=params)
        if found.status_code == 404:
            return None
        body = ok(found).json()
        done = body["province"] == province and body["student_number"] == number
        return body if done else None

    return mesh.eventually(check)


def register(mesh: ProcessMesh, child: Person) -> str:
    """Entered, approved, known to the hub: the student's number."""
    number = approve(mesh, enter(mesh, child)["id"])
    indexed(mesh, child, OUT, number)
    return number


# --- a transfer (XPT-1, XPT-2, XPT-6) ---------------------------------------------------------


def decider(step: dict) -> str:
    role = "approver" if step["step"].endswith("_school") else "registrar"
    return f"{step['unit_code']}_{role}"


def case_now(mesh: ProcessMesh, case_id: str) -> dict:
    return ok(mesh.call(IN, "GET", f"{TRANSFERS}/{case_id}", REGISTRAR[IN])).json()


def initiate(mesh: ProcessMesh, child: Person, number: str) -> dict:
    body = {
        "student_name": child.name,
        "student_number": number,
        "target_class_code": "2026201",
        "reason": "随父母工作调动",
    }
    headers = key("initiate", number)
    return mesh.eventually(
        lambda: ok(
            mesh.call(IN, "POST", TRANSFERS, REGISTRAR[IN], json=body, headers=headers), 200, 201
        ).json()
    )


def approve_case(mesh: ProcessMesh, case_id: str) -> dict:
    """Every step approved in order by its unit's demo account."""

    def step() -> dict | None:
        case = case_now(mesh, case_id)
        if case["status"] != "in_progress":
            return case
        current = next(s for s in case["steps"] if s["decided_at"] is None)
        body = {"approve": True, "opinion": "同意"}
        path = f"{TRANSFERS}/{case_id}/decisions"
        headers = key("case-decide", case_id, current["step"])
        ok(mesh.call(current["province"], "POST", path, decider(current), json=body,
                     headers=headers))  # fmt: skip
        return None

    return mesh.eventually(step)


def pull(mesh: ProcessMesh, case_id: str) -> None:
    path = f"{TRANSFERS}/{case_id}/archive-pull"
    headers = key("pull", case_id)
    mesh.eventually(lambda: ok(mesh.call(IN, "POST", path, REGISTRAR[IN], headers=headers)))


def completed(mesh: ProcessMesh, case_id: str, timeout: float = 90.0) -> dict:
    return mesh.eventually(
        lambda: (case := case_now(mesh, case_id))["status"] == "completed" and case, timeout
    )


def transfer(mesh: ProcessMesh, child: Person, number: str) -> dict:
    """Initiated in 34, approved on both sides, pulled, completed: the case."""
    case = initiate(mesh, child, number)
    assert approve_case(mesh, case["id"])["status"] == "approved"
    pull(mesh, case["id"])
    return completed(mesh, case["id"])


# --- end states ------------------------------------------------------------------------------


def records(mesh: ProcessMesh, province: str, child: Person) -> list[dict]:
    """Every record of the child in `province`, any status (QRY-2)."""
    params = {"id_number": child.id_number}
    user = f"{province}0000_registrar"
    body = mesh.eventually(
        lambda: ok(mesh.call(province, "GET", "/api/v1/students/info", user, params=params))
    ).json()
    return body["items"]


def history(mesh: ProcessMesh, province: str, number: str) -> Counter:
    user = f"{province}0000_registrar"
    path = f"/api/v1/students/{number}/history"
    body = mesh.eventually(lambda: ok(mesh.call(province, "GET", path, user))).json()
    return Counter(item["type"] for item in body["items"])


def stream_messages(mesh: ProcessMesh, stream: str) -> list[tuple[str, dict]]:
    """(subject, body) of every message of a stream, read as the test inspector."""
    return [(subject, body) for subject, body, _ in timed_messages(mesh, stream)]


def timed_messages(mesh: ProcessMesh, stream: str) -> list[tuple[str, dict, datetime]]:
    """(subject, body, time stored) of every message of a stream (the test inspector)."""

    async def read() -> list[tuple[str, dict, datetime]]:
        nc = await mesh.nats.connect()
        try:
            js = nc.jetstream()
            info = await js.stream_info(stream)
            found = []
            for sequence in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(stream, sequence)
                try:
                    body = json.loads(msg.data)
                except ValueError:
                    body = {}  # a poison message the test sent
                found.append((msg.subject, body if isinstance(body, dict) else {}, msg.time))
            return found
        finally:
            await nc.close()

    return asyncio.run(read())


def hub_caught_up(mesh: ProcessMesh) -> None:
    """The hub has applied every message of every province's stream."""

    def check() -> bool:
        positions = ok(mesh.call("hub", "GET", "/healthz")).json()["positions"]
        return all(
            positions[p] == _last_sequence(mesh, subjects.province_stream(p))
            for p in mesh.provinces
        )

    mesh.eventually(check)


def _last_sequence(mesh: ProcessMesh, stream: str) -> int:
    async def read() -> int:
        nc = await mesh.nats.connect()
        try:
            return (await nc.jetstream().stream_info(stream)).state.last_seq
        finally:
            await nc.close()

    return asyncio.run(read())


def published(mesh: ProcessMesh, province: str, event: str, number: str) -> int:
    """How many `event` messages about student `number` the province's stream holds."""
    subject = f"xueji.evt.{province}.{event}"
    stream = stream_messages(mesh, subjects.province_stream(province))
    return sum(1 for s, body in stream if s == subject and body.get("student_number") == number)


def assert_registered_once(mesh: ProcessMesh, child: Person, number: str) -> None:
    """Exactly one student nationally, in 44: the hub's index and both provinces agree,
    one `Registered` in its history, one `student.registered` on the bus, nothing pending."""
    hub_caught_up(mesh)
    found = indexed(mesh, child, OUT, number)
    assert found["record_available"] and found["has_open_problem"] is False  # no duplicate
    here = records(mesh, OUT, child)
    assert [(r["student_number"], r["status"]) for r in here] == [(number, "在校")]
    assert records(mesh, IN, child) == []
    assert history(mesh, OUT, number)["Registered"] == 1
    assert published(mesh, OUT, "student.registered", number) == 1


def assert_transferred_once(mesh: ProcessMesh, child: Person, number: str, case: dict) -> None:
    """The student lives in 34 only (44 keeps its 转出 record), the hub's index says 34,
    the case is completed once, and every step of it happened once."""
    hub_caught_up(mesh)
    assert case["status"] == "completed"
    found = indexed(mesh, child, IN, number)
    assert found["record_available"] and found["has_open_problem"] is False  # no duplicate
    arrived = records(mesh, IN, child)
    assert [(r["student_number"], r["status"], r["school_code"]) for r in arrived] == [
        (number, "在校", IN_SCHOOL)
    ]
    left = records(mesh, OUT, child)
    assert [(r["student_number"], r["status"]) for r in left] == [(number, "转出")]
    there = history(mesh, IN, number)
    assert there["TransferredIn"] == 1 and there["Registered"] == 1
    assert history(mesh, OUT, number)["TransferredOut"] == 1
    assert published(mesh, OUT, "student.transferred_out", number) == 1
    assert published(mesh, IN, "student.transferred_in", number) == 1
    steps = Counter(entry["step"] for entry in case_now(mesh, case["id"])["history"])
    assert set(steps.values()) == {1}, steps  # each step, the pull, the arrival: once
