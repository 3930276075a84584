"""The spec's example and the Session API, on the default file store."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from powertools.session import (
    BackendError,
    InvalidSessionNameError,
    PickleSerializer,
    Session,
    SessionNotFoundError,
    UnserializableValueError,
)
from powertools.session.testing import memory_store


def test_spec_example_runs_as_written(session_dir: Path) -> None:
    session = Session("project-abc", auto_save=True)
    session.set("user_context", {"id": 123, "role": "admin"})
    session.set("conversation_history", [])
    session.append("conversation_history", {"role": "user", "content": "..."})

    session = Session.recover("project-abc")
    context = session.get("user_context")
    assert context == {"id": 123, "role": "admin"}

    session.save()
    session.create_backup("project-abc.backup")
    assert Session("project-abc.backup").get_all() == session.get_all()
    assert (session_dir / "project-abc.snap").exists()


def _python(code: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )


def test_recover_in_a_new_process_after_sigkill(session_dir: Path) -> None:
    env = {"POWERTOOLS_SESSION_DIR": str(session_dir)}
    writer = _python(
        """
        import sys, time
        from powertools.session import Session
        session = Session("project-abc", auto_save=True)
        session.set("user_context", {"id": 123, "role": "admin"})
        session.set("conversation_history", [])
        session.append("conversation_history", {"role": "user", "content": "..."})
        print("saved", flush=True)
        time.sleep(3600)
        """,
        env,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "saved"
    writer.send_signal(signal.SIGKILL)
    assert writer.wait() == -signal.SIGKILL

    reader = _python(
        """
        from powertools.session import Session
        session = Session.recover("project-abc")
        print(session.get("user_context"), session.get("conversation_history"))
        """,
        env,
    )
    out, _ = reader.communicate(timeout=60)
    assert out.strip() == ("{'id': 123, 'role': 'admin'} [{'role': 'user', 'content': '...'}]")


async def test_sync_session_works_inside_a_running_event_loop() -> None:
    async def generate_code(requirement: str) -> str:
        session.set("current_task", "code_gen")
        session.append("requirements", requirement)
        return requirement.upper()

    session = Session("project")
    results = await asyncio.gather(*(generate_code(f"r{i}") for i in range(5)))
    assert results == [f"R{i}" for i in range(5)]
    assert session.get_all() == {
        "current_task": "code_gen",
        "requirements": [f"r{i}" for i in range(5)],
    }
    assert Session("project").get_all() == session.get_all()


def test_dict_like_api() -> None:
    s = Session("api")
    s.update({"a": 1}, b=2)
    s.set("c", [1])
    s.delete("a")
    s.delete("never-there")
    assert s.keys() == ["b", "c"]
    assert "b" in s
    assert "a" not in s
    assert len(s) == 2
    assert s.get("missing", "default") == "default"
    assert s.version == 4
    assert repr(s).startswith("Session('api', version=4")
    s.clear()
    assert Session("api").get_all() == {}


def test_values_come_back_as_a_reload_would_return_them() -> None:
    s = Session("types")
    s.set("t", (1, 2))
    assert s.get("t") == (1, 2)
    mutable = {"x": [1]}
    s.set("m", mutable)
    mutable["x"].append(2)
    assert s.get("m") == {"x": [1]}


def test_unserializable_value_fails_on_set_and_changes_nothing() -> None:
    s = Session("bad")
    s.set("ok", 1)
    with pytest.raises(UnserializableValueError, match="object"):
        s.set("bad", object())
    assert s.get_all() == {"ok": 1}
    assert s.version == 1
    assert Session("bad").get_all() == {"ok": 1}


def test_append_to_a_non_list_and_non_string_keys_are_refused() -> None:
    s = Session("refuse")
    s.set("n", 1)
    with pytest.raises(TypeError, match="needs a list"):
        s.append("n", 2)
    with pytest.raises(TypeError, match="keys are strings"):
        s.set(1, 2)  # type: ignore[arg-type]


def test_manual_save_when_auto_save_is_off() -> None:
    s = Session("manual", auto_save=False)
    s.set("a", 1)
    s.append("log", "x")
    assert s.get("a") == 1
    assert Session("manual").get_all() == {}
    s.save()
    assert Session("manual").get_all() == {"a": 1, "log": ["x"]}
    s.set("b", 2)
    s.reload()
    assert s.get_all() == {"a": 1, "log": ["x"]}


def test_context_manager_saves_pending_changes() -> None:
    with Session("ctx", auto_save=False) as s:
        s.set("a", 1)
    assert Session("ctx").get("a") == 1


def test_list_names_every_session(session_dir: Path) -> None:
    Session("one").set("a", 1)
    Session("two").set("a", 1)
    assert Session.list() == ["one", "two"]
    assert Session.list(session_dir.as_uri()) == ["one", "two"]


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", ".hidden", "x" * 201, "sp ace"])
def test_bad_names_are_refused(bad: str) -> None:
    with pytest.raises(InvalidSessionNameError, match="not allowed"):
        Session(bad)


def test_unknown_store_scheme_says_which_exist() -> None:
    with pytest.raises(BackendError, match=r"no session store for 'nope://x'.*file"):
        Session("x", store="nope://x")


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="ttl"):
        Session("x", ttl=0)
    with pytest.raises(ValueError, match="on_conflict"):
        Session("x", on_conflict="ignore")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="durability"):
        Session("x", durability="fast")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="serializer"):
        Session("x", serializer="yaml")
    with pytest.raises(ValueError, match="signing key"):
        Session("x", serializer="pickle")
    with pytest.raises(ValueError, match="compression"):
        Session("x", compression="gzip")


def test_backup_to_another_store_and_restore(tmp_path: Path) -> None:
    s = Session("proj")
    s.set("a", {"deep": [1, 2]})
    target = f"{(tmp_path / 'elsewhere').as_uri()}/proj.backup"
    assert s.create_backup(target) == target
    s.set("a", "changed")
    s.create_backup(target)  # a second backup replaces the first
    s.restore_backup(target)
    assert s.get("a") == "changed"
    s.set("a", "later")
    with pytest.raises(SessionNotFoundError, match="no backup"):
        s.restore_backup("missing-backup")
    with pytest.raises(ValueError, match="names no session"):
        s.create_backup("s3://")
    assert s.get("a") == "later"


def test_ttl_slides_with_each_write_and_cleanup_removes_expired(clock: Any) -> None:
    s = Session("short", ttl=60, clock=clock)
    s.set("a", 1)
    Session("forever").set("a", 1)
    clock.now += 50
    s.set("b", 2)  # slides the expiry to now + 60
    clock.now += 50
    assert Session("short", clock=clock).get_all() == {"a": 1, "b": 2}
    clock.now += 11
    expired = Session("short", ttl=60, clock=clock)
    assert expired.get_all() == {}
    expired.set("c", 3)  # a fresh start, written as a snapshot over the old data
    assert Session("short", clock=clock).get_all() == {"c": 3}
    clock.now += 61
    assert Session.cleanup(clock=clock) == ["short"]
    assert Session.list() == ["forever"]


def test_repr_hides_a_password_in_the_store_url() -> None:
    s = Session("r", store="memory://user:hunter2@space")
    assert "hunter2" not in repr(s)
    assert "user:***@" in repr(s)


def test_the_store_named_in_the_environment_is_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = memory_store()
    monkeypatch.setenv("POWERTOOLS_SESSION_STORE", store)
    Session("env").set("a", 1)
    assert Session.list(store) == ["env"]
    assert Session("env", store=store).get("a") == 1


def test_without_settings_sessions_go_to_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from powertools.session._backend import default_store

    monkeypatch.delenv("POWERTOOLS_SESSION_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_store() == (tmp_path / "data" / "powertools" / "sessions").as_uri()
    Session("home").set("a", 1)
    assert (tmp_path / "data" / "powertools" / "sessions" / "home.journal").exists()


def test_recovering_a_session_never_saved_gives_an_empty_one_and_no_report() -> None:
    s = Session.recover("never-saved")
    assert (s.get_all(), s.version, s.recovery) == ({}, 0, None)
    assert Session.list() == []


def test_a_pickle_session_keeps_what_json_cannot_store_across_reloads() -> None:
    pickled = PickleSerializer(key=b"k" * 32)
    store = memory_store()
    s = Session("p", store=store, serializer=pickled, auto_save=False)
    s.set("z", complex(1, 2))
    s.append("log", frozenset({1}))
    assert Session("p", store=store, serializer=pickled).get_all() == {}
    s.save()
    again = Session("p", store=store, serializer=pickled)
    assert again.get_all() == {"z": complex(1, 2), "log": [frozenset({1})]}
    again.set("z", None)
    assert Session("p", store=store, serializer=pickled).get("z") is None


def test_a_value_that_contains_itself_is_refused_on_set_and_changes_nothing() -> None:
    s = Session("loop", store=memory_store())
    s.set("ok", 1)
    looped: list[Any] = []
    looped.append(looped)
    with pytest.raises(UnserializableValueError, match="value cannot be stored"):
        s.set("bad", looped)
    assert (s.get_all(), s.version) == ({"ok": 1}, 1)


def test_restoring_a_backup_whose_keys_need_tagging_keeps_them(tmp_path: Path) -> None:
    backup = Session("bk")
    backup.set("$pt", "a key that looks like a tag")
    backup.set("n", (1, 2))
    s = Session("s")
    s.set("old", 1)
    s.restore_backup("bk")
    expected = {"$pt": "a key that looks like a tag", "n": (1, 2)}
    assert s.get_all() == expected
    assert Session("s").get_all() == expected
    s.set("more", 3)
    s.save()
    assert Session("s").get_all() == {**expected, "more": 3}


def test_cleanup_never_deletes_a_damaged_session_even_an_expired_one(
    session_dir: Path, clock: Any
) -> None:
    Session("broken", ttl=60, clock=clock).set("a", 1)
    Session("broken", ttl=60, clock=clock).save()
    snap = session_dir / "broken.snap"
    snap.write_bytes(b"not a session at all")
    clock.advance(3600)
    assert Session.cleanup(clock=clock) == []
    assert snap.read_bytes() == b"not a session at all"


def test_cleanup_leaves_a_session_whose_recovery_is_not_accepted(
    session_dir: Path, clock: Any
) -> None:
    s = Session("hurt", ttl=60, clock=clock)
    s.set("a", 1)
    s.set("b", 2)
    journal = session_dir / "hurt.journal"
    data = bytearray(journal.read_bytes())
    data[20] ^= 0x01  # inside the first record
    journal.write_bytes(bytes(data))
    recovered = Session.recover("hurt", ttl=60, clock=clock)
    assert recovered.recovery is not None
    assert recovered.recovery.damaged
    clock.advance(3600)
    assert Session.cleanup(clock=clock) == []
    assert Session.list() == ["hurt"]
    assert Session.recover("hurt", accept=True, ttl=60, clock=clock).get_all() == {}  # expired
    clock.advance(61)
    assert Session.cleanup(clock=clock) == ["hurt"]
