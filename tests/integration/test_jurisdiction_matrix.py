"""SEC-1 jurisdiction matrix (issue 18 items 10 and 7): every GET route and console page of a
province node, enumerated from the app, called by accounts of *foreign* units at each level
with its path (and its filters) filled from real records of one school of province 34; each
answers 403, 404 or a list without them, and no foreign name, ID number, student number or
record id appears in any body. A route that cannot be filled is listed with the reason, so a
new route is covered or fails `test_sec1_the_route_list_is_complete`.

SEC-3/SEC-8 (item 7): a foreign record and one that does not exist answer the same status
and body. One mesh for the module: the records are created once, read only.
"""

from __future__ import annotations

import itertools
import re
import uuid
from dataclasses import dataclass
from urllib.parse import unquote

import httpx
import pytest
import pytest_asyncio
from fastapi.routing import APIRoute, iter_route_contexts

from simulations.demo import DEMO_PASSWORD, school_code
from tests.support.cases import enrolled_student, initiate
from tests.support.console import console_session
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    """One mesh for the whole module (tests/conftest.py `module_mesh`)."""
    return module_mesh


pytestmark = pytest.mark.asyncio(loop_scope="module")

#: The school whose records the foreign accounts try to reach: Hefei, Shushan (340104).
TARGET = JUNIOR_SCHOOL["34"]
#: Foreign to TARGET at each level, on node 34: a school of the same county, a school of
#: another county, a county of the same city and of another city, another city.
FOREIGN_34 = [
    f"{school_code('340104', 1)}_registrar",
    f"{school_code('340102', 2)}_registrar",
    f"{school_code('340102', 2)}_approver",
    "340102_registrar",
    "340202_registrar",
    "340202_sysadmin",
    "340200_registrar",
    "340200_sysadmin",
    "340200_approver",
]
#: Province 44's accounts, with province 34's record ids on their own node (and through it
#: on the hub: cases, problems, the national index).
FOREIGN_44 = ["440000_registrar", "440000_sysadmin", "440000_approver"]
CLASS = "2026201"

#: Path parameters no real record of the fixture fills, and why.
UNFILLED = {
    "file_id": "an import file is the uploader's own (its id is in its own answer only)",
    "entry_id": "pre-school entries come from the pre-school registry, by its own id",
    "graduation_id": "a graduation batch needs a graduating class (GRD-1, test_graduation)",
    "migration_id": "a school migration is an ORG-3 business (test_org)",
    "admission_id": "an admission needs a graduate and an import (test_admissions)",
    "return_id": "a dropout return needs a dropped-out student (test_dropout)",
    "action_id": "a problem action needs a proof upload (test_problems)",
    "run_id": "a re-authentication run is the province's (test_reauthentication)",
    "complaint_id": "complaints are their helper's (test_complaints)",
    "challenge": "a captcha image is the challenge's, not a record (test_national_query)",
}
#: Routes (by path template) deliberately open to every logged-in unit, and why.
OPEN_BY_DESIGN = {
    "/api/v1/national/students": "QRY-4: the national query answers any account (rate-limited)",
    "/national": "QRY-4: the national query page",
}
#: Required query parameters and filters, filled for every call; the foreign values.
QUERY = {
    "columns": "student_number,name",
    "by": "grade",
    "class_code": CLASS,
    "business_type": "register_non_primary_resident",
    "stage": "2",
    "start": "2026-11-01",
}
#: Values a path parameter may take whatever the record (menus, scopes, file kinds).
ENUMERATED = {
    "kind": [
        "transfers",
        "enrollments",
        "status-changes",
        "in-province-transfers",
        "key-data-changes",
    ],
    "scope": ["province", "cross", "arbitration"],
    "page": ["admit", "pull", "assign"],
    "id_group": ["resident", "hmt_foreign"],
}


@dataclass
class Records:
    """The foreign records: their ids by path parameter and what must never be shown."""

    ids: dict[str, str]
    filters: dict[str, str]
    secrets: set[str]
    #: A cross-province case with 44 (its secrets are 44's to see too).
    shared: set[str]


async def _student(mesh: Mesh, sequence: int, name: str, **kw) -> tuple[str, str]:
    number = await enrolled_student(mesh, "34", sequence, name=name, school=TARGET, **kw)
    return number, resident_id(region=TARGET[1:7], sequence=sequence)


