"""The organisation tree: ministry → province → city → county → school (SPEC §0, ORG).

Bureaus are identified by their 6-digit region code (`440000`, `440100`, `440106`), schools
by their 10-digit identification code, the ministry by `MINISTRY`. A school hangs under its
**supervising** bureau (approval chains follow it); its **locality** bureau (where it
stands) may differ [004 Q10] and also sees it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from contracts.codes import MINISTRY_UNIT, Level
from contracts.errors import ContractError, NotFound
from contracts.regions import Region, children, province_of, region

MINISTRY = MINISTRY_UNIT  # kept short for the tree's own use


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: Level
    parent: str | None
    #: For schools only: the bureau where the school stands (may differ from `parent`).
    locality: str | None = None


class OrgTree:
    def __init__(self, units: Iterable[Unit]) -> None:
        self._units = {unit.code: unit for unit in units}

    @classmethod
    def for_province(cls, province: str, schools: Iterable[dict]) -> OrgTree:
        """The province's bureaus from the region table, and its schools."""
        units = [Unit(MINISTRY, "教育部", Level.MINISTRY, None)]
        units += [_bureau(r) for r in _regions_under(f"{province}0000")]
        units += [
            Unit(
                s["school_code"], s["name"], Level.SCHOOL, s["supervising_unit"], s["locality_unit"]
            )
            for s in schools
        ]
        return cls(units)

    def unit(self, code: str) -> Unit:
        try:
            return self._units[code]
        except KeyError:
            raise NotFound(f"单位 {code} 不存在", field="unit_code") from None

    def put(self, unit: Unit) -> None:
        """ORG-1, ORG-2: a region or school added, renamed or moved under another bureau."""
        self._units[unit.code] = unit

    def __contains__(self, code: str) -> bool:
        return code in self._units

    def ancestors(self, code: str) -> list[Unit]:
        """The superior units of `code`, nearest first (excluding itself)."""
        chain, unit = [], self.unit(code)
        while unit.parent is not None:
            unit = self.unit(unit.parent)
            chain.append(unit)
        return chain

    def superior(self, code: str) -> Unit | None:
        parent = self.unit(code).parent
        return self.unit(parent) if parent else None

    def is_within(self, code: str, root: str) -> bool:
        """Jurisdiction: `code` is `root` or below it (a school also via its locality)."""
        if code == root or any(u.code == root for u in self.ancestors(code)):
            return True
        locality = self.unit(code).locality
        return (
            locality is not None
            and locality != self.unit(code).parent
            and (self.is_within(locality, root))
        )

    def within(self, root: str, level: Level | None = None) -> list[Unit]:
        """Every unit in `root`'s jurisdiction, optionally of one level."""
        return [
            u
            for u in self._units.values()
            if self.is_within(u.code, root) and (level is None or u.level is level)
        ]

    def above_at_level(self, code: str, level: Level) -> Unit:
        """The unit of `level` over `code` (or `code` itself if it is of that level)."""
        for unit in [self.unit(code), *self.ancestors(code)]:
            if unit.level is level:
                return unit
        raise ContractError("level", "no_unit_at_level", f"{code} 之上没有{level.value}级单位")

    def province(self) -> Unit:
        return next(u for u in self._units.values() if u.level is Level.PROVINCE)


def _regions_under(code: str) -> list[Region]:
    top = region(code)
    found = [top]
    for child in children(code):
        found += _regions_under(child.code)
    assert province_of(top.code)
    return found


def _bureau(r: Region) -> Unit:
    level = {"province": Level.PROVINCE, "city": Level.CITY, "county": Level.COUNTY}[r.level]
    return Unit(
        r.code,
        f"{r.name}教育局" if level is not Level.PROVINCE else f"{r.name}教育厅",
        level,
        r.parent or MINISTRY,
    )


def province_of_unit(code: str) -> str | None:
    """The province a unit code belongs to: a bureau's region code (`44`, `440000`,
    `440106`) or a school's 10-digit code (`3440106002`: its region after the first digit);
    None for the ministry or a code of neither shape."""
    if not code.isdigit() or code == MINISTRY:
        return None
    if len(code) in (2, 6, 12):
        return code[:2]
    return code[1:3] if len(code) == 10 else None
