"""Province node settings: env prefix `XUEJI_` (e.g. `XUEJI_PROVINCE=44`, `XUEJI_DB_URL`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from projections.service import views_url
from xueji.pki import NatsClientSettings
from xueji.settings import KitSettings
from xueji.store import sqlite_url


class NodeSettings(KitSettings, NatsClientSettings):
    """NATS: `nats_url` and the certificate files (SEC-5), see `NatsClientSettings`; the
    kit's hardening (SEC-7, SEC-8), see `KitSettings`."""

    model_config = SettingsConfigDict(env_prefix="XUEJI_", extra="ignore")

    province: str = Field(default="44", pattern=r"^\d{2}$")
    #: SQLAlchemy URL of the event store; default: a SQLite file `var/prov<code>.sqlite`.
    db_url: str | None = None
    var_dir: Path = Path("var")
    #: How long a request to the hub may take before the user is told it is unreachable.
    hub_timeout_seconds: float = 5.0
    outbox_poll_seconds: float = 0.5
    #: How often registrations waiting for a deferred national dedup are sent to the hub.
    deferred_dedup_seconds: float = 300.0
    #: REG-5: how long after a try an authentication left pending is tried again; the pause
    #: doubles while the population registry stays away, up to the longest.
    auth_retry_seconds: float = 60.0
    auth_retry_max_seconds: float = 1800.0
    #: REG-5: a registration returned to its school and not resubmitted for this many days
    #: is closed by the system (abandoned) and its national claim released; checked hourly.
    returned_expiry_days: int = 30
    abandon_sweep_seconds: float = 3600.0
    #: GRD-3: how often the node looks whether its promotion day has passed.
    promotion_check_seconds: float = 600.0
    log_level: str = "INFO"

    #: SQLAlchemy URL of the read models (QRY); default: `<store>_views.sqlite` next to a
    #: SQLite store, the store's own database on PostgreSQL (projections/service.py says why).
    views_url: str | None = None
    views_poll_seconds: float = 0.2

    #: Where uploaded materials (proofs) are kept, by content hash; default `var/blobs/prov<code>`.
    blobs_dir: Path | None = None

    def blob_dir(self) -> Path:
        return self.blobs_dir or self.var_dir / "blobs" / f"prov{self.province}"

    def views_store_url(self) -> str:
        return self.views_url or views_url(self.store_url())

    def store_url(self) -> str:
        return self.db_url or sqlite_url(self.var_dir / f"prov{self.province}.sqlite")
