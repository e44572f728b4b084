"""Password hashing: Argon2id with argon2-cffi's defaults, and how long a password may be.

Every hash and check goes through :data:`HASHER` here (tests swap it for a cheaper one)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from commonplan.errors import PlanInputError, said

MIN_PASSWORD = 10
MAX_PASSWORD = 1024
HASHER = PasswordHasher()
_DUMMY_HASH = HASHER.hash("not anybody's password")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PlanInputError(
            said("a password has at least {characters} characters", characters=MIN_PASSWORD)
        )
    if len(password) > MAX_PASSWORD:
        raise PlanInputError(
            said("a password has at most {characters} characters", characters=MAX_PASSWORD)
        )


def _hash(password: str) -> str:
    return HASHER.hash(password)


def _needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was hashed with other parameters than :data:`HASHER`'s."""
    return HASHER.check_needs_rehash(stored)


def _verify(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored``; an unknown handle or an account without a
    password costs the same hashing time as a wrong password."""
    try:
        return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
