"""qa.page.passwords: the page's password gate and the per-account throttle."""

from __future__ import annotations

import threading

from qa.page.passwords import (
    PASSWORD_DELAY_MAX_S,
    PASSWORD_DELAY_S,
    THROTTLED_ACCOUNTS,
    AccountThrottle,
    PasswordGate,
)


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


def test_an_accounts_wrong_passwords_make_its_next_check_wait_longer_and_the_right_one_resets():
    throttle = AccountThrottle()
    assert throttle.wait("alice") == 0
    assert [throttle.failed("Alice ") for _ in range(3)] == [0.5, 1.0, 2.0]  # one account
    assert 1.5 < throttle.wait("alice") <= 2.0  # the next try waits its turn first
    assert throttle.wait("bob") == 0  # another account is not slowed
    throttle.succeeded("alice")
    assert throttle.wait("alice") == 0 and throttle.failed("alice") == PASSWORD_DELAY_S


def test_names_that_are_no_account_are_throttled_alike_and_remembered_within_bounds():
    throttle = AccountThrottle()
    assert throttle.failed("nobody") == PASSWORD_DELAY_S  # the same answer as for an account
    for i in range(THROTTLED_ACCOUNTS + 5):
        throttle.failed(f"guess{i}")
    assert throttle.wait("nobody") == 0  # forgotten, oldest first: memory stays bounded
    assert throttle.wait(f"guess{THROTTLED_ACCOUNTS + 4}") > 0
