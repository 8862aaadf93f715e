"""Hub settings: env prefix `XUEJI_` (e.g. `XUEJI_DB_URL`, `XUEJI_PROVINCES=34,37,44`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from xueji.pki import NatsClientSettings
from xueji.settings import KitSettings
from xueji.store import sqlite_url


class HubSettings(KitSettings, NatsClientSettings):
    """NATS: `nats_url` and the certificate files (SEC-5), see `NatsClientSettings`; the
    kit's hardening (SEC-7, SEC-8), see `KitSettings`."""

    model_config = SettingsConfigDict(env_prefix="XUEJI_", extra="ignore")

    #: SQLAlchemy URL of the hub's event store; default: a SQLite file `var/hub.sqlite`.
    db_url: str | None = None
    var_dir: Path = Path("var")
    #: The provinces whose streams the hub follows.
    provinces: Annotated[list[str], NoDecode] = ["34", "37", "44"]
    log_level: str = "INFO"
    #: XPT-6: pull a transfer's archive as soon as it is approved (post-graduation
    #: enrollment always pulls by itself, [002 §19]).
    auto_pull: bool = False
    #: How often the deadline scheduler looks at open cases (XPT-6, XPT-7).
    deadline_poll_seconds: float = 60.0
    outbox_poll_seconds: float = 0.2
    #: REG-5 claim reconciliation: how often the hub runs it with every province node, and
    #: how old an orphan claim must be before it is released (a registration between the
    #: hub's claim and its commit is not an orphan).
    claim_reconcile_seconds: float = 900.0
    claim_grace_seconds: float = 3600.0
    #: BUS-6: how often each province stream is checked for a sequence gone backwards (the
    #: province's stream lost or recreated): then the hub stops following it and alarms.
    stream_check_seconds: float = 10.0
    #: Issue 17 item 5: replicas of the streams the hub declares (3 on the production
    #: cluster, `compose/`; 1 on a single nats-server).
    stream_replicas: int = Field(1, ge=1, le=5)

    @field_validator("provinces", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return value.split(",") if isinstance(value, str) else value

    def store_url(self) -> str:
        return self.db_url or sqlite_url(self.var_dir / "hub.sqlite")
