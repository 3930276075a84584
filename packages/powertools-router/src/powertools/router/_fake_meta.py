"""The fake server's metadata endpoints: model lists, health, Ollama's tags, llama.cpp's props."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

__all__ = ["metadata"]

OPENAI_MODELS = ("gpt-4o-mini", "gpt-4o", "o4-mini")
ANTHROPIC_MODELS = ("claude-haiku-4-5", "claude-sonnet-4-5")
GEMINI_MODELS = ("gemini-2.5-flash", "gemini-2.5-pro")
LLAMACPP_MODEL = "fake-model.gguf"
Answer = tuple[int, dict[str, str], bytes]


class _State(Protocol):
    ollama_models: list[str]
    ollama_loaded: set[str]
    llamacpp_loading: bool


def _json(data: Any, status: int = 200) -> Answer:
    return status, {}, json.dumps(data).encode()


def _ollama_tag(name: str) -> dict[str, Any]:
    size = "7.6B" if "7b" in name else "3.2B"
    return {
        "name": name,
        "model": name,
        "modified_at": "2026-01-01T00:00:00Z",
        "size": 4_683_087_332 if "7b" in name else 2_019_393_189,
        "digest": "sha256:" + "0" * 64,
        "details": {
            "format": "gguf",
            "family": name.split(":", maxsplit=1)[0].rstrip("0123456789.-"),
            "families": None,
            "parameter_size": size,
            "quantization_level": "Q4_K_M",
        },
    }


def _ollama(state: _State, method: str, path: str, body: Mapping[str, Any]) -> Answer:
    if path == "/api/version":
        return _json({"version": "0.12.3"})
    if path == "/api/tags":
        return _json({"models": [_ollama_tag(m) for m in state.ollama_models]})
    if path == "/api/ps":
        loaded = [m for m in state.ollama_models if m in state.ollama_loaded]
        return _json({"models": [_ollama_tag(m) for m in loaded]})
    if path == "/api/show" and method == "POST":
        name = str(body.get("model") or body.get("name") or "")
        if name not in state.ollama_models:
            return _json({"error": f"model '{name}' not found"}, 404)
        tag = _ollama_tag(name)
        info = {
            "general.architecture": "llama",
            "general.parameter_count": 7_615_616_512 if "7b" in name else 3_212_749_888,
            "llama.context_length": 32768 if "7b" in name else 131072,
        }
        caps = ["completion", "tools"] + (["vision"] if "vision" in name else [])
        return _json({"details": tag["details"], "model_info": info, "capabilities": caps})
    return _json({"error": f"unknown endpoint {path}"}, 404)


def _llamacpp(state: _State, path: str) -> Answer:
    if path == "/health":
        if state.llamacpp_loading:
            error = {"code": 503, "message": "Loading model", "type": "unavailable_error"}
            return _json({"error": error}, 503)
        return _json({"status": "ok"})
    if path == "/props":
        settings = {"n_ctx": 4096, "params": {"n_predict": -1}}
        return _json(
            {
                "default_generation_settings": settings,
                "total_slots": 1,
                "model_path": f"/models/{LLAMACPP_MODEL}",
                "modalities": {"vision": False, "audio": False},
            }
        )
    if path == "/v1/models":
        meta = {"n_ctx_train": 8192, "n_params": 260_000, "size": 1_185_376}
        data = [{"id": LLAMACPP_MODEL, "object": "model", "owned_by": "llamacpp", "meta": meta}]
        return _json({"object": "list", "data": data})
    return _json(
        {"error": {"code": 404, "message": "File Not Found", "type": "not_found_error"}}, 404
    )


def metadata(state: _State, family: str, method: str, path: str, body: Mapping[str, Any]) -> Answer:
    """The answer to a GET (or ``/api/show``) of ``family`` at ``path``."""
    if family == "ollama":
        return _ollama(state, method, path, body)
    if family == "llamacpp":
        return _llamacpp(state, path)
    if family == "gemini" and path == "/v1beta/models":
        models = [
            {
                "name": f"models/{m}",
                "inputTokenLimit": 1_048_576,
                "outputTokenLimit": 65_536,
                "supportedGenerationMethods": ["generateContent", "countTokens"],
                "thinking": True,
            }
            for m in GEMINI_MODELS
        ]
        return _json({"models": models})
    if family == "anthropic" and path == "/v1/models":
        data = [{"type": "model", "id": m, "display_name": m} for m in ANTHROPIC_MODELS]
        return _json({"data": data, "has_more": False})
    if path == "/v1/models":
        data = [{"id": m, "object": "model", "owned_by": "fake"} for m in OPENAI_MODELS]
        return _json({"object": "list", "data": data})
    return _json({"error": {"message": f"unknown endpoint {path}", "type": "not_found"}}, 404)
