"""Under `/api/` every answer is the JSON API's (API.md "Errors"): an unknown path is a 404
problem and a wrong method a 405 problem with `Allow`, never a console page or redirect."""

from __future__ import annotations

import pytest

from tests.support.mesh import Mesh


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # routing does not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code and body["detail"]
    return body


@pytest.mark.parametrize(
    ("service", "user", "known"),
    [("44", "440000_registrar", "/api/v1/registrations"), ("hub", "moe_registrar", None)],
)
async def test_nfr3_unknown_api_path_is_a_404_problem(
    mesh: Mesh, service: str, user: str, known: str | None
) -> None:
    for method in ("GET", "POST"):  # `POST /api/v1/x` looks like the console's `/{kind}/…`
        for who in (user, None):
            for accept in ("application/json", "text/html"):
                answer = await mesh._call(
                    method, service, "/api/v1/nothing", who, headers={"Accept": accept}
                )
                _problem(answer, 404, "not_found")
    assert "/api/v1/nothing" in answer.json()["detail"]
    known = known or "/api/v1/national/students"
    wrong = await mesh._call("DELETE", service, known, user)
    _problem(wrong, 405, "method_not_allowed")
    assert "GET" in wrong.headers["allow"]
    page = await mesh.get(service, "/nothing", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "页面不存在" in page.text  # the console's own page
