"""Secrets: masked everywhere, revealed only where a header is built."""

from __future__ import annotations

import logging
import pickle

import pytest

from powertools.router import Secret
from powertools.router._secrets import secret_from
from powertools.router.providers.anthropic import AnthropicProvider
from powertools.router.providers.gemini import GeminiProvider
from powertools.router.providers.openai import OpenAIProvider

KEY = "sk-live-0123456789abcdefghij"


def test_repr_str_and_format_are_masked() -> None:
    secret = Secret(KEY)
    for text in (
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret:>40}",
        "{}".format(secret),  # noqa: UP032
        repr([secret]),
    ):
        assert KEY not in text
    assert secret.reveal() == KEY
    assert repr(Secret("short")) == "Secret('…')"


def test_equality_bool_and_no_pickling() -> None:
    assert Secret(KEY) == Secret(KEY)
    assert Secret(KEY) != Secret(KEY + "x")
    assert not Secret("")
    with pytest.raises(TypeError, match="not picklable"):
        pickle.dumps(Secret(KEY))
    with pytest.raises(TypeError):
        Secret(123)  # type: ignore[arg-type]


def test_argument_then_environment(monkeypatch) -> None:
    monkeypatch.setenv("A_KEY", "from-env-0123456789")
    assert secret_from(None, "A_KEY").reveal() == "from-env-0123456789"
    assert secret_from("from-arg-0123456789", "A_KEY").reveal() == "from-arg-0123456789"
    monkeypatch.setenv("A_KEY", "")
    assert secret_from(None, "A_KEY") is None


@pytest.mark.parametrize("family", [OpenAIProvider, AnthropicProvider, GeminiProvider])
def test_providers_never_show_their_key(family, caplog) -> None:
    provider = family(api_key=KEY)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("test").info("provider %r %s %s", provider, provider, vars(provider))
    for text in (repr(provider), str(provider), caplog.text):
        assert KEY not in text


def test_a_secret_given_as_an_argument_is_kept_as_it_is() -> None:
    secret = Secret(KEY)
    assert secret_from(secret, "OPENAI_API_KEY", environ={"OPENAI_API_KEY": "sk-other"}) is secret
    assert secret_from(KEY, "OPENAI_API_KEY", environ={}) == secret
    assert secret_from("", "A", "B", environ={"A": "", "B": KEY}) == secret
