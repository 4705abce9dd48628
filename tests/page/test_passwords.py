"""qa.page.passwords: the page's password gate."""

from __future__ import annotations

import threading

from qa.page.passwords import PASSWORD_DELAY_MAX_S, PASSWORD_DELAY_S, PasswordGate


def test_each_wrong_try_waits_twice_as_long_up_to_the_cap_and_the_right_one_resets():
    gate = PasswordGate("s3cret")
    waits = [gate.check("guess") for _ in range(8)]
    assert waits[:3] == [PASSWORD_DELAY_S, 2 * PASSWORD_DELAY_S, 4 * PASSWORD_DELAY_S]
    assert waits[-1] == PASSWORD_DELAY_MAX_S
    assert gate.check("s3cret") is None
    assert gate.check("guess") == PASSWORD_DELAY_S  # counting starts over


def test_wrong_tries_from_many_sessions_are_all_counted():
    gate = PasswordGate("s3cret")
    threads = [threading.Thread(target=gate.check, args=(f"guess {i}",)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert gate.count == 20
    assert gate.check("s3cret ") is not None  # not trimmed, not a prefix: exactly the password
