"""`CrossProvinceClient` on a province node: the console calls the very endpoint functions
of the JSON API (`province_node/api/cases.py`), in-process, with the console user's session
and command metadata, so the pages follow the same rules and jurisdiction (no HTTP to
itself). Each method is one API.md endpoint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from uuid import UUID

from fastapi import Request
from fastapi.routing import APIRoute
from pydantic import ValidationError

from contracts.cases import CaseFilters
from contracts.errors import ContractError
from contracts.meta import CommandMeta
from province_node.api.cases import CaseIn, DecisionIn
from xueji.access.sessions import Session
from xueji.console.kit import FeatureUnavailable
from xueji.telemetry import current_traceparent


class NodeCases:
    def __init__(self, request: Request, user: Session) -> None:
        self.app, self.user = request.app, user
        self.runtime = request.app.state.runtime

    def _meta(self) -> CommandMeta:
        return CommandMeta.new(
            self.user.username,
            self.user.unit_code,
            self.user.role,
            traceparent=current_traceparent(),
        )

    def _endpoint(self, method: str, path: str) -> Callable:
        for prefix, route in _routes(self.app.router.routes):
            if prefix + route.path == path and method in route.methods:
                return route.endpoint
        raise FeatureUnavailable(path)

    async def national_student(
        self, name: str, student_number: str | None = None, id_number: str | None = None
    ) -> dict:
        endpoint = self._endpoint("GET", "/api/v1/national/students")
        return await endpoint(
            runtime=self.runtime,
            meta=self._meta(),
            name=name,
            student_number=student_number,
            id_number=id_number,
        )

    async def create(self, kind: str, body: dict) -> dict:
        endpoint = self._endpoint("POST", f"/api/v1/{kind}")
        return await endpoint(
            body=_model(CaseIn, body), runtime=self.runtime, meta=self._meta(), user=self.user
        )

    async def pending(self, kind: str) -> list[dict]:
        endpoint = self._endpoint("GET", f"/api/v1/{kind}/pending")
        found = await endpoint(runtime=self.runtime, meta=self._meta(), filters=CaseFilters())
        return found["items"]

    async def decide(
        self, kind: str, case_id: str, approve: bool, opinion: str, ground: str | None = None
    ) -> dict:
        endpoint = self._endpoint("POST", f"/api/v1/{kind}/{{case_id}}/decisions")
        body = {"approve": approve, "opinion": opinion or None, "ground": ground}
        body = _model(DecisionIn, body)
        return await endpoint(
            case_id=_uuid(case_id), body=body, runtime=self.runtime, meta=self._meta()
        )

    async def revoke(self, kind: str, case_id: str) -> dict:
        return await self._act(kind, case_id, "revoke")

    async def archive_pull(self, kind: str, case_id: str) -> dict:
        return await self._act(kind, case_id, "archive-pull")

    async def _act(self, kind: str, case_id: str, action: str) -> dict:
        endpoint = self._endpoint("POST", f"/api/v1/{kind}/{{case_id}}/{action}")
        return await endpoint(
            case_id=_uuid(case_id), runtime=self.runtime, meta=self._meta(), user=self.user
        )

    async def get(self, kind: str, case_id: str) -> dict:
        endpoint = self._endpoint("GET", f"/api/v1/{kind}/{{case_id}}")
        return await endpoint(
            case_id=_uuid(case_id), runtime=self.runtime, meta=self._meta(), as_of=None
        )

    async def query(self, kind: str, filters: dict[str, str]) -> list[dict]:
        endpoint = self._endpoint("GET", f"/api/v1/{kind}")
        found = await endpoint(
            runtime=self.runtime, meta=self._meta(), filters=_model(CaseFilters, filters)
        )
        return found["items"]


def _routes(routes: list, prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route with the prefix it is served under (FastAPI may keep included
    routers as they are, with their include prefix beside them)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix, route
        included = getattr(route, "original_router", None)
        if included is not None:
            inner = prefix + getattr(getattr(route, "include_context", None), "prefix", "")
            yield from _routes(included.routes, inner)


def _model(model: type, data: dict):
    """Bad input as the console shows it: which field, why (never a 500)."""
    try:
        return model(**data)
    except ValidationError as bad:
        first = bad.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "body"
        raise ContractError(field, "invalid_request", f"输入有误：{field}") from None


def _uuid(case_id: str) -> UUID:
    try:
        return UUID(case_id)
    except ValueError:
        raise ContractError("id", "bad_id", "申请编号不正确") from None
