"""Reviewer accounts: names, roles, argon2 password hashes, each user's desk settings.

The password rule: at least `MIN_PASSWORD_LENGTH` (10) characters; a passphrase of a few words
is the easiest to remember. Its errors are in Danish: the desk shows them as they are.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from store.errors import NotFound, StoreError
from store.models import User

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


def add_user(session: Session, name: str, password: str, *, admin: bool = False) -> User:
    name = name.strip()
    if not name or len(name) > 200:
        raise StoreError("Brugernavnet skal være 1 til 200 tegn.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StoreError(f"Adgangskoden skal være mindst {MIN_PASSWORD_LENGTH} tegn (den var {len(password)}).")
    if session.exec(select(User).where(User.name == name)).first() is not None:
        raise StoreError(f"Der findes allerede en bruger ved navn {name}.")
    user = User(name=name, password_hash=_hasher.hash(password), is_admin=admin)
    session.add(user)
    session.commit()
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The user if the password is right; None otherwise (same work either way)."""
    user = session.exec(select(User).where(User.name == name.strip())).first()
    if user is None:
        _hasher.hash(password)  # spend the same time as a real check: names are not revealed by timing
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return user


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(User.name)).all())


def set_preference(session: Session, user_id: int, name: str, value: object) -> User:
    """Keep one of a user's desk settings (e.g. "shortcuts": False); commit."""
    user = get_user(session, user_id)
    user.preferences = {**(user.preferences or {}), name: value}
    session.add(user)
    session.commit()
    return user
