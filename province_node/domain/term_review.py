"""DAY-7 信息更新的学期审核: the fields that change (left-behind, migrant, political status,
address, phone, household, distance and transport) are edited any time; each term the county reviews
what its schools updated [003 §六]. One `TermReview` per county and term holds which schools
were reviewed, by whom and when."""

from __future__ import annotations

import re
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.errors import ContractError

_NS = uuid5(NAMESPACE_URL, "xueji:province:term-review")


def parse_term(raw: str) -> str:
    """`2026-1` (the autumn term of school year 2026) or `2026-2` (its spring term)."""
    if not re.fullmatch(r"20[0-9]{2}-[12]", raw or ""):
        raise ContractError(
            "term", "bad_term", "学期应为 学年-1（秋季）或 学年-2（春季），如 2026-1"
        )
    return raw


def term_label(term: str) -> str:
    year, half = term.split("-")
    return f"{year}-{int(year) + 1}学年{'第一' if half == '1' else '第二'}学期"


class TermReview(Aggregate):
    @staticmethod
    def create_id(county: str, term: str) -> UUID:
        return uuid5(_NS, f"{county}:{term}")

    @event("Opened")
    def __init__(self, county: str, term: str) -> None:
        self.county, self.term = county, term
        self.reviewed: dict[str, dict] = {}  # school code → {"by", "at", "note"}

    @event("SchoolReviewed")
    def review(self, school_code: str, note: str | None, at: str, meta: dict) -> None:
        self.reviewed[school_code] = {"by": meta.get("account"), "at": at, "note": note}
