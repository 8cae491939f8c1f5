"""Which passwords an account may have: 8 to 256 characters, not only spaces, not easy to guess.

"Easy to guess" is zxcvbn's estimate (the Dropbox estimator: common-password lists, names,
dictionary words, keyboard patterns, repeats, sequences, dates, l33t substitutions) at score 0
or 1, i.e. under about a million guesses; the learner is told zxcvbn's own reason. Pure: no
web framework, no database. The check costs a few milliseconds of CPU: call it from a thread.
"""

from __future__ import annotations

from zxcvbn import zxcvbn

__all__ = ["MAX_PASSWORD", "MIN_PASSWORD", "PASSWORD_RULES", "password_problem"]

MIN_PASSWORD, MAX_PASSWORD = 8, 256
PASSWORD_RULES = (
    f"{MIN_PASSWORD} to {MAX_PASSWORD} characters, not a common password or an easy pattern; "
    "a few unrelated words work well"
)
# zxcvbn's matching is quadratic in length; its verdict on a long password is settled by the
# start of it, and a 200-character password is not the weak one.
_ESTIMATED_PREFIX = 64
_CONTEXT = ["bertprep", "bert", "roberta", "albert", "deberta", "distilbert"]


def password_problem(password: str, *, username: str = "") -> str | None:
    """What is wrong with ``password`` for a learner called ``username``, or None if it is fine."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return f"Passwords are {MIN_PASSWORD} to {MAX_PASSWORD} characters long."
    if not password.strip():
        return "A password cannot be only spaces."
    estimate = zxcvbn(password[:_ESTIMATED_PREFIX], user_inputs=[username, *_CONTEXT])
    if estimate["score"] >= 2:
        return None
    feedback = estimate.get("feedback") or {}
    reason = str(feedback.get("warning") or "").strip()
    if username and username.lower() in password.lower():
        reason = "It contains your username."
    elif not reason:
        reason = "It would be among the first million guesses."
    return (
        f"That password is too easy to guess. {reason.rstrip('.')}. "
        "Try a few unrelated words, e.g. 'lantern piano orbit'."
    )
