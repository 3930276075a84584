"""API keys held so that they cannot leak into a log, a repr or an exception.

>>> key = Secret("sk-live-1234567890")
>>> key
Secret('sk-l…')
>>> str(key), f"{key}"
('sk-l…', 'sk-l…')
>>> key.reveal()
'sk-live-1234567890'
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["Secret", "secret_from"]


class Secret:
    """A secret string whose ``repr`` and ``str`` show at most its first four characters.

    Only :meth:`reveal` gives the value; it is called where a header is built and nowhere
    else. Two secrets compare equal when their values do (the router notices a changed key).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError(f"a Secret holds a str, got a {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """The secret itself, for the one place that sends it."""
        return self._value

    def _masked(self) -> str:
        # Four characters tell "sk-p" from "sk-a" in a support ticket without exposing a key.
        return self._value[:4] + "…" if len(self._value) >= 12 else "…"

    def __repr__(self) -> str:
        return f"Secret({self._masked()!r})"

    def __str__(self) -> str:
        return self._masked()

    def __format__(self, spec: str) -> str:
        return format(self._masked(), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret is not picklable: pass the key again in the other process")


def secret_from(
    value: str | Secret | None,
    *env_names: str,
    environ: Mapping[str, str] | None = None,
) -> Secret | None:
    """The key given as an argument, else the first of ``env_names`` that is set and not empty.

    >>> secret_from(None, "MY_KEY", environ={"MY_KEY": "abcdefghijklmnop"})
    Secret('abcd…')
    >>> secret_from(None, "MY_KEY", environ={}) is None
    True
    """
    if isinstance(value, Secret):
        return value
    if value:
        return Secret(value)
    env = os.environ if environ is None else environ
    for name in env_names:
        found = env.get(name)
        if found:
            return Secret(found)
    return None
