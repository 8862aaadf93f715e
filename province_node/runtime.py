"""What a running node is made of; built by `bootstrap`, used by the routers."""

from __future__ import annotations

from dataclasses import dataclass, field

from contracts.org import OrgTree
from projections.service import Views
from province_node.admissions import AdmissionService
from province_node.application import ProvinceNode
from province_node.applications import ApplicationService
from province_node.batch_edit import BatchEdits
from province_node.bulk_exports import BulkExportService
from province_node.calendar_client import HubCalendar
from province_node.card import StudentCards
from province_node.cases import CaseService
from province_node.complaints import ProvinceComplaints
from province_node.configuration import SettingsService
from province_node.dropouts import DropoutService
from province_node.graduations import GraduationService
from province_node.imports import ImportService
from province_node.later_checks import LaterChecks
from province_node.migrations import MigrationService
from province_node.org_changes import OrgChangeService
from province_node.pending import PendingWork
from province_node.photos import PhotoService
from province_node.preschool import PreschoolService
from province_node.problems import ProblemService
from province_node.promotions import PromotionService
from province_node.reauthentication import ReauthenticationService
from province_node.registrations import RegistrationService
from province_node.reviews import ReviewService
from province_node.schools import SchoolService
from province_node.settings import NodeSettings
from province_node.statistics import StudentStatistics
from province_node.students import StudentService
from xueji.access.service import AccessService
from xueji.bus import Bus
from xueji.clock import Clock
from xueji.lifecycle import Supervisor
from xueji.outbox import OutboxRelay
from xueji.store import Writer


@dataclass
class NodeRuntime:
    settings: NodeSettings
    node: ProvinceNode
    writer: Writer
    bus: Bus
    relay: OutboxRelay
    registrations: RegistrationService
    org: OrgTree
    access: AccessService
    clock: Clock
    imports: ImportService
    preschool: PreschoolService
    views: Views  # the read models (QRY)
    cases: CaseService
    #: Tasks started once NATS is up (the hub-notice follower), stopped with the node.
    background: list = field(default_factory=list)
    #: Issue 17 item 5: the node's loops (outbox, views, sweeps, notices, calendar),
    #: each started again when it crashed; `/healthz` shows the restarts.
    supervisor: Supervisor = field(default_factory=Supervisor)
    #: SYS-2: the calendar years the ministry entered on the hub.
    calendar: HubCalendar | None = None
    #: 待办: what awaits a unit and role, across every business (one read model).
    pending: PendingWork | None = None
    #: CHG-1…CHG-5: status changes and in-province transfers.
    applications: ApplicationService | None = None
    #: GRD-1, GRD-2, GRD-4: graduation, its rollback, the graduates.
    graduations: GraduationService | None = None
    #: ADM-1…ADM-4, QRY-3: admissions of graduates into the next stage.
    admissions: AdmissionService | None = None
    #: QRY-6: counts of a jurisdiction (the statistics pages and the hub's national figure).
    statistics: StudentStatistics | None = None
    #: DAY-2: the Excel round trip of the record's non-key fields.
    batch_edits: BatchEdits | None = None
    #: SYS-6: bulk exports on application, approval and commitment.
    bulk_exports: BulkExportService | None = None
    #: SYS-4: complaints, held on the hub.
    complaints: ProvinceComplaints | None = None
    #: GRD-3: the yearly promotion job.
    promotions: PromotionService | None = None
    #: The school directory and its classes.
    schools: SchoolService | None = None
    #: ORG-1, ORG-2, ORG-4: region and school changes, the school profile.
    org_changes: OrgChangeService | None = None
    #: ORG-3: record migrations out of a school being revoked.
    migrations: MigrationService | None = None
    #: SYS-1…SYS-3, KDC-1: the province's switches, key dates, workflow, controlled fields.
    configuration: SettingsService | None = None
    #: REG-6, REG-7, REG-9: registration review and reporting.
    reviews: ReviewService | None = None
    #: Student records, their history, REG-9 deletion.
    students: StudentService | None = None
    #: DRP-1…DRP-5: dropout control 控辍保学.
    dropouts: DropoutService | None = None
    #: PRB-1…PRB-6: problem records, their actions and arbitration.
    problems: ProblemService | None = None
    #: ID-7: student photos (upload, zip import, export).
    photos: PhotoService | None = None
    #: DAY-6: the student card 学籍卡 and the 学生基本信息表.
    cards: StudentCards | None = None
    #: REG-5: what the registrations finish later (deferred dedup, pending authentications,
    #: returned entries left lying), by the sweeps or on a sysadmin's word.
    later_checks: LaterChecks | None = None
    #: ID-3, REG-5: the yearly re-authentication run of the `L` records.
    reauthentications: ReauthenticationService | None = None
