"""Passwords: argon2 hashes (SEC-2) and the rule a new password must meet."""

from __future__ import annotations

import re
import secrets
import string
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from contracts.errors import ContractError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@lru_cache(maxsize=4)
def shared_demo_hash(password: str) -> str:
    """Demo accounts share one hash of the demo password: hashing hundreds costs seconds."""
    return _hasher.hash(password)


@lru_cache(maxsize=1)
def unknown_user_hash() -> str:
    """A hash of a random secret with the same parameters as every account's: verified in
    place of an unknown username's, so its refusal costs the same time (SEC-8)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def one_time_password(length: int = 16) -> str:
    """A random password that meets `check_new_password` (letters and digits), for a first
    account; look-alike characters left out since it is read off a terminal."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        if re.search(r"[A-Za-z]", password) and re.search(r"\d", password):
            return password


def check_new_password(new: str, old: str | None = None) -> None:
    """At least 8 characters with letters and digits, and not the old one."""
    if len(new) < 8 or not re.search(r"[A-Za-z]", new) or not re.search(r"\d", new):
        raise ContractError(
            "new_password", "weak_password", "新密码至少8位，且须同时包含字母和数字"
        )
    if old is not None and new == old:
        raise ContractError("new_password", "same_password", "新密码不能与原密码相同")
