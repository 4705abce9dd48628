"""The page's password checks: a constant-time comparison for the one NEWSQA_PASSWORD, and per
account a wait that doubles with each wrong try, counted across every session of the server (a
new tab does not start over)."""

from __future__ import annotations

import hmac
import threading
import time
from collections import OrderedDict

PASSWORD_DELAY_S = 0.5  # the first wrong password waits this long, each next one twice as long
PASSWORD_DELAY_MAX_S = 30.0
THROTTLED_ACCOUNTS = 10_000  # names remembered (unknown ones too); the oldest are forgotten


class PasswordGate:
    """One password and the count of consecutive wrong tries at it; the right one resets it."""

    def __init__(self, password: str) -> None:
        self._password = password.encode()
        self._lock = threading.Lock()
        self.count = 0

    def check(self, entered: str) -> float | None:
        """None if `entered` is the password; else how long this wrong try is to wait."""
        if hmac.compare_digest(entered.encode(), self._password):
            with self._lock:  # checked first: a run of wrong guesses never delays the right one
                self.count = 0
            return None
        with self._lock:
            self.count += 1
            return delay_after(self.count)


def delay_after(failures: int) -> float:
    """The wait after `failures` wrong passwords in a row."""
    return min(PASSWORD_DELAY_S * 2 ** (failures - 1), PASSWORD_DELAY_MAX_S)


class AccountThrottle:
    """Per account, a wait before each password check that doubles with each wrong password
    in a row (the right one resets it). It is the server's, so new tabs or sessions trying the
    same account wait too; names that are no account are throttled alike, so the wait does not
    tell which names exist."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()  # count, next try

    def wait(self, username: str) -> float:
        """Seconds this account's next check must wait (0 when it may go at once)."""
        with self._lock:
            _, allowed = self._failures.get(_key(username), (0, 0.0))
        return min(max(allowed - time.monotonic(), 0.0), PASSWORD_DELAY_MAX_S)

    def failed(self, username: str) -> float:
        """Count a wrong password; returns the wait the next try of this account will have."""
        key = _key(username)
        with self._lock:
            count = self._failures.pop(key, (0, 0.0))[0] + 1
            delay = delay_after(count)
            self._failures[key] = (count, time.monotonic() + delay)
            while len(self._failures) > THROTTLED_ACCOUNTS:
                self._failures.popitem(last=False)
        return delay

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(_key(username), None)


def _key(username: str) -> str:
    return (username or "").strip().lower()
