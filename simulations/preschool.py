"""The pre-school registry stand-in (学前学籍), a service of its own on the bus (REG-2).

A real pre-school registry replaces it by answering `xueji.rpc.preschool.match` with the
same contract (`MatchPreschool` → `PreschoolMatches`). Its records are children born
2019–2021, deterministic per province, plus a few look-alikes (same name, sex and birth
date, different kindergartens, no ID number) so that "several matches" really happens.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.commands import MatchPreschool
from contracts.envelope import decode
from contracts.errors import ContractError
from contracts.ids import Sex, mod11_2_check_char
from contracts.regions import children
from contracts.replies import PreschoolCandidate, PreschoolMatches
from simulations.population import person
from xueji.bus import serve, serve_until_stopped
from xueji.logs import configure_logging, get_logger
from xueji.pki import TlsFiles

log = get_logger("simulations.preschool")

CHILDREN_PER_PROVINCE = 5_000
LOOKALIKE_GROUPS = 3  # per province; each group is three records of one name+sex+birth date
_BORN_FROM, _BORN_DAYS = date(2019, 1, 1), 3 * 365


@dataclass(frozen=True)
class PreschoolRecord:
    record_id: str
    province: str
    name: str
    sex: str
    birth_date: date
    id_number: str | None
    kindergarten: str
    county: str
    guardian: str

    def candidate(self) -> PreschoolCandidate:
        masked = f"{self.id_number[:6]}********{self.id_number[-4:]}" if self.id_number else None
        return PreschoolCandidate(
            record_id=self.record_id,
            name=self.name,
            sex=self.sex,
            birth_date=self.birth_date,
            masked_id=masked,
            kindergarten=self.kindergarten,
            kindergarten_county=self.county,
        )


def _counties(province: str) -> list:
    return [c for city in children(f"{province}0000") for c in children(city.code)]


def child(province: str, index: int) -> PreschoolRecord:
    """The index-th pre-school child of a province: population's name, a 2019–2021 birth."""
    # population.person() is born 2008–2020; the name and sex are reused, the birth date and
    # therefore the ID number are drawn again so every child is of pre-school age.
    base = person(province, index)
    rng = random.Random(f"preschool:{province}:{index}")
    counties = _counties(province)
    county = counties[index % len(counties)]
    born = _BORN_FROM + timedelta(days=rng.randrange(_BORN_DAYS))
    # Sequences 500–999 keep clear of most of population's (it counts up from 000).
    sequence = 500 + (index // len(counties) % 250) * 2 + (1 if base.sex is Sex.MALE else 0)
    body = f"{county.code}{born:%Y%m%d}{sequence:03d}"
    return PreschoolRecord(
        record_id=f"{province}-P{index:06d}",
        province=province,
        name=base.name,
        sex=base.sex.value,
        birth_date=born,
        id_number=body + mod11_2_check_char(body),
        kindergarten=f"{county.name}第{rng.randrange(1, 9)}幼儿园",
        county=county.name,
        guardian=f"{base.name[0]}{rng.choice('建国华明军强')}",
    )


def lookalikes(province: str, group: int) -> list[PreschoolRecord]:
    """Three records sharing name, sex and birth date, in three kindergartens, no ID."""
    base = child(province, 900_000 + group)
    counties = _counties(province)
    return [
        PreschoolRecord(
            record_id=f"{province}-L{group:02d}{copy}",
            province=province,
            name=base.name,
            sex=base.sex,
            birth_date=base.birth_date,
            id_number=None,
            kindergarten=f"{counties[copy].name}阳光幼儿园",
            county=counties[copy].name,
            guardian=base.guardian,
        )
        for copy in range(3)
    ]


class PreschoolRegistry:
    def __init__(self, records: Iterable[PreschoolRecord]) -> None:
        self._by_id: dict[str, PreschoolRecord] = {}
        self._by_person: dict[tuple, list[PreschoolRecord]] = defaultdict(list)
        self.records: list[PreschoolRecord] = []
        for record in records:
            self.add(record)

    @classmethod
    def seeded(
        cls, provinces: list[str], per_province: int = CHILDREN_PER_PROVINCE
    ) -> PreschoolRegistry:
        records = [child(p, i) for p in provinces for i in range(per_province)]
        records += [r for p in provinces for g in range(LOOKALIKE_GROUPS) for r in lookalikes(p, g)]
        return cls(records)

    def add(self, record: PreschoolRecord) -> None:
        self.records.append(record)
        if record.id_number:
            self._by_id[record.id_number] = record
        key = (record.province, record.name, record.sex, record.birth_date)
        self._by_person[key].append(record)

    def match(self, query: MatchPreschool) -> PreschoolMatches:
        found = self._by_id.get((query.id_number or "").upper())
        if found is not None and found.province == query.province:
            return PreschoolMatches(candidates=[found.candidate()])
        if query.sex is None or query.birth_date is None:
            raise ContractError("sex", "missing_field", "无证件号码时须提供性别和出生日期")
        key = (query.province, query.name, query.sex, query.birth_date)
        # With an ID number given, only records that carry none can still be this child.
        same = [r for r in self._by_person.get(key, []) if not (query.id_number and r.id_number)]
        return PreschoolMatches(candidates=[r.candidate() for r in same])

    async def serve(self, nc: Client) -> None:
        async def handle(msg: Msg) -> PreschoolMatches:
            return self.match(decode(MatchPreschool, msg.data))

        await serve(nc, subjects.PRESCHOOL_MATCH, subjects.PRESCHOOL_QUEUE, handle)


async def run(
    nats_url: str, provinces: list[str], per_province: int, tls: TlsFiles | None = None
) -> None:
    """`xueji preschool`: serve until stopped."""
    configure_logging()
    registry = PreschoolRegistry.seeded(provinces, per_province)
    log.info("preschool_registry_started", records=len(registry.records), provinces=provinces)
    await serve_until_stopped(nats_url, subjects.PRESCHOOL_CLIENT, [registry.serve], tls)
