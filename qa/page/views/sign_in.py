"""Who is asking: an account's sign-in (streamlit-authenticator, throttled per account), the
one shared password (NEWSQA_PASSWORD), or an open page."""

from __future__ import annotations

import time
from hashlib import sha256
from typing import Any

import streamlit as st

from qa.config import Settings
from qa.interface.users import UsersFile, user_of
from qa.page.accounts import Visitor
from qa.page.markdown import escape_markdown
from qa.page.passwords import AccountThrottle, PasswordGate
from qa.page.views.session import forget_chat


@st.cache_resource(show_spinner=False)
def password_gate(password_digest: str, _password: str) -> PasswordGate:
    """The server's gate for the password whose digest is given (`_password` is not hashed)."""
    return PasswordGate(_password)


@st.cache_resource(show_spinner=False)
def account_throttle(users_file: str) -> AccountThrottle:
    """The server's count of wrong passwords per account of this users file."""
    return AccountThrottle()


def sign_in(settings: Settings) -> Visitor | None:
    """The session's visitor once signed in; else shows the sign-in form and returns None.

    With a users file (`python -m qa users add`), each person signs in to an account;
    with NEWSQA_PASSWORD alone, one password opens the page; with neither, it is open.
    """
    users = UsersFile(settings.users_path)
    if users.exists() and (config := users.config())["credentials"]["usernames"]:
        return account_sign_in(config, str(users.path))
    if settings.password and not unlocked(settings.password):
        return None
    return Visitor()


def account_sign_in(config: dict, users_file: str) -> Visitor | None:
    """streamlit-authenticator's sign-in form and signed cookie, with each account's wrong
    passwords throttled across the server (`AccountThrottle`)."""
    import streamlit_authenticator as stauth

    cookie = config["cookie"]
    authenticator = stauth.Authenticate(
        config["credentials"],
        cookie["name"],
        cookie["key"],
        float(cookie.get("expiry_days", 30)),
        auto_hash=False,  # `qa users add` stores bcrypt hashes
    )
    throttle_checks(authenticator, account_throttle(users_file))
    if st.session_state.pop("signing_out", False):  # before the form: it shows on this run
        authenticator.logout(location="unrendered")  # forgets the session and its cookie
        forget_chat()
        st.session_state.pop("visitor", None)
    fields = {"Form name": "Sign in", "Username": "Username", "Password": "Password"}
    try:
        authenticator.login(location="main", fields={**fields, "Login": "Sign in"}, key="sign_in")
    except stauth.utilities.LoginError as e:
        st.error(str(e))
        return None
    if st.session_state.get("authentication_status") is False:
        wait = st.session_state.get("sign_in_wait", 0)
        st.error(
            f"Wrong username or password. The next try for this account waits {wait:g} s "
            "(twice as long after each wrong one). The server's administrator can reset a "
            "password with `python -m qa users add NAME --replace`."
        )
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username") or ""
    entry = config["credentials"]["usernames"].get(username)
    if entry is None:  # removed from the users file since signing in
        authenticator.logout(location="unrendered")
        st.rerun()
    user = user_of(username, entry)
    if st.session_state.get("visitor") not in (None, username):  # another account, same tab
        forget_chat()
    st.session_state.visitor = username
    with st.sidebar, st.container(horizontal=True, vertical_alignment="center"):
        st.caption(f"Signed in as **{escape_markdown(user.name)}** ({user.role})")
        st.button("Sign out", key="sign_out", on_click=sign_out)
    return Visitor(username=username, name=user.name, role=user.role)


def throttle_checks(authenticator: Any, throttle: AccountThrottle) -> None:
    """Make the sign-in's password check wait its account's turn, and count wrong ones."""
    model = authenticator.authentication_controller.authentication_model
    check = model.check_credentials

    def throttled(username: str, password: str) -> bool:
        time.sleep(throttle.wait(username))  # before checking: other tabs wait their turn too
        if check(username, password):
            throttle.succeeded(username)
            return True
        st.session_state.sign_in_wait = throttle.failed(username)
        return False

    model.check_credentials = throttled


def sign_out() -> None:
    st.session_state.signing_out = True  # done by the next run, which shows the form


def unlocked(password: str) -> bool:
    """True once the session gave NEWSQA_PASSWORD; else shows the box."""
    if st.session_state.get("unlocked"):
        return True
    entered = st.text_input("Password", type="password", key="password")
    if not entered:
        return False
    gate = password_gate(sha256(password.encode()).hexdigest(), password)
    delay = gate.check(entered)
    if delay is None:
        st.session_state.unlocked = True
        st.rerun()  # start over without the password box
    time.sleep(delay)  # slows guessing: each wrong try waits twice as long as the one before
    st.error(f"Wrong password. (Waited {delay:g} s; each wrong try waits twice as long.)")
    return False
