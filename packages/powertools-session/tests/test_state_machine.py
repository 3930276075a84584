"""A RuleBasedStateMachine: a Session always equals a dict model, across reloads and compactions."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from powertools.session import Session

keys = st.sampled_from(["a", "b", "c"])
items = st.integers() | st.text(max_size=30)


class SessionModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp())
        self.store = self.folder.as_uri() + "?journal_limit=300"
        self.session = Session("m", store=self.store, durability="none")
        self.model: dict[str, Any] = {}

    @rule(key=keys, value=items)
    def set(self, key: str, value: Any) -> None:
        self.session.set(key, value)
        self.model[key] = value

    @rule(key=keys, item=items)
    def append(self, key: str, item: Any) -> None:
        if isinstance(self.model.get(key, []), list):
            self.session.append(key, item)
            self.model.setdefault(key, []).append(item)

    @rule(key=keys)
    def delete(self, key: str) -> None:
        self.session.delete(key)
        self.model.pop(key, None)

    @rule()
    def save(self) -> None:
        self.session.save()

    @rule()
    def reopen(self) -> None:
        self.session = Session("m", store=self.store, durability="none")

    @invariant()
    def matches_the_model(self) -> None:
        assert self.session.get_all() == self.model


TestSessionModel = SessionModel.TestCase
TestSessionModel.settings = settings(max_examples=30, stateful_step_count=30, deadline=None)
