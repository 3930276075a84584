"""Provider families: one module each, registered under ``powertools.router.providers``."""

from powertools.router.providers._base import (
    Capabilities,
    Health,
    HealthStatus,
    ModelInfo,
    Provider,
)
from powertools.router.providers._registry import available_providers, load_provider

__all__ = [
    "Capabilities",
    "Health",
    "HealthStatus",
    "ModelInfo",
    "Provider",
    "available_providers",
    "load_provider",
]
