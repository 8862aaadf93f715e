"""SEC-8 "logins throttled without letting anyone lock an account out": wrong passwords
slow down whoever guesses, with a wait that doubles, instead of locking the account.

Three counters, each with its own free failures, first wait and longest wait:

- an account from one source address: the guesser at one address waits longer and longer
  (up to 15 minutes); its owner, elsewhere, is not slowed by it;
- an account from anywhere: guessers at many addresses are slowed too, but this wait never
  passes a minute, so nobody can keep an owner out for longer;
- a source address over every account: one address trying many accounts (credential
  stuffing) waits longer and longer too.

A refused attempt checks no password and counts nothing; a success clears its account's
counters (not its address's: one valid account must not reset a stuffing address). A
counter quiet for an hour is forgotten; the counters live in memory, bounded, like sessions.
Every password check goes through here: logins and SEC-4 export confirmations (whose
"source" is the requesting account, with a stricter counter over every confirmer it tries).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

FORGET_AFTER = timedelta(hours=1)
MAX_COUNTERS = 100_000


@dataclass(frozen=True)
class Backoff:
    free: int  # failures before any wait
    first: timedelta  # the wait after the first failure past the free ones; then it doubles
    longest: timedelta

    def wait(self, failures: int) -> timedelta:
        if failures <= self.free:
            return timedelta(0)
        return min(self.longest, self.first * 2 ** min(failures - self.free - 1, 30))


PER_ACCOUNT_AND_SOURCE = Backoff(free=4, first=timedelta(seconds=2), longest=timedelta(minutes=15))
PER_ACCOUNT = Backoff(free=10, first=timedelta(seconds=1), longest=timedelta(minutes=1))
PER_SOURCE = Backoff(free=30, first=timedelta(seconds=1), longest=timedelta(minutes=15))
#: SEC-4: one requester trying many confirmers (its "source", `exports.throttle_source`).
PER_REQUESTER = Backoff(free=10, first=timedelta(seconds=2), longest=timedelta(minutes=15))
EXPORT_SOURCE = "export:"


@dataclass
class _Counter:
    failures: int
    last: datetime


@dataclass
class LoginThrottle:
    _counters: OrderedDict[tuple[str, ...], _Counter] = field(default_factory=OrderedDict)

    def _keys(self, username: str, source: str) -> list[tuple[tuple[str, ...], Backoff]]:
        return [
            (("pair", username, source), PER_ACCOUNT_AND_SOURCE),
            (("account", username), PER_ACCOUNT),
            (("source", source), PER_REQUESTER if source.startswith(EXPORT_SOURCE) else PER_SOURCE),
        ]

    def retry_after(self, username: str, source: str, now: datetime) -> int:
        """Seconds until `username` may be tried from `source` again (0: now)."""
        waits = [
            (counter.last + backoff.wait(counter.failures) - now).total_seconds()
            for key, backoff in self._keys(username, source)
            if (counter := self._live(key, now)) is not None
        ]
        return max(0, math.ceil(max(waits, default=0)))

    def failed(self, username: str, source: str, now: datetime) -> None:
        for key, _ in self._keys(username, source):
            counter = self._live(key, now)
            self._counters[key] = _Counter((counter.failures if counter else 0) + 1, now)
            self._counters.move_to_end(key)
        while len(self._counters) > MAX_COUNTERS:
            self._counters.popitem(last=False)

    def succeeded(self, username: str, source: str) -> None:
        self._counters.pop(("pair", username, source), None)
        self._counters.pop(("account", username), None)

    def _live(self, key: tuple[str, ...], now: datetime) -> _Counter | None:
        counter = self._counters.get(key)
        if counter is not None and now - counter.last > FORGET_AFTER:
            del self._counters[key]
            return None
        return counter
