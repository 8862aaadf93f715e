"""What a running hub is made of; built by `bootstrap`, used by the routers."""

from __future__ import annotations

from dataclasses import dataclass

from hub.application import NationalHub
from hub.calendar import CalendarService
from hub.cases import CaseService
from hub.complaints import ComplaintService
from hub.identities import IdentityService
from hub.messaging import ProvinceFollower
from hub.national_query import NationalQueryService
from hub.problems import ProblemService
from hub.province_accounts import ProvinceAccountResets
from hub.reconciliation import ClaimReconciliation
from hub.repair import StreamRepair
from hub.settings import HubSettings
from hub.statistics import NationalStatistics
from xueji.access.service import AccessService
from xueji.bus import Bus
from xueji.clock import Clock
from xueji.lifecycle import Supervisor
from xueji.outbox import OutboxRelay
from xueji.store import Writer


@dataclass
class HubRuntime:
    settings: HubSettings
    hub: NationalHub
    writer: Writer
    bus: Bus
    followers: list[ProvinceFollower]
    access: AccessService
    clock: Clock
    relay: OutboxRelay
    identities: IdentityService  # REG-5 claims, QRY-4, the streams applied
    cases: CaseService  # XPT, PGE
    calendar: CalendarService  # SYS-2
    statistics: NationalStatistics  # QRY-6, the nation by province
    problems: ProblemService  # PRB-3, PRB-4: cross-province problem groups
    national: NationalQueryService | None = None  # QRY-4, one limiter for every path
    claims: ClaimReconciliation | None = None  # REG-5 claims that never leak
    complaints: ComplaintService | None = None  # SYS-4
    supervisor: Supervisor | None = None  # the background loops, restarted when they crash
    repair: StreamRepair | None = None  # BUS-6: a province stream gone backwards, repaired
    province_accounts: ProvinceAccountResets | None = None  # SEC-2 [004 Q111]