def _ok(response: httpx.Response, *statuses: int) -> dict:
    assert response.status_code in (statuses or (200, 201)), response.text
    return response.json()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def records(mesh: Mesh) -> Records:
    """A student (with a status-change application), a pending registration, a dropout
    case, a cross-province transfer case (into 44) and an open problem record, all of TARGET."""
    own = f"{TARGET}_registrar"
    plain, plain_id = await _student(mesh, 901, "矩阵甲")
    dropout, dropout_id = await _student(mesh, 902, "矩阵乙")
    moving, moving_id = await _student(mesh, 903, "矩阵丙")
    problem, problem_id_number = await _student(mesh, 904, "矩阵丁", authenticated=False)
    pending_id_number = resident_id(region=TARGET[1:7], sequence=905)
    body = registration(TARGET, pending_id_number, name="矩阵戊", class_code=CLASS)
    pending = _ok(await mesh.post("34", "/api/v1/registrations", as_=own, json=body), 201)
    application = _ok(
        await mesh.post(
            "34",
            "/api/v1/applications",
            as_=own,
            json={
                "type": "suspension",
                "student_number": plain,
                "date": "2026-11-20",
                "reason": "因病休养",
            },
        )
    )
    case = _ok(
        await mesh.post(
            "34",
            "/api/v1/dropouts",
            as_=own,
            json={
                "student_number": dropout,
                "kind": "suspected",
                "date": "2026-11-10",
                "note": "家庭困难",
            },
        )
    )
    transfer = _ok(await initiate(mesh, moving, "矩阵丙", province="44", registrar=REGISTRAR["44"]))
    listed = _ok(
        await mesh.get(
            "34", "/api/v1/problems", as_="340000_registrar", params={"student_number": problem}
        )
    )
    [row] = listed["items"]
    ids = {
        "school_code": TARGET,
        "student_number": plain,
        "registration_id": pending["id"],
        "application_id": application["id"],
        "case_id": case["id"],
        "transfer_id": transfer["id"],
        "problem_id": row["problem_id"],
    }
    numbers = {plain, dropout, moving, problem}
    secrets = (
        {"矩阵甲", "矩阵乙", "矩阵丁", "矩阵戊"}
        | {plain_id, dropout_id, problem_id_number, pending_id_number}
        | numbers
        | {v for k, v in ids.items() if k != "school_code"}
    )
    shared = {"矩阵丙", moving_id, moving, transfer["id"]}
    filters = {
        "school_code": TARGET,
        "student_number": plain,
        "id_number": plain_id,
        "name": "矩阵甲",
        "region": TARGET[1:7],
    }
    return Records(ids, filters, secrets | shared, shared)


# --- the routes, from the app ------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    path: str  # the template, e.g. /api/v1/students/{student_number}
    params: tuple[str, ...]
    queries: tuple[str, ...]  # the query parameters it takes (filters included)

    @property
    def page(self) -> bool:
        return not self.path.startswith("/api/")


