"""How the consoles show a cross-province case (XPT, PGE): kinds and the step timeline."""

from __future__ import annotations

from fastapi import HTTPException
from pydantic import ValidationError

from contracts.cases import CaseFilters
from contracts.errors import ContractError
from xueji.console.labels import STEPS

TITLES = {"transfers": "跨省转学", "enrollments": "毕业后跨省就学"}
FLOWS = {"transfers": "transfer", "enrollments": "enrollment"}
DEFAULT_STEPS = ("in_school", "in_bureau", "out_school", "out_bureau", "archive_pull")


def title_of(kind: str) -> str:
    """The Chinese name of a case kind; any other path segment is a 404 page."""
    if kind not in TITLES:
        raise HTTPException(404)
    return TITLES[kind]


def case_filters(values: dict[str, str]) -> CaseFilters:
    """The list pages' filters (XPT-3, XPT-5), empty ones left out."""
    try:
        return CaseFilters(**{k: v for k, v in values.items() if v})
    except ValidationError:
        raise ContractError("filters", "invalid_request", "查询条件不正确") from None


def timeline(case: dict) -> list[dict]:
    """Every step in order: decided (who, when, opinion), current, or still to come."""
    if case.get("steps"):
        return _from_steps(case)
    history = case.get("history") or []
    steps = list(DEFAULT_STEPS)
    for entry in history:
        if entry.get("step") and entry["step"] not in steps:
            steps.insert(max(len(steps) - 1, 0), entry["step"])
    rows = []
    for step in steps:
        done = [h for h in history if h.get("step") == step]
        state = "todo"
        if done:
            decision = str(done[-1].get("decision", "")).lower()
            state = "no" if decision in ("reject", "rejected", "false", "0") else "done"
        elif step == case.get("step") and case.get("status") in ("in_progress", "approved"):
            state = "current"
        rows.append({"step": step, "label": STEPS.get(step, step), "state": state, "entries": done})
    return rows


def _from_steps(case: dict) -> list[dict]:
    """The hub's own step list (unit, decision, opinion, times), then the archive pull."""
    rows = []
    for step in case["steps"]:
        decision = step.get("decision")
        state = {"approved": "done", "rejected": "no"}.get(decision or "", "todo")
        if state == "todo" and step.get("started_at") and case.get("status") == "in_progress":
            state = "current"
        entry = {
            "at": step.get("decided_at"),
            "unit_code": step.get("unit_code"),
            "account": step.get("account"),
            "decision": decision,
            "opinion": step.get("opinion"),
        }
        rows.append(
            {
                "step": step["step"],
                "label": STEPS.get(step["step"], step["step"]),
                "unit_name": step.get("unit_name"),
                "state": state,
                "entries": [entry] if decision else [],
            }
        )
    pulled = case.get("status") == "completed"
    awaiting = case.get("status") == "approved"
    rows.append(
        {
            "step": "archive_pull",
            "label": STEPS["archive_pull"],
            "unit_name": None,
            "state": "done" if pulled else "current" if awaiting else "todo",
            "entries": [],
        }
    )
    return rows
