"""Telling async callables apart, for decorators that wrap both kinds.

>>> async def f(): ...
>>> class Client:
...     async def __call__(self): ...
>>> is_async(f), is_async(Client()), is_async(print)
(True, True, False)
"""

from __future__ import annotations

import inspect

__all__ = ["is_async"]


def is_async(fn: object) -> bool:
    """Whether calling ``fn`` gives a coroutine: an ``async def``, or an object whose
    ``__call__`` is one."""
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - the method itself, not callable()
    )
