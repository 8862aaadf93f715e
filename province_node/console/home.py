"""The home page's 待办 panel: what awaits the caller, counted per business (one read model)."""

from __future__ import annotations

from fastapi import Request

from xueji.access.policy import SCHOOL_REGISTRAR
from xueji.access.sessions import Session
from xueji.console.kit import meta_of

#: Where each business's pending list is in the console (the menu's 审核 / 核办 entries).
LINKS = {
    "registration": "/registration/review",
    "deletion": "/students",
    "status_change": "/status-changes/pending",
    "in_province_transfer": "/in-province-transfers/pending",
    "key_data_change": "/key-data-changes/pending",
    "graduation": "/graduations/pending",
    "dropout_return": "/dropouts/returns/pending",
    "admission": "/admissions/pending",
    "transfer": "/transfers/pending",
    "enrollment": "/enrollments/pending",
}


async def pending_panel(request: Request, user: Session) -> dict:
    """`{"pending": [{label, count, href, unavailable}]}` for `home.html`."""
    summary = await request.app.state.runtime.pending.summary(meta_of(user))
    # A school's registrar has registrations to report, not to review (REG-6).
    reports = SCHOOL_REGISTRAR.allows(user)
    links = LINKS | ({"registration": "/registration/report"} if reports else {})
    items = [item | {"href": links.get(item["type"], "")} for item in summary["items"]]
    return {"pending": items}
