"""The one error type raised when input at a boundary breaks a contract."""


class ContractError(ValueError):
    """Bad input at a boundary: names the field, a machine code and a Chinese message."""

    def __init__(self, field: str, code: str, message: str) -> None:
        # All three go to ValueError so the exception pickles and crosses process boundaries.
        super().__init__(field, code, message)
        self.field = field
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class DomainError(Exception):
    """A business rule refused the command (HTTP 409); `code` is stable for programs."""

    code = "rule_refused"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.field = field


class NotFound(DomainError):
    """The thing asked for does not exist, or not in the caller's sight (HTTP 404)."""

    code = "not_found"


class Unauthorized(DomainError):
    """Not logged in, wrong credentials, or the session ended (HTTP 401)."""

    code = "not_authenticated"


class Forbidden(DomainError):
    """Logged in, but the unit, role or level may not do this (HTTP 403)."""

    code = "forbidden"


class TooManyAttempts(DomainError):
    """Too many attempts: wait a while (HTTP 429)."""

    code = "account_locked"


def http_status(error: DomainError) -> int:
    """The HTTP status of a refusal, also carried in typed bus replies (API.md "Errors")."""
    if isinstance(getattr(error, "status", None), int):
        return error.status
    for kind, status in ((NotFound, 404), (Unauthorized, 401), (Forbidden, 403)):
        if isinstance(error, kind):
            return status
    return 429 if isinstance(error, TooManyAttempts) else 409
