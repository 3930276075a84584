"""JSON in and out of the wire: orjson when installed (``powertools-router[fast]``), else the
standard library, with the same results either way.

orjson parses and writes the small documents of a call or a stream chunk several times faster
than :mod:`json`; it is an optional extra, so whatever it refuses (``NaN`` in an answer, keys that
are not strings, integers past 64 bits in a request, subclasses of ``str``/``dict``, dataclasses)
goes to :mod:`json`, which decides as it always did: the same value, or the same error. Two
differences remain, neither in a real provider's answer: orjson reads an integer past 64 bits as a
float, and writes a ``float('nan')`` in a request as ``null`` (the standard library writes
``NaN``, which no provider accepts).

>>> loads(b'{"a": [1, 2.5, "x"]}')
{'a': [1, 2.5, 'x']}
>>> loads(dumps({"model": "m", "stream": True}))
{'model': 'm', 'stream': True}
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["FAST", "dumps", "loads"]

# Made once: json.dumps(separators=...) builds a new encoder on every call.
_encode = json.JSONEncoder(separators=(",", ":")).encode

try:
    import orjson
except ImportError:  # the [fast] extra is not installed: the standard library does it all
    orjson = None  # type: ignore[assignment]

_ORJSON: Any = orjson  # typed loosely: which branch runs depends on what is installed
FAST = _ORJSON is not None
"""Whether orjson does the work (``pip install 'powertools-router[fast]'``)."""


def _std_dumps(value: Any) -> bytes:
    return _encode(value).encode()


def _std_loads(data: bytes | str) -> Any:
    return json.loads(data)


if _ORJSON is not None:
    _orjson_dumps = _ORJSON.dumps
    _orjson_loads = _ORJSON.loads
    # Subclasses, dataclasses and datetimes go to the standard library, which refuses them
    # as it always did (orjson would quietly write them).
    _OPTIONS = (
        _ORJSON.OPT_PASSTHROUGH_SUBCLASS
        | _ORJSON.OPT_PASSTHROUGH_DATACLASS
        | _ORJSON.OPT_PASSTHROUGH_DATETIME
    )

    def dumps(value: Any) -> bytes:
        """``value`` as compact JSON bytes."""
        try:
            return _orjson_dumps(value, option=_OPTIONS)  # type: ignore[no-any-return]
        except TypeError:
            return _std_dumps(value)

    def loads(data: bytes | str) -> Any:
        """The JSON value in ``data``; :class:`ValueError` when it is not JSON."""
        try:
            return _orjson_loads(data)
        except ValueError:
            return _std_loads(data)  # NaN, a huge integer: accepted there, or the same error

else:
    dumps = _std_dumps
    loads = _std_loads