def get_routes(mesh: Mesh, service: str) -> list[Route]:
    """Every GET route the app serves (FastAPI includes routers lazily: walk them)."""
    found: dict[str, Route] = {}
    for context in iter_route_contexts(mesh.apps[service].routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        path = context.path_format or route.path
        params = tuple(re.findall(r"\{(\w+)(?::\w+)?\}", path))
        found[path] = Route(path, params, tuple(sorted(_queries(route.dependant))))
    return list(found.values())


def _queries(dependant) -> set[str]:
    names = set()
    for field in dependant.query_params:
        annotation = field.field_info.annotation
        fields = getattr(annotation, "model_fields", None)
        names |= set(fields) if fields else {field.alias}
    for sub in dependant.dependencies:
        names |= _queries(sub)
    return names


def _fill(route: Route, ids: dict[str, str]) -> list[str] | str:
    """The concrete paths of a route, or the reason it cannot be filled."""
    choices = []
    for name in route.params:
        if name in UNFILLED:
            return UNFILLED[name]
        if name in ENUMERATED:
            choices.append([(name, v) for v in ENUMERATED[name]])
        elif name == "case_id" and any(
            f in route.path for f in ("transfers", "enrollments", "{kind}")
        ):
            choices.append([(name, ids["transfer_id"])])
        elif name in ids:
            choices.append([(name, ids[name])])
        else:
            return f"no fill for {{{name}}}"
    paths = []
    for combination in itertools.product(*choices):
        path = route.path
        for name, value in combination:
            path = re.sub(r"\{" + name + r"(?::\w+)?\}", value, path)
        paths.append(path)
    return paths


# --- the calls ---------------------------------------------------------------------------------


def _leaks(response: httpx.Response, secrets: set[str]) -> list[str]:
    """What the body shows of the foreign records, apart from what the request itself sent."""
    asked = unquote(str(response.request.url))
    body = response.content.decode("utf-8", errors="replace")
    return sorted(s for s in secrets if s not in asked and s in body)


def _refused_or_clean(response: httpx.Response, secrets: set[str]) -> str | None:
    """None when the answer is a refusal (403, 404; 422 for a filter the route does not take
    that way) or shows nothing foreign."""
    status = response.status_code
    if status not in (200, 403, 404, 422):
        return f"status {status}: {response.text[:160]}"
    leaks = _leaks(response, secrets)
    return f"{status} shows {leaks}" if leaks else None


async def _matrix(
    mesh: Mesh, service: str, accounts: list[str], records: Records, secrets: set[str]
) -> list[str]:
    routes = [r for r in get_routes(mesh, service) if r.path not in OPEN_BY_DESIGN]
    calls = []
    for route in routes:
        filled = _fill(route, records.ids)
        if isinstance(filled, str):
            continue
        base = {q: v for q, v in QUERY.items() if q in route.queries}
        # a page may read its filters from the request itself: it gets them all
        asked = [q for q in records.filters if q in route.queries or route.page]
        filters = base | {q: records.filters[q] for q in asked}
        for path in filled:
            calls.append((route, path, base))
            if filters != base:
                calls.append((route, path, filters))
    failures = []
    for account in accounts:
        for route, path, params in calls:  # the JSON API by bearer token
            if route.page:
                continue
            response = await mesh.get(service, path, as_=account, params=params)
            if (problem := _refused_or_clean(response, secrets)) is not None:
                failures.append(f"{account} GET {path} {params}: {problem}")
        async with console_session(mesh, account, service) as console:  # the console pages
            for route, path, params in calls:
                if not route.page:
                    continue
                response = await console.get(path, params=params)
                if (problem := _refused_or_clean(response, secrets)) is not None:
                    failures.append(f"{account} page {path} {params}: {problem}")
    return failures


async def test_sec1_the_route_list_is_complete(mesh: Mesh, records: Records) -> None:
    """Every GET route of the node is called by the matrix or listed here with its reason;
    the hub has no unit foreign to anyone (ministry accounts only)."""
    routes = get_routes(mesh, "34")
    assert len(routes) > 100, "the enumeration lost the included routers"
    unfilled = {r.path: _fill(r, records.ids) for r in routes}
    unfilled = {p: why for p, why in unfilled.items() if isinstance(why, str)}
    assert all(not why.startswith("no fill") for why in unfilled.values()), unfilled
    called = {r.path for r in routes} - set(unfilled) - set(OPEN_BY_DESIGN)
    for known in (
        "/api/v1/students/{student_number}",
        "/api/v1/transfers/monitoring",
        "/api/v1/registrations/{registration_id}",
        "/students/{student_number}",
        "/problems/group/{problem_id}",
        "/{kind}/{case_id}",
    ):
        assert known in called, known
    assert {r.path for r in get_routes(mesh, "44")} == {r.path for r in routes}
    # the hub: only the ministry logs in, so no account there is foreign to a record
    async with mesh.client("hub") as client:
        refused = await client.post(
            "/api/v1/auth/login", json={"username": "440000_registrar", "password": DEMO_PASSWORD}
        )
    assert refused.status_code == 401


async def test_sec1_every_route_refuses_a_foreign_unit(mesh: Mesh, records: Records) -> None:
    failures = await _matrix(mesh, "34", FOREIGN_34, records, records.secrets)
    # province 44 is a side of the transfer case: those are its to see
    failures += await _matrix(mesh, "44", FOREIGN_44, records, records.secrets - records.shared)
    assert failures == [], "\n".join(failures)


async def test_sec1_the_own_school_sees_its_records(mesh: Mesh, records: Records) -> None:
    """The matrix is not vacuous: the same fills answer the school's own registrar."""
    own = f"{TARGET}_registrar"
    for path in (
        f"/api/v1/students/{records.ids['student_number']}",
        f"/api/v1/registrations/{records.ids['registration_id']}",
        f"/api/v1/applications/{records.ids['application_id']}",
        f"/api/v1/dropouts/{records.ids['case_id']}",
        f"/api/v1/problems/{records.ids['problem_id']}",
    ):
        response = await mesh.get("34", path, as_=own)
        assert response.status_code == 200, (path, response.text)


#: SEC-3/SEC-8: routes whose refusal must not tell a foreign record from a missing one.
ORACLES = [
    ("/api/v1/registrations/{}", "registration_id"),
    ("/api/v1/problems/{}", "problem_id"),
    ("/api/v1/dropouts/{}", "case_id"),
    ("/api/v1/applications/{}", "application_id"),
    ("/api/v1/transfers/{}", "transfer_id"),
    ("/api/v1/students/{}", "student_number"),
]


def _answer(response: httpx.Response, asked: str) -> tuple[int, dict]:
    body = response.json()
    return response.status_code, {
        k: (v.replace(asked, "…") if isinstance(v, str) else v) for k, v in body.items()
    }


@pytest.mark.parametrize(("template", "key"), ORACLES, ids=[k for _, k in ORACLES])
async def test_sec3_no_existence_oracle_foreign_and_missing_answer_alike(
    mesh: Mesh, records: Records, template: str, key: str
) -> None:
    foreign = records.ids[key]
    missing = "G" + resident_id(sequence=999) if key == "student_number" else str(uuid.uuid4())
    for account in (FOREIGN_34[1], "340202_registrar", "340200_sysadmin"):
        one = await mesh.get("34", template.format(foreign), as_=account)
        other = await mesh.get("34", template.format(missing), as_=account)
        assert one.status_code in (403, 404), one.text
        assert _answer(one, foreign) == _answer(other, missing), (account, one.text, other.text)
