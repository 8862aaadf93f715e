"""What a service loads at start besides its own log: an adapter of `create_app` (DESIGN §1).

The production default loads nothing (SEC-8: no default credentials outside the local demo);
schools and accounts then come in through the API and the console. `xueji up` and the tests
pass the demo seed (`simulations.demo.DEMO`), so no service imports `simulations`.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol


class Seed(Protocol):
    def schools(self, province: str, today: date) -> list[dict]:
        """School records for `ProvinceNode.load_schools` (loading twice adds nothing)."""
        ...

    def accounts(self, units: list[tuple[str, str, str]]) -> list[dict]:
        """Account seeds for `AccessService.load_accounts`, `password_hash` included and
        `meta` left to the caller, for (unit code, unit name, level) triples."""
        ...


class NoSeed:
    """The production default: nothing."""

    def schools(self, province: str, today: date) -> list[dict]:
        return []

    def accounts(self, units: list[tuple[str, str, str]]) -> list[dict]:
        return []


NO_SEED = NoSeed()
