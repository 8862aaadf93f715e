"""Cross-province cases driven through the node APIs as the demo users (XPT, PGE)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from openpyxl import Workbook

from contracts.ids import Sex
from simulations.population import Person
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, PNG_BASE64, REGISTRAR, registration, resident_id

TRANSFERS = "/api/v1/transfers"


async def national_identity(
    mesh: Mesh, name: str, *, id_number: str | None = None, number: str | None = None
) -> dict | None:
    """The hub's identity index entry for a person (claimed, enrolled or released), read in
    the test's process: the public national query shows enrolled students only (QRY-4)."""
    hub = mesh.runtime("hub")
    return await hub.writer(hub.hub.national_student, name, id_number, number)


async def enrolled_student(
    mesh: Mesh,
    province: str,
    sequence: int,
    name: str = "李四",
    class_code: str = "2026201",
    authenticated: bool = True,
    school: str | None = None,
) -> str:
    """Registers and approves a student at `school` (default: the province's junior
    school); its number.

    The person is made known to the population registry first (a `G` number); with
    `authenticated=False` authentication fails: an `L` number and an open problem record.
    """
    school = school or JUNIOR_SCHOOL[province]
    person = resident_id(region=school[1:7], sequence=sequence)
    if authenticated:
        sex = Sex.MALE if int(person[16]) % 2 else Sex.FEMALE
        mesh.registry.add(Person(person, name, sex, date.fromisoformat(person[6:14])))
    body = registration(school, person, name=name, class_code=class_code)
    response = await mesh.post(
        province, "/api/v1/registrations", as_=f"{school}_registrar", json=body
    )
    assert response.status_code == 201, response.text
    done = await approve_fully(mesh, province, response.json()["id"])
    await mesh.wait_until(lambda: _indexed(mesh, done["student_number"]))
    return done["student_number"]


async def _indexed(mesh: Mesh, number: str) -> bool:
    """The hub knows the student once the node's event reached it (national index)."""
    hub = mesh.runtime("hub").hub
    return await mesh.runtime("hub").writer(hub.by_number, number) is not None


async def initiate(
    mesh: Mesh,
    student_number: str,
    name: str = "李四",
    province: str = "34",
    path: str = TRANSFERS,
    class_code: str = "2026201",
    registrar: str | None = None,
    **extra,
):
    body = {
        "student_name": name,
        "student_number": student_number,
        "target_class_code": class_code,
        "reason": "随父母工作调动",
        "proof": PNG_BASE64,
    } | extra
    return await mesh.post(province, path, as_=registrar or REGISTRAR[province], json=body)


def decider(step: dict) -> str:
    """The demo account that decides a step: a school's approver, a bureau's registrar."""
    role = "approver" if step["step"].endswith("_school") else "registrar"
    return f"{step['unit_code']}_{role}"


async def decide(
    mesh: Mesh,
    case: dict,
    approve: bool = True,
    opinion: str | None = "同意",
    path=TRANSFERS,
    **extra,
):
    step = next(s for s in case["steps"] if s["decided_at"] is None)
    return await mesh.post(
        step["province"],
        f"{path}/{case['id']}/decisions",
        as_=decider(step),
        json={"approve": approve, "opinion": opinion} | extra,
    )


async def approve_all(mesh: Mesh, case: dict, path: str = TRANSFERS) -> dict:
    """Every decision step approved, in order, each by its own unit's demo account."""
    while case["status"] == "in_progress":
        response = await decide(mesh, case, path=path)
        assert response.status_code == 200, response.text
        case = response.json()
    return case


async def case_now(
    mesh: Mesh, case_id: str, province: str = "34", path: str = TRANSFERS, as_: str | None = None
) -> dict:
    response = await mesh.get(province, f"{path}/{case_id}", as_=as_ or REGISTRAR[province])
    assert response.status_code == 200, response.text
    return response.json()


async def graduated_student(mesh: Mesh, province: str, sequence: int, class_code: str, **kw) -> str:
    """A student of a graduating class `class_code`, graduated (GRD-1) through its chain."""
    number = await enrolled_student(mesh, province, sequence, class_code=class_code, **kw)
    await graduate(mesh, number, province, kw.get("school"))
    return number


