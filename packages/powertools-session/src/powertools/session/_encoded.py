"""Serialize once per change: each top-level value's JSON, kept per key and spliced.

With the JSON serializer a record is ``[op, ...]`` and a snapshot ``{key: value, ...}``; both are
built by joining the JSON of the values, and a value is encoded once, when it is set or
appended. A snapshot then costs a join of bytes (plus compression), not a walk of the data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from powertools.session._recovery import Op
from powertools.session._serializers import TAG, JsonSerializer

__all__ = ["Change", "Encoded"]

#: A value's JSON: bytes, or a bytearray for a list that grows by appends.
Raw = bytes | bytearray
#: One op as bytes: (kind, key, JSON of the value) with kind set, app, del or clear.
Change = tuple[str, str, bytes]


def _key(key: str) -> bytes:
    return json.dumps(key).encode()


def _appended(old: Raw | None, item: bytes) -> bytes:
    """The JSON of a list after appending the item whose JSON is ``item`` (a new object)."""
    if old is None or old == b"[]":
        return b"[" + item + b"]"
    return bytes(old[:-1]) + b"," + item + b"]"


def _append_in_place(values: dict[str, Raw], key: str, item: bytes) -> None:
    """Append to a kept list's JSON in amortized O(item): it becomes a growing bytearray."""
    old = values[key]
    buf = old if isinstance(old, bytearray) else bytearray(old)
    empty = len(buf) == 2
    del buf[-1]
    buf += item if empty else b"," + item
    buf += b"]"
    values[key] = buf


class Encoded:
    """The JSON of each value of one session's data, kept in step with the data.

    >>> enc = Encoded(JsonSerializer())
    >>> decoded, body, changes = enc.prepare([["set", "a", [1]], ["app", "a", 2]])
    >>> body
    b'[["set","a",[1]],["app","a",2]]'
    >>> enc.apply(changes)
    >>> enc.body({"a": [1, 2]})
    b'{"a":[1,2]}'
    """

    def __init__(self, serializer: JsonSerializer) -> None:
        self.serializer = serializer
        self.values: dict[str, Raw] = {}

    def clear(self) -> None:
        """The data was replaced wholesale (a load): forget every value."""
        self.values.clear()

    def forget(self, ops: list[Op]) -> None:
        """``ops`` changed the data without going through :meth:`apply`."""
        for op in ops:
            if op[0] == "all":
                self.values.clear()
            else:
                self.values.pop(op[1], None)

    def prepare(self, ops: list[Op]) -> tuple[list[Op], bytes, list[Change]] | None:
        """``ops`` as a reload would see them, their record body, and the changes as bytes;
        None when the ops need the general path (a mapping with the tag as a key)."""
        parts: list[bytes] = []
        decoded: list[Op] = []
        changes: list[Change] = []
        for op in ops:
            kind = op[0]
            if kind == "all":
                whole = self._whole(op[1], changes)
                if whole is None:
                    return None
                parts.append(b'["all",' + whole[0] + b"]")
                decoded.append(["all", whole[1]])
            elif kind == "del":
                parts.append(b'["del",' + _key(op[1]) + b"]")
                decoded.append(["del", op[1]])
                changes.append(("del", op[1], b""))
            else:
                raw, value = self.serializer.encode(op[2])
                parts.append(b'["' + kind.encode() + b'",' + _key(op[1]) + b"," + raw + b"]")
                decoded.append([kind, op[1], value])
                changes.append((kind, op[1], raw))
        return decoded, b"[" + b",".join(parts) + b"]", changes

    def _whole(self, data: Any, changes: list[Change]) -> tuple[bytes, dict[str, Any]] | None:
        if not isinstance(data, Mapping) or TAG in data or any(type(k) is not str for k in data):
            return None
        changes.append(("clear", "", b""))
        raws: dict[str, Raw] = {}
        values: dict[str, Any] = {}
        for key, value in data.items():
            raw, values[key] = self.serializer.encode(value)
            raws[key] = raw
            changes.append(("set", key, raw))
        return self._join(raws), values

    @staticmethod
    def _join(raws: Mapping[str, Raw]) -> bytes:
        return b"{" + b",".join(_key(k) + b":" + v for k, v in raws.items()) + b"}"

    @staticmethod
    def _change(values: dict[str, Raw], change: Change, complete: bool) -> None:
        """Apply one change; on values not ``complete``, a list not kept stays unknown."""
        kind, key, raw = change
        if kind == "set":
            values[key] = raw
        elif kind == "app":
            if complete:  # a copy for one snapshot: the kept bytes must not change
                values[key] = _appended(values.get(key), raw)
            elif key in values:
                _append_in_place(values, key, raw)
        elif kind == "del":
            values.pop(key, None)
        else:
            values.clear()

    def apply(self, changes: list[Change]) -> None:
        """The changes were committed: keep the values in step."""
        for change in changes:
            self._change(self.values, change, complete=False)

    def _complete(self, data: Mapping[str, Any]) -> dict[str, Raw]:
        """Every key of ``data`` with its JSON, encoding the values not known yet."""
        values = self.values
        if len(values) != len(data) or any(k not in values for k in data):
            for key, value in data.items():
                if key not in values:
                    values[key] = self.serializer.encode(value)[0]
            for key in [k for k in values if k not in data]:
                del values[key]
        return {k: values[k] for k in data}

    def splicable(self, data: Mapping[str, Any]) -> bool:
        """Whether the snapshot of ``data`` can be joined (no key needs the mapping tag)."""
        return TAG not in data

    def body(self, data: Mapping[str, Any], changes: Sequence[Change] = ()) -> bytes:
        """The snapshot body of ``data`` after ``changes`` (not applied to the kept values)."""
        values = self._complete(data)
        for change in changes:
            self._change(values, change, complete=True)
        return self._join(values)
