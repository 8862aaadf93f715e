"""Settings every service has (env prefix `XUEJI_`), mixed into `NodeSettings` and
`HubSettings`: hardening that is the same on the hub and on every node (SEC-8)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings

from xueji.cipher import ring_for

MB = 2**20


class KitSettings(BaseSettings):
    #: SEC-8: any request body but an import's (`XUEJI_MAX_BODY_BYTES`).
    max_body_bytes: int = Field(default=3 * MB, ge=1024)
    #: SEC-8: an import's body, the Excel file of up to 10 MB and its multipart wrapping.
    max_upload_bytes: int = Field(default=12 * MB, ge=1024)
    #: SEC-8: a service on PostgreSQL (production) refuses to start with demo accounts, whose
    #: password is published; only a test of the PostgreSQL backend turns this on.
    allow_demo_on_postgresql: bool = False
    #: SEC-7: the key ring that encrypts the stored events (`xueji.cipher`), given itself
    #: (`XUEJI_CIPHER_KEY`) or in a file (`XUEJI_CIPHER_KEY_FILE`; `xueji up`: var/cipher.key).
    #: Required on PostgreSQL; without one a SQLite store is plain.
    cipher_key: SecretStr | None = None
    cipher_key_file: Path | None = None
    #: SYS-5: an account not logged in for this many days (a never-used one: since its
    #: creation) is frozen by the sweep, run every `account_sweep_seconds`, until a superior
    #: unit's sysadmin unfreezes it; SEC-2: a password expires after `password_max_age_days`;
    #: a session ends `session_lifetime_hours` after its login however active
    #: (`xueji/access/rules.py`).
    account_unused_days: int = Field(default=90, ge=1)
    password_max_age_days: int = Field(default=180, ge=1)
    session_lifetime_hours: float = Field(default=12.0, gt=0)
    account_sweep_seconds: float = Field(default=3600.0, gt=0)

    def cipher_ring(self, store_url: str) -> str:
        """The ring for `store_env` ("" = no encryption): the key, the key file, or the
        `cipher.key` beside a SQLite store (`xueji up`)."""
        key = self.cipher_key.get_secret_value() if self.cipher_key else None
        return ring_for(store_url, key, self.cipher_key_file) or ""
