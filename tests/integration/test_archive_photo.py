"""ID-7 / XPT-6 / PGE-1: the student's photo travels with a cross-province archive. The
out-province node reads the blob into the archive (`ArchivePhoto`); the in-province node
checks it again with the photo rule and stores it through `store_photo` (`has_photo` follows).
"""

from __future__ import annotations

import pytest

from simulations.demo import school_code
from tests.support.cases import (
    TRANSFERS,
    approve_all,
    case_now,
    enrolled_student,
    graduated_student,
    initiate,
)
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR
from tests.support.photos import jpeg


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    return module_mesh


pytestmark = pytest.mark.asyncio(loop_scope="module")

ENROLLMENTS = "/api/v1/enrollments"
SENIOR = school_code("340104", 4)
ADMITTING = f"{SENIOR}_registrar"
GRADE_NINE = "2023201"  # Tianhe runs 5-4: junior grade 4 = grade 9 in school year 2026
OUT_REGISTRAR = f"{JUNIOR_SCHOOL['44']}_registrar"


async def _put_photo(mesh: Mesh, number: str, data: bytes) -> None:
    reply = await mesh.put(
        "44",
        f"/api/v1/students/{number}/photo",
        as_=OUT_REGISTRAR,
        content=data,
        headers={"Content-Type": "image/jpeg"},
    )
    assert reply.status_code == 200, reply.text


async def _completed(mesh: Mesh, case_id: str, path: str, as_: str | None = None) -> bool:
    return (await case_now(mesh, case_id, path=path, as_=as_))["status"] == "completed"


async def _listed_with_photo(mesh: Mesh, number: str, school: str) -> bool:
    reply = await mesh.get("34", "/api/v1/students", as_=f"{school}_registrar",
                           params={"student_number": number, "school_code": school,
                                   "has_photo": "true"})  # fmt: skip
    return reply.status_code == 200 and reply.json()["total"] == 1


async def _arrived_photo(mesh: Mesh, number: str, as_: str):
    return await mesh.get("34", f"/api/v1/students/{number}/photo", as_=as_)


async def test_id7_a_transfer_carries_the_photo(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 961)
    photo = jpeg("transfer")
    await _put_photo(mesh, number, photo)
    case = await approve_all(mesh, (await initiate(mesh, number)).json())
    pulled = await mesh.post("34", f"{TRANSFERS}/{case['id']}/archive-pull", as_=REGISTRAR["34"])
    assert pulled.status_code == 200, pulled.text
    await mesh.wait_until(lambda: _completed(mesh, case["id"], TRANSFERS))

    arrived = await _arrived_photo(mesh, number, REGISTRAR["34"])
    assert arrived.status_code == 200, arrived.text
    assert arrived.content == photo  # the same bytes, stored in 34's own blob store
    history = await mesh.get("34", f"/api/v1/students/{number}/history", as_=REGISTRAR["34"])
    sets = [i for i in history.json()["items"] if i["type"] == "PhotoSet"]
    assert sets[-1]["data"]["source"] == "archive:44"  # the one photo-storing function, on arrival
    await mesh.wait_until(lambda: _listed_with_photo(mesh, number, JUNIOR_SCHOOL["34"]))


async def test_id7_a_post_graduation_enrollment_carries_the_photo(mesh: Mesh) -> None:
    number = await graduated_student(mesh, "44", 962, class_code=GRADE_NINE)
    photo = jpeg("enrollment", width=16, height=24)
    await _put_photo(mesh, number, photo)
    created = await initiate(
        mesh, number, path=ENROLLMENTS, class_code="2026301", registrar=ADMITTING
    )
    assert created.status_code == 201, created.text
    case = await approve_all(mesh, created.json(), path=ENROLLMENTS)
    # the archive is pulled by itself
    await mesh.wait_until(lambda: _completed(mesh, case["id"], ENROLLMENTS, as_=ADMITTING))

    arrived = await _arrived_photo(mesh, number, ADMITTING)
    assert arrived.status_code == 200, arrived.text
    assert arrived.content == photo
    await mesh.wait_until(lambda: _listed_with_photo(mesh, number, SENIOR))


async def test_id7_an_archive_without_a_photo_still_moves_the_record(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 963)
    case = await approve_all(mesh, (await initiate(mesh, number)).json())
    pulled = await mesh.post("34", f"{TRANSFERS}/{case['id']}/archive-pull", as_=REGISTRAR["34"])
    assert pulled.status_code == 200, pulled.text
    await mesh.wait_until(lambda: _completed(mesh, case["id"], TRANSFERS))

    record = await mesh.get("34", f"/api/v1/students/{number}", as_=REGISTRAR["34"])
    assert record.json()["school_code"] == JUNIOR_SCHOOL["34"]
    missing = await _arrived_photo(mesh, number, REGISTRAR["34"])
    assert missing.status_code == 404, missing.text


async def test_id7_a_photo_failing_the_rule_on_arrival_stays_behind(mesh: Mesh) -> None:
    """The in node checks the archive's photo again (`check_photo`): a PNG in the archive is
    not stored, and the student still arrives. The archive is the out node's own
    (`archive_of`); only its photo is replaced, and it is delivered as the hub would."""
    from uuid import uuid4

    from contracts.cases import HubNotice
    from contracts.envelope import Actor, Envelope
    from contracts.events import ArchivePhoto
    from tests.support.people import PNG

    number = await enrolled_student(mesh, "44", 964)
    out = mesh.runtime("44")

    def archive() -> dict:
        student = out.node.get_student(number)
        built = out.node.archive_of(student.id, student.version)
        return built.model_copy(update={"photo": ArchivePhoto.of(PNG)}).wire()

    notice = HubNotice(
        notice="archive_delivered",
        envelope=Envelope(actor=Actor(account="hub", unit_code="000000", role="registrar")),
        case_id=uuid4(),
        flow="transfer",
        province="34",
        student_number=number,
        target_school_code=JUNIOR_SCHOOL["34"],
        target_class_code="2026201",
        archive=await out.writer(archive),
    )
    assert await mesh.runtime("34").cases.apply_notice(notice) == "applied"
    record = await mesh.get("34", f"/api/v1/students/{number}", as_=REGISTRAR["34"])
    assert record.status_code == 200 and record.json()["school_code"] == JUNIOR_SCHOOL["34"]
    missing = await _arrived_photo(mesh, number, REGISTRAR["34"])
    assert missing.status_code == 404, missing.text
