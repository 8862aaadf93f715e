"""A stored event as the history screens show it: who, when, what (SEC-6, AUD-2)."""

from __future__ import annotations

from datetime import date

_HIDDEN = {"originator_id", "originator_version", "timestamp", "meta"}


def history_item(domain_event: object) -> dict:
    data = {k: v for k, v in vars(domain_event).items() if k not in _HIDDEN}
    meta = getattr(domain_event, "meta", {}) or {}
    return {
        "at": domain_event.timestamp.isoformat(),
        "type": type(domain_event).__name__,
        "actor": meta.get("account"),
        "unit": meta.get("unit_code"),
        "data": {k: (v.isoformat() if isinstance(v, date) else v) for k, v in data.items()},
    }
