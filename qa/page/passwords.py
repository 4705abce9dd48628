"""The page's password check: a constant-time comparison, and a wait after each wrong try that
doubles, counted across every session of the server (a new tab does not start over)."""

from __future__ import annotations

import hmac
import threading

PASSWORD_DELAY_S = 0.5  # the first wrong password waits this long, each next one twice as long
PASSWORD_DELAY_MAX_S = 30.0


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
            return min(PASSWORD_DELAY_S * 2 ** (self.count - 1), PASSWORD_DELAY_MAX_S)
