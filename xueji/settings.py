"""Settings every service has (env prefix `XUEJI_`), mixed into `NodeSettings` and
`HubSettings`: hardening that is the same on the hub and on every node (SEC-8)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

MB = 2**20


class KitSettings(BaseSettings):
    #: SEC-8: any request body but an import's (`XUEJI_MAX_BODY_BYTES`).
    max_body_bytes: int = Field(default=3 * MB, ge=1024)
    #: SEC-8: an import's body, the Excel file of up to 10 MB and its multipart wrapping.
    max_upload_bytes: int = Field(default=12 * MB, ge=1024)
    #: SEC-8: a service on PostgreSQL (production) refuses to start with demo accounts, whose
    #: password is published; only a test of the PostgreSQL backend turns this on.
    allow_demo_on_postgresql: bool = False
