"""SYS-6 data export governance: a bureau's bulk export of its records is an application
(purpose, scope, the security commitment its applicant accepts) that climbs the approval
engine to the province ([004 Q103]: 教基一司函[2014]33号, the 数据管理安全承诺书); approved,
the file is available to the applicant — through the SEC-4 guarded export — for a limited
time, each download recorded on the application. Pure domain."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import ClassVar
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import event

from contracts.errors import DomainError, Forbidden
from province_node.domain.approval import Approval

_NS = uuid5(NAMESPACE_URL, "xueji:bulk-export")
#: How long an approved export stays downloadable.
AVAILABLE_FOR = timedelta(days=7)
#: The commitment the applicant accepts (the 安全承诺书's undertakings, in short).
COMMITMENT = (
    "本单位承诺：导出的学籍数据仅用于申请所列用途；指定专人保管，不向任何第三方提供、"
    "不公开、不用于商业目的；采取加密存储等安全措施，防止泄露、篡改和丢失；用途完成后及时"
    "删除并报备；如发生数据泄露，立即报告并承担相应责任。"
)


def commitment_digest(text: str = COMMITMENT) -> str:
    """The SHA-256 of the commitment text accepted (what was promised, kept with it)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class BulkExport(Approval):
    STATUS_LABELS: ClassVar[dict[str, str]] = {
        "in_progress": "审核中",
        "approved": "审核通过（可下载）",
        "rejected": "审核不通过",
        "revoked": "已撤销",
    }
    NOT_IN_REVIEW = "该数据导出申请已办结，不能再审核"
    NOT_YOUR_STEP = "该数据导出申请当前不由本单位（本角色）审核"
    OPINION_REQUIRED = "审核不通过时须填写审核意见"

    ID_NAMESPACE = _NS

    @event("Applied")
    def __init__(self, command_id: str, unit_code: str, unit_name: str, purpose: str,
                 scope: dict, commitment: str, commitment_sha256: str, chain: list[dict],
                 at: str, meta: dict) -> None:  # fmt: skip
        """`scope`: `region` (a region code in the unit's jurisdiction, or None: all of it)
        and `columns`; the engine's `school_code` is the applying unit (it may revoke)."""
        self.unit_code = self.school_code = unit_code
        self.unit_name, self.purpose, self.scope = unit_name, purpose, dict(scope)
        self.commitment, self.commitment_sha256 = commitment, commitment_sha256
        self.applied_at, self.applied_by = at, meta.get("account")
        self.decisions: list[dict] = []
        self.downloads: list[dict] = []
        self._enter_chain(chain, at)

    @property
    def approved_at(self) -> str | None:
        return self.decisions[-1]["at"] if self.status == self.APPROVED else None

    @property
    def available_until(self) -> datetime | None:
        at = self.approved_at
        return datetime.fromisoformat(at) + AVAILABLE_FOR if at else None

    def check_decider_is_not_applicant(self, account: str) -> None:
        if account == self.applied_by:
            raise Forbidden("申请人不能审核自己的数据导出申请", code="own_application")

    def check_downloadable(self, account: str, now: datetime) -> None:
        """Only the applicant, only once approved, only until `available_until`."""
        if account != self.applied_by:
            raise Forbidden("只有申请人可以下载该批数据", code="not_applicant")
        if self.status != self.APPROVED:
            label = self.STATUS_LABELS.get(self.status, self.status)
            raise DomainError(f"该数据导出申请{label}，不能下载", code="not_approved")
        until = self.available_until
        if until is not None and now >= until:
            raise DomainError(
                f"该批数据的下载期限已于{until.isoformat(timespec='minutes')}届满，请重新申请",
                code="download_expired",
            )

    @event("Downloaded")
    def record_download(self, rows: int, confirmer: str, at: str, meta: dict) -> None:
        """Each download (SEC-4 confirmed), besides the export record of the account."""
        self.downloads.append({"at": at, "rows": rows, "confirmer": confirmer,
                               "account": meta.get("account")})  # fmt: skip

    def view(self) -> dict:
        until = self.available_until
        return {
            "id": str(self.id),
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "purpose": self.purpose,
            "scope": dict(self.scope),
            "commitment": self.commitment,
            "commitment_sha256": self.commitment_sha256,
            "applied_at": self.applied_at,
            "applied_by": self.applied_by,
            "status": self.status,
            "status_label": self.STATUS_LABELS.get(self.status, self.status),
            "chain": [dict(s) for s in self.chain],
            "step": self.step,
            "decisions": [dict(d) for d in self.decisions],
            "available_until": until.isoformat() if until else None,
            "downloads": [dict(d) for d in self.downloads],
        }
