"""Redaction of secrets: API keys inside any text, and values of fields named like secrets."""

from __future__ import annotations

import re
from typing import Any

__all__ = ["REDACTED", "hide_password", "is_sensitive_name", "redact_text", "redact_value"]

REDACTED = "[REDACTED]"

# Applied to raw text, before it is JSON-encoded (names, strings, nested strings). Quotes may
# sit between a secret's name and its value, so JSON text ('{"api_key": "..."}') and a repr'd
# dict ("{'Authorization': '...'}") are caught as well as "name=value" text.
_NAMED_VALUE = (
    r"(?i:authorization|api[_\-]?key|password|secret)[\"']?(?:\s|\\[tnr])*[:=](?:\s|\\[tnr])*"
    r"[\"']?(?:(?i:bearer|basic|digest)(?:\s|\\[tnr])+)?[^\s\"'\\,;&}]+"
)
_SECRET = re.compile(
    r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{16,}"  # OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-)
    r"|AIza[0-9A-Za-z_\-]{30,}"  # Google API keys
    r"|AKIA[0-9A-Z]{16}"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{30,}"  # GitHub tokens
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack tokens
    r"|(?i:bearer)(?:\s|\\[tnr])+[A-Za-z0-9._~+/=\-]{8,}"  # bearer tokens
    r"|(?P<dsn>://[^\s:/@\"'\\]*:)[^\s/@\"'\\]+(?=@)"  # a URL's password (DSNs)
    r"|" + _NAMED_VALUE  # name: value, name=value, "name": "value"
)


def _replacement(match: re.Match[str]) -> str:
    dsn = match.group("dsn")
    return REDACTED if dsn is None else dsn + REDACTED


_SENSITIVE_NAME = re.compile(
    r"pass(?:word|wd|phrase)?$|pwd$|secret|api[_\-]?key|apikey|authorization|credential"
    r"|private[_\-]?key|cookie|(?:^|[_\-])token$|signature$|dsn$",
    re.IGNORECASE,
)


def redact_text(text: str) -> str:
    """Replace every API key, bearer token or ``key=value`` secret inside ``text``.

    >>> redact_text("calling with sk-abcdefghijklmnopqrstuv now")
    'calling with [REDACTED] now'
    >>> redact_text('{"api_key": "abc123"} via postgresql://u:pw@h/db')
    '{"[REDACTED]"} via postgresql://u:[REDACTED]@h/db'
    >>> redact_text("disk-usage-monitoring-alert")  # not a key: "sk-" inside a word
    'disk-usage-monitoring-alert'
    """
    return _SECRET.sub(_replacement, text)


def hide_password(url: str) -> str:
    """``url`` with its password (if any) redacted, for messages that name a server.

    >>> hide_password("postgresql://app:s3cret@db:5432/logs")
    'postgresql://app:[REDACTED]@db:5432/logs'
    """
    return redact_text(url)


def is_sensitive_name(name: str) -> bool:
    """Whether a field's name says its value is a secret (``password``, ``api_key``, ...).

    >>> is_sensitive_name("openai_api_key"), is_sensitive_name("tokens")
    (True, False)
    """
    return _SENSITIVE_NAME.search(name) is not None


def redact_value(value: Any) -> Any:
    """Return ``value`` with secrets redacted in every nested string and secret-named field."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {
            redact_text(str(k)): REDACTED if is_sensitive_name(str(k)) else redact_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    return value
