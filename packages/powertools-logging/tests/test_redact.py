from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from powertools.logging import REDACTED, StructuredLogger, redact_text
from powertools.logging._redact import is_sensitive_name
from powertools.logging.testing import MemorySink

alnum = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1
)
keys = st.one_of(
    alnum.filter(lambda s: len(s) >= 20).map(lambda s: "sk-" + s),
    alnum.filter(lambda s: len(s) >= 20).map(lambda s: "sk-ant-api03-" + s),
    alnum.filter(lambda s: len(s) >= 20).map(lambda s: "sk-proj-" + s),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=16).map(
        lambda s: "AKIA" + s
    ),
    alnum.filter(lambda s: len(s) >= 35).map(lambda s: "AIza" + s),
    alnum.filter(lambda s: len(s) >= 12).map(lambda s: "Bearer " + s),
)


def _secret_part(key: str) -> str:
    return key.split(" ", 1)[1] if key.startswith("Bearer ") else key


# a key starts a token: "sk-" glued to a word ("disk-usage") is not a key (see the false
# positives below), so the text before a key ends in anything but a letter or digit
prefixes = st.text().filter(lambda s: re.search(r"[A-Za-z0-9]$", s) is None)


@given(prefixes, keys, st.text())
def test_redaction_never_leaks_a_key_embedded_in_a_string(
    before: str, key: str, after: str
) -> None:
    text = before + key + after
    secret = _secret_part(key)
    # the secret may legitimately occur in the surrounding text; the key's own copy must go
    allowed = (before + after).count(secret)
    assert redact_text(text).count(secret) <= allowed
    sink = MemorySink()
    log = StructuredLogger("r", sinks=[sink])
    log.info(text, note=text, nested={"deep": [text]}, **{"x" + str(len(before)): text})
    assert sink.lines[0].count(secret) <= 4 * allowed


def test_named_secret_fields_are_redacted_in_messages_and_fields() -> None:
    sink = MemorySink()
    log = StructuredLogger("r", sinks=[sink])
    log.set_context(password="hunter2")
    log.info(
        "headers",
        Authorization="Basic dXNlcjpwYXNz",
        tokens=12,
        max_tokens=5,
        headers={"authorization": "Bearer abc.def.ghi-jkl", "accept": "json"},
    )
    log.clear_context()
    (event,) = sink.events
    assert event["password"] == REDACTED
    assert event["Authorization"] == REDACTED
    assert event["tokens"] == 12
    assert event["max_tokens"] == 5
    assert event["headers"] == {"authorization": REDACTED, "accept": "json"}
    assert "hunter2" not in sink.lines[0]


def test_text_patterns() -> None:
    assert redact_text("Authorization: Bearer abcdefghijkl") == REDACTED
    assert redact_text("password=hunter2&x=1") == REDACTED + "&x=1"
    assert redact_text("basic information is fine") == "basic information is fine"


def test_sensitive_names() -> None:
    for name in (
        "password",
        "db_password",
        "client_secret",
        "OPENAI_API_KEY",
        "access_token",
        "token",
        "cookie",
        "postgres_dsn",
    ):
        assert is_sensitive_name(name), name
    for name in ("tokens", "token_count", "max_tokens", "user", "model", "session_id"):
        assert not is_sensitive_name(name), name


secret_values = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/", min_size=6
)
secret_names = st.sampled_from(
    ["api_key", "API-KEY", "apikey", "password", "client_secret", "Authorization"]
)


@given(secret_names, secret_values)
def test_secrets_inside_json_text_and_reprd_dicts_are_redacted(name: str, value: str) -> None:
    for shape in (
        json.dumps({name: value}),
        json.dumps({"outer": {name: value}}),
        repr({name: value}),
        repr({name: "Basic " + value}),
        f"{name}={value}",
    ):
        assert value not in redact_text(shape), shape


@given(
    st.sampled_from(["postgresql", "postgres", "redis", "amqp", "mysql+pymysql"]),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1),
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!$*+", min_size=1
    ),
)
def test_dsn_passwords_are_redacted_and_the_rest_kept(
    scheme: str, user: str, password: str
) -> None:
    url = f"{scheme}://{user}:{password}@db.internal:5432/app"
    redacted = redact_text(f"connecting to {url} now")
    assert redacted == f"connecting to {scheme}://{user}:{REDACTED}@db.internal:5432/app now"


def test_words_that_merely_contain_sk_are_not_redacted() -> None:
    for text in (
        "disk-usage-monitoring-alert",
        "task-queue-backlog-warning",
        "risk-assessment-pipeline",
    ):
        assert redact_text(text) == text
    assert redact_text("key=sk-abcdefghijklmnopqrstu") == "key=" + REDACTED


def test_event_names_are_redacted_in_every_column() -> None:
    from powertools.logging.sinks.pubsub import pubsub_bodies

    sink = MemorySink()
    log = StructuredLogger("r", sinks=[sink])
    log.info("called with sk-abcdefghijklmnopqrstuvwx")
    (record,) = sink.records
    assert record.event == "called with " + REDACTED
    assert "sk-abc" not in pubsub_bodies([record])[0].decode()
