"""An in-memory stand-in of the cross-province API (API.md "Cross-province transfer"), for
the console's tests and screenshots until the real transfer service is wired into
`province_node.console.cross_client.client_for`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import uuid4

from contracts.errors import ContractError, NotFound

STEPS = ["in_school", "in_bureau", "out_school", "out_bureau", "archive_pull"]


@dataclass
class FakeCrossProvince:
    """Cases live here; `national` is what the national query finds, by student number."""

    national: dict[str, dict] = field(default_factory=dict)
    cases: dict[str, dict] = field(default_factory=dict)
    account: str = "demo"
    unit_code: str = ""

    def as_(self, _request: object, user: object) -> FakeCrossProvince:
        """The factory `app.state.cross_province_client` expects."""
        self.account, self.unit_code = user.username, user.unit_code
        return self

    async def national_student(self, name, student_number=None, id_number=None) -> dict:
        for found in self.national.values():
            same = found["name"] == name and student_number in (None, found["student_number"])
            if same and id_number in (None, found.get("id_number")):
                return found
        raise NotFound("未查到符合条件的学生", field="student_number")

    async def create(self, kind: str, body: dict) -> dict:
        found = self.national.get(body["student_number"], {})
        case = {
            "id": str(uuid4()),
            "kind": kind,
            "status": "in_progress",
            "step": STEPS[0],
            "student_name": body["student_name"],
            "student_number": body["student_number"],
            "from_province": found.get("province"),
            "to_province": self.unit_code[1:3],
            "reason": body["reason"],
            "initiated_at": datetime.now().isoformat(),
            "history": [],
        }
        self.cases[case["id"]] = case
        return case

    async def pending(self, kind: str) -> list[dict]:
        return [
            c for c in self.cases.values() if c["kind"] == kind and c["status"] == "in_progress"
        ]

    async def decide(
        self, kind: str, case_id: str, approve: bool, opinion: str, ground: str | None = None
    ) -> dict:
        case = await self.get(kind, case_id)
        if not approve and not opinion:
            raise ContractError("opinion", "opinion_required", "核办不通过时须填写核办意见")
        case["history"].append(
            {
                "step": case["step"],
                "unit_code": self.unit_code,
                "account": self.account,
                "decision": "approve" if approve else "reject",
                "opinion": opinion,
                "at": datetime.now().isoformat(),
            }
        )
        if not approve:
            case["status"] = "rejected"
        else:
            case["step"] = STEPS[STEPS.index(case["step"]) + 1]
            if case["step"] == "archive_pull":
                case["status"] = "approved"
        return case

    async def revoke(self, kind: str, case_id: str) -> dict:
        case = await self.get(kind, case_id)
        case["status"] = "revoked"
        return case

    async def archive_pull(self, kind: str, case_id: str) -> dict:
        case = await self.get(kind, case_id)
        case["status"] = "completed"
        return case

    async def get(self, kind: str, case_id: str) -> dict:
        case = self.cases.get(case_id)
        if case is None or case["kind"] != kind:
            raise NotFound(f"申请 {case_id} 不存在")
        return case

    async def query(self, kind: str, filters: dict[str, str]) -> list[dict]:
        return [
            c
            for c in self.cases.values()
            if c["kind"] == kind and all(str(c.get(k, "")).find(v) >= 0 for k, v in filters.items())
        ]
