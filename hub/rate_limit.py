"""QRY-4: the national query is protected against enumeration by a per-account limit."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import datetime, timedelta

from contracts.errors import TooManyAttempts

#: At most this many national queries per account in any window (the original adds a captcha).
QUERIES_PER_WINDOW = 30
WINDOW = timedelta(minutes=1)


class RateLimiter:
    def __init__(self, limit: int = QUERIES_PER_WINDOW, window: timedelta = WINDOW) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[str, deque[datetime]] = defaultdict(deque)

    def check(self, key: str, now: datetime) -> None:
        """Counts one query for `key`; refuses (429) beyond the limit in the window."""
        seen = self._seen[key]
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if len(seen) >= self.limit:
            raise TooManyAttempts("查询过于频繁，请稍后再试", code="too_many_queries")
        seen.append(now)