async def graduate(mesh: Mesh, number: str, province: str = "44", school: str | None = None):
    """GRD-1 for one student: the school applies, every step of its chain approves."""
    school = school or JUNIOR_SCHOOL[province]
    body = {"school_code": school, "student_numbers": [number]}
    applied = await mesh.post(province, "/api/v1/graduations", as_=f"{school}_registrar", json=body)
    assert applied.status_code == 201, applied.text
    graduation = applied.json()
    while graduation["status"] == "in_progress":
        step = graduation["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        decided = await mesh.post(
            province,
            f"/api/v1/graduations/{graduation['id']}/decisions",
            as_=f"{step['unit_code']}_{role}",
            json={"approve": True, "opinion": "同意"},
        )
        assert decided.status_code == 200, decided.text
        graduation = decided.json()
    assert graduation["status"] == "approved", graduation
    return graduation


async def admit_fully(mesh: Mesh, number: str, school: str, importer: str,
                      stage: str = "2", province: str = "44") -> dict:  # fmt: skip
    """ADM-1/ADM-2 for one graduate: listed by `importer`, admitted, every step approved,
    the archive pulled; the admission awaits its class."""
    found = await mesh.get(province, f"/api/v1/students/{number}",
                           as_=f"{province}0000_registrar")  # fmt: skip
    book = Workbook()
    book.active.append(["全国学籍号", "姓名", "录取学校标识码"])
    book.active.append([number, found.json()["name"], school])
    data = BytesIO()
    book.save(data)
    imported = await mesh.post(province, "/api/v1/admissions/import", as_=f"{importer}_registrar",
                               data={"stage": stage},
                               files={"file": ("名单.xlsx", data.getvalue())})  # fmt: skip
    assert imported.status_code == 201 and imported.json()["listed"] == 1, imported.text
    admission_id = imported.json()["admission_ids"][0]
    path = f"/api/v1/admissions/{admission_id}"
    admission = (await mesh.post(province, f"{path}/admit", as_=f"{school}_registrar")).json()
    while admission["status"] == "in_progress":
        step = admission["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        decided = await mesh.post(province, f"{path}/decisions", as_=f"{step['unit_code']}_{role}",
                                  json={"approve": True, "opinion": "同意"})  # fmt: skip
        assert decided.status_code == 200, decided.text
        admission = decided.json()
    assert admission["status"] == "approved", admission
    pulled = await mesh.post(province, f"{path}/archive-pull", as_=f"{school}_registrar")
    assert pulled.status_code == 200, pulled.text
    return pulled.json()


async def switch_44(mesh: Mesh, **switches: bool) -> None:
    changed = await mesh.patch("44", "/api/v1/admin/switches", as_="440000_sysadmin", json=switches)
    assert changed.status_code == 200, changed.text


async def duplicate_pair(
    mesh: Mesh, sequence: int, school: str = JUNIOR_SCHOOL["44"]
) -> tuple[str, str, dict]:
    """A student of 44's junior school, then the same child registered at `school` with
    instant dedup off: both records, and the group they form (PRB-1)."""
    first = await enrolled_student(mesh, "44", sequence, name="王五")
    person = first[1:]  # a `G` number is the resident ID
    await switch_44(mesh, instant_dedup=False)
    try:
        body = registration(school, person, name="王五")
        entered = await mesh.post("44", "/api/v1/registrations", as_=f"{school}_registrar",
                                  json=body)  # fmt: skip
        assert entered.status_code == 201, entered.text
        swept = await mesh.post("44", "/api/v1/admin/dedup/run", as_="440000_sysadmin")
        assert swept.status_code == 200, swept.text
        done = await approve_fully(mesh, "44", entered.json()["id"])
    finally:
        await switch_44(mesh, instant_dedup=True)
    second = done["student_number"]
    assert second.startswith("L"), "the second record may not take the first one's G number"
    listed = await mesh.get("44", "/api/v1/problems", as_="440000_registrar",
                            params={"student_number": second})  # fmt: skip
    [row] = listed.json()["items"]
    group = await mesh.get("44", f"/api/v1/problems/{row['problem_id']}", as_="440000_registrar")
    return first, second, group.json()
